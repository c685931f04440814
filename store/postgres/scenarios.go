package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/weftworks/weft"
)

const scenarioColumns = `id, name, version, active, instant, consecutive_errors, paused,
	deactivated, source, created_at, updated_at, schedule, next_run_at`

func scanScenario(row interface{ Scan(...any) error }) (*weft.Scenario, error) {
	var s weft.Scenario
	var schedule string
	err := row.Scan(&s.ID, &s.Name, &s.Version, &s.Active, &s.Instant, &s.ConsecutiveErrors,
		&s.Paused, &s.Deactivated, &s.Source, &s.CreatedAt, &s.UpdatedAt, &schedule, &s.NextRunAt)
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt, s.NextRunAt = utc(s.CreatedAt), utc(s.UpdatedAt), utcPtr(s.NextRunAt)
	if s.Schedule, err = scheduleFrom(schedule); err != nil {
		return nil, fmt.Errorf("scenario %d: %w", s.ID, err)
	}
	return &s, nil
}

// scheduleJSON encodes a schedule for the schedule column, its time to the microsecond
// in UTC like every other time.
func scheduleJSON(sc weft.Schedule) (string, error) {
	sc.At = tsPtr(sc.At)
	b, err := json.Marshal(sc)
	if err != nil {
		return "", fmt.Errorf("encode schedule: %w", err)
	}
	return string(b), nil
}

