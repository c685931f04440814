package api

import (
	"errors"
	"net/http"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/schedule"
)

// ScheduleState is a scenario's schedule and its next due run.
type ScheduleState struct {
	ScenarioID int64         `json:"scenarioId"`
	Schedule   weft.Schedule `json:"schedule"`
	NextRunAt  *string       `json:"nextRunAt"`
}

func (a *api) getSchedule(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	sc, err := a.st.GetScenario(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ScheduleState{ScenarioID: sc.ID, Schedule: sc.Schedule, NextRunAt: weft.RFC3339Ptr(sc.NextRunAt)})
	return nil
}

func (a *api) putSchedule(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	var s weft.Schedule
	if err := decode(r, &s); err != nil {
		return err
	}
	if err := scheduleError(schedule.Validate(s)); err != nil {
		return err
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	sc, err := a.svc.SetSchedule(r.Context(), id, s)
	var se *schedule.Error
	if errors.As(err, &se) {
		// A once-time in the past: valid in shape, refused against the present.
		return scheduleError(se)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ScheduleState{ScenarioID: sc.ID, Schedule: sc.Schedule, NextRunAt: weft.RFC3339Ptr(sc.NextRunAt)})
	return nil
}

// scheduleError turns schedule.Validate's problems into a 400 naming the first field
// and listing all of them.
func scheduleError(err error) error {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	field := "schedule"
	var problems []map[string]string
	for _, e := range errs {
		var se *schedule.Error
		f := "schedule"
		if errors.As(e, &se) {
			f = se.Field
		}
		if field == "schedule" {
			field = f
		}
		problems = append(problems, map[string]string{"field": f, "message": e.Error()})
	}
	return &Error{Status: http.StatusBadRequest, Code: codeInvalid, Message: err.Error(),
		Details: map[string]any{"field": field, "problems": problems}}
}
