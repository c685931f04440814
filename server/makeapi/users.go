package makeapi

import (
	"net/http"
	"net/url"
)

// weft has no user accounts: a request is made with an API token, and users/me
// describes the token's holder by the token's name. It has one organization with one
// team (Deps.OrganizationID, Deps.TeamID).

type userView struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	Email      string          `json:"email"`
	Language   string          `json:"language"`
	TimezoneID int             `json:"timezoneId"`
	LocaleID   int             `json:"localeId"`
	CountryID  int             `json:"countryId"`
	Features   map[string]bool `json:"features"`
	Avatar     string          `json:"avatar"`
	Timezone   string          `json:"timezone"`
	Locale     string          `json:"locale"`
}

var userColumns = []string{"id", "name", "email", "language", "timezoneId", "localeId", "countryId", "features",
	"avatar", "timezone", "locale"}

func (a *api) usersMe(w http.ResponseWriter, r *http.Request) error {
	cols, err := columns(r, userColumns)
	if err != nil {
		return err
	}
	t := tokenOf(r)
	// Make's ids for UTC (timezone 113 is Europe/Prague; 1 is UTC in its enums).
	u := userView{ID: 1, Name: t.Name, Email: "", Language: "en", TimezoneID: 1, LocaleID: 1, CountryID: 0,
		Features: map[string]bool{}, Avatar: "", Timezone: "UTC", Locale: "en"}
	v, err := pick(u, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"authUser": v})
	return nil
}

func (a *api) currentAuthorization(w http.ResponseWriter, r *http.Request) error {
	t := tokenOf(r)
	writeJSON(w, http.StatusOK, map[string]any{"authorization": map[string]any{
		"authUsed": "token", "scope": makeScopesOf(t.Scopes)}})
	return nil
}

type organizationView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Zone     string `json:"zone"`
	IsPaused bool   `json:"isPaused"`
}

var organizationColumns = []string{"id", "name", "zone", "isPaused"}

func (a *api) organization(r *http.Request) organizationView {
	zone := r.Host
	if u, err := url.Parse(a.BaseURL); err == nil && u.Host != "" {
		zone = u.Host
	}
	return organizationView{ID: a.OrganizationID, Name: "weft", Zone: zone}
}

func (a *api) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	p, err := paging{sortBy: "name", sortDir: "asc", sorts: []string{"id", "name"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	cols, err := columns(r, organizationColumns)
	if err != nil {
		return err
	}
	items, err := pickAll(page([]organizationView{a.organization(r)}, p), cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"organizations": items, "pg": p})
	return nil
}

func (a *api) getOrganization(w http.ResponseWriter, r *http.Request) error {
	if _, err := int64Path(r, "organizationId"); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"organization": a.organization(r)})
	return nil
}

type teamView struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	OrganizationID  int64  `json:"organizationId"`
	ActiveScenarios int    `json:"activeScenarios"`
	IsPaused        bool   `json:"isPaused"`
}

var teamColumns = []string{"id", "name", "organizationId", "activeScenarios", "isPaused"}

func (a *api) team(r *http.Request) (teamView, error) {
	scs, err := a.st.ListScenarios(r.Context())
	if err != nil {
		return teamView{}, err
	}
	t := teamView{ID: a.TeamID, Name: "weft", OrganizationID: a.OrganizationID}
	for _, sc := range scs {
		if sc.Active {
			t.ActiveScenarios++
		}
	}
	return t, nil
}

func (a *api) listTeams(w http.ResponseWriter, r *http.Request) error {
	if _, err := requiredInt64Query(r, "organizationId"); err != nil {
		return err
	}
	p, err := paging{sortBy: "name", sortDir: "asc", sorts: []string{"id", "name"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	cols, err := columns(r, teamColumns)
	if err != nil {
		return err
	}
	t, err := a.team(r)
	if err != nil {
		return err
	}
	items, err := pickAll(page([]teamView{t}, p), cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": items, "pg": p})
	return nil
}

func (a *api) getTeam(w http.ResponseWriter, r *http.Request) error {
	if _, err := int64Path(r, "teamId"); err != nil {
		return err
	}
	cols, err := columns(r, teamColumns)
	if err != nil {
		return err
	}
	t, err := a.team(r)
	if err != nil {
		return err
	}
	v, err := pick(t, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"team": v})
	return nil
}