func scheduleFrom(text string) (weft.Schedule, error) {
	var sc weft.Schedule
	if err := json.Unmarshal([]byte(text), &sc); err != nil {
		return weft.Schedule{}, fmt.Errorf("stored schedule %q: %w", text, err)
	}
	sc.At = utcPtr(sc.At)
	return sc, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (q *queries) CreateScenario(ctx context.Context, s *weft.Scenario, blueprint []byte) error {
	if s == nil {
		return errors.New("create scenario: nil scenario")
	}
	schedule, err := scheduleJSON(s.Schedule)
	if err != nil {
		return fmt.Errorf("create scenario %q: %w", s.Name, err)
	}
	var id int64
	err = q.db.QueryRow(ctx, `INSERT INTO scenario (name, version, active, instant,
		consecutive_errors, paused, deactivated, source, created_at, updated_at, schedule,
		next_run_at) VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		s.Name, s.Active, s.Instant, s.ConsecutiveErrors, s.Paused, s.Deactivated, s.Source,
		ts(s.CreatedAt), ts(s.UpdatedAt), schedule, tsPtr(s.NextRunAt)).Scan(&id)
	if err != nil {
		return wrap(err, "create scenario %q", s.Name)
	}
	if _, err := q.db.Exec(ctx, `INSERT INTO scenario_version (scenario_id, version,
		created_at, blueprint) VALUES ($1, 1, $2, $3)`, id, ts(s.CreatedAt), bodyOf(blueprint)); err != nil {
		return wrap(err, "create scenario %q: store version 1", s.Name)
	}
	s.ID, s.Version = id, 1
	return nil
}

func (q *queries) AddVersion(ctx context.Context, scenarioID int64, blueprint []byte, at time.Time) (int, error) {
	var v int
	err := q.db.QueryRow(ctx, `UPDATE scenario SET version = version + 1, updated_at = $1
		WHERE id = $2 RETURNING version`, ts(at), scenarioID).Scan(&v)
	if isNoRows(err) {
		return 0, notFound("add version to scenario %d", scenarioID)
	}
	if err != nil {
		return 0, wrap(err, "add version to scenario %d", scenarioID)
	}
	if _, err := q.db.Exec(ctx, `INSERT INTO scenario_version (scenario_id, version,
		created_at, blueprint) VALUES ($1, $2, $3, $4)`, scenarioID, v, ts(at), bodyOf(blueprint)); err != nil {
		return 0, wrap(err, "add version %d to scenario %d", v, scenarioID)
	}
	return v, nil
}

func (q *queries) GetScenario(ctx context.Context, id int64) (*weft.Scenario, error) {
	s, err := scanScenario(q.db.QueryRow(ctx, `SELECT `+scenarioColumns+` FROM scenario WHERE id = $1`+q.locking(), id))
	if isNoRows(err) {
		return nil, notFound("scenario %d", id)
	}
	return s, wrap(err, "get scenario %d", id)
}

func (q *queries) FindScenarioBySource(ctx context.Context, source string) (*weft.Scenario, error) {
	if source == "" {
		return nil, notFound("scenario with an empty source")
	}
	// The oldest one if a source was ever stored twice: the one `weft run` made first.
	s, err := scanScenario(q.db.QueryRow(ctx, `SELECT `+scenarioColumns+` FROM scenario
		WHERE source = $1 AND source <> '' ORDER BY id LIMIT 1`, source))
	if isNoRows(err) {
		return nil, notFound("scenario from %q", source)
	}
	return s, wrap(err, "find scenario from %q", source)
}

func (q *queries) ListScenarios(ctx context.Context) ([]*weft.Scenario, error) {
	rows, err := q.db.Query(ctx, `SELECT `+scenarioColumns+` FROM scenario ORDER BY id`)
	if err != nil {
		return nil, wrap(err, "list scenarios")
	}
	defer rows.Close()
	var out []*weft.Scenario
	for rows.Next() {
		s, err := scanScenario(rows)
		if err != nil {
			return nil, wrap(err, "list scenarios")
		}
		out = append(out, s)
	}
	return out, wrap(rows.Err(), "list scenarios")
}

func (q *queries) UpdateScenario(ctx context.Context, s *weft.Scenario) error {
	if s == nil {
		return errors.New("update scenario: nil scenario")
	}
	schedule, err := scheduleJSON(s.Schedule)
	if err != nil {
		return fmt.Errorf("update scenario %d: %w", s.ID, err)
	}
	tag, err := q.db.Exec(ctx, `UPDATE scenario SET name = $1, active = $2, instant = $3,
		consecutive_errors = $4, paused = $5, deactivated = $6, schedule = $7, next_run_at = $8,
		updated_at = $9 WHERE id = $10`,
		s.Name, s.Active, s.Instant, s.ConsecutiveErrors, s.Paused, s.Deactivated, schedule,
		tsPtr(s.NextRunAt), ts(s.UpdatedAt), s.ID)
	if err != nil {
		return wrap(err, "update scenario %d", s.ID)
	}
	return mustAffect(tag, "update scenario "+itoa(s.ID))
}

func (q *queries) GetVersion(ctx context.Context, scenarioID int64, version int) (*weft.Version, error) {
	v := weft.Version{ScenarioID: scenarioID, Version: version}
	err := q.db.QueryRow(ctx, `SELECT created_at, blueprint FROM scenario_version
		WHERE scenario_id = $1 AND version = $2`, scenarioID, version).Scan(&v.CreatedAt, &v.Blueprint)
	if isNoRows(err) {
		return nil, notFound("scenario %d version %d", scenarioID, version)
	}
	if err != nil {
		return nil, wrap(err, "get scenario %d version %d", scenarioID, version)
	}
	v.CreatedAt = utc(v.CreatedAt)
	return &v, nil
}

func (q *queries) ListVersions(ctx context.Context, scenarioID int64) ([]weft.Version, error) {
	var out []weft.Version
	err := q.each(ctx, func(rows pgxRows) error {
		v := weft.Version{ScenarioID: scenarioID}
		if err := rows.Scan(&v.Version, &v.CreatedAt); err != nil {
			return err
		}
		v.CreatedAt = utc(v.CreatedAt)
		out = append(out, v)
		return nil
	}, `SELECT version, created_at FROM scenario_version WHERE scenario_id = $1 ORDER BY version`, scenarioID)
	if err != nil {
		return nil, wrap(err, "list versions of scenario %d", scenarioID)
	}
	// Every scenario has version 1, so no versions means no scenario.
	if len(out) == 0 {
		return nil, notFound("versions of scenario %d", scenarioID)
	}
	return out, nil
}

func (q *queries) DeleteScenario(ctx context.Context, id int64) error {
	// Foreign keys cascade to versions, executions, incomplete executions (with their
	// attempts), queued payloads, the webhook and trigger positions.
	tag, err := q.db.Exec(ctx, `DELETE FROM scenario WHERE id = $1`, id)
	if err != nil {
		return wrap(err, "delete scenario %d", id)
	}
	return mustAffect(tag, "delete scenario "+itoa(id))
}
