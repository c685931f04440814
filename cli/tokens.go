package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
)

func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Create, list and revoke API tokens",
		Long: "API tokens authenticate calls to the REST API (/api/v1) as \"Authorization: Bearer weft_…\".\n" +
			"Each token holds scopes: " + strings.Join(auth.Scopes, ", ") + "\n" +
			"(admin grants every scope). Only a hash of the token is stored: it is shown once, at creation."}
	cmd.AddCommand(newTokensCreate(), newTokensList(), newTokensRevoke())
	return cmd
}

// tokenView is a token in JSON (never its hash).
type tokenView struct {
	Token      string   `json:"token,omitempty"`
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"createdAt"`
	LastUsedAt *string  `json:"lastUsedAt"`
	RevokedAt  *string  `json:"revokedAt"`
}

func viewToken(t *weft.Token) tokenView {
	return tokenView{ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: weft.RFC3339(t.CreatedAt),
		LastUsedAt: weft.RFC3339Ptr(t.LastUsedAt), RevokedAt: weft.RFC3339Ptr(t.RevokedAt)}
}

func openAuth(cmd *cobra.Command) (*auth.Auth, func(), error) {
	svc, done, err := openService(cmd, false)
	if err != nil {
		return nil, nil, err
	}
	return auth.New(svc.Store(), auth.WithLogger(logger(cmd))), done, nil
}

func newTokensCreate() *cobra.Command {
	var (
		name   string
		scopes []string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "create --name NAME --scopes SCOPE,…",
		Short: "Create a token (printed once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []string
			for _, s := range scopes {
				list = append(list, strings.Split(s, ",")...)
			}
			if err := auth.CheckScopes(list); err != nil && len(list) > 0 {
				return fmt.Errorf("--%w", err)
			}
			a, done, err := openAuth(cmd)
			if err != nil {
				return err
			}
			defer done()
			plain, t, err := a.Create(cmd.Context(), name, list)
			if err != nil {
				return fmt.Errorf("--%w", err)
			}
			if asJSON {
				v := viewToken(t)
				v.Token = plain
				writeJSON(cmd.OutOrStdout(), v)
				return nil
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, plain)
			fmt.Fprintf(w, "token %s (%s), scopes %s\n", t.ID, t.Name, strings.Join(t.Scopes, ", "))
			fmt.Fprintln(cmd.ErrOrStderr(), "Store the token now: weft keeps only its hash and cannot show it again.")
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	c.Flags().StringSliceVar(&scopes, "scopes", nil, "comma-separated scopes (required): "+strings.Join(auth.Scopes, ", "))
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = c.MarkFlagRequired("name")
	_ = c.MarkFlagRequired("scopes")
	return c
}

func newTokensList() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List tokens, revoked ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, done, err := openAuth(cmd)
			if err != nil {
				return err
			}
			defer done()
			ts, err := a.List(cmd.Context())
			if err != nil {
				return err
			}
			views := make([]tokenView, len(ts))
			for i, t := range ts {
				views[i] = viewToken(t)
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), views)
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tSTATE")
			for _, t := range ts {
				state := "active"
				if t.RevokedAt != nil {
					state = "revoked " + t.RevokedAt.UTC().Format(time.RFC3339)
				}
				used := "never"
				if t.LastUsedAt != nil {
					used = t.LastUsedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","),
					t.CreatedAt.UTC().Format(time.RFC3339), used, state)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newTokensRevoke() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token; it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, done, err := openAuth(cmd)
			if err != nil {
				return err
			}
			defer done()
			if err := a.Revoke(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
}
