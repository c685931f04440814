package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

const scenarioColumns = `id, name, version, active, instant, consecutive_errors, paused,
	deactivated, source, created_at, updated_at, schedule, next_run_at`

func scanScenario(row interface{ Scan(...any) error }) (*weft.Scenario, error) {
	var s weft.Scenario
	var created, updated int64
	var schedule string
	var next sql.NullInt64
	err := row.Scan(&s.ID, &s.Name, &s.Version, &s.Active, &s.Instant, &s.ConsecutiveErrors,
		&s.Paused, &s.Deactivated, &s.Source, &created, &updated, &schedule, &next)
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt, s.NextRunAt = fromDB(created), fromDB(updated), fromDBPtr(next)
	if s.Schedule, err = scheduleFrom(schedule); err != nil {
		return nil, fmt.Errorf("scenario %d: %w", s.ID, err)
	}
	return &s, nil
}

// scheduleJSON encodes a schedule for the schedule column. Its time is stored like
// every other: UTC, to the microsecond, so it reads back as the instant the other
// columns would give.
func scheduleJSON(sc weft.Schedule) (string, error) {
	if sc.At != nil {
		at := fromDB(toDB(*sc.At))
		sc.At = &at
	}
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
	if sc.At != nil {
		at := sc.At.UTC()
		sc.At = &at
	}
	return sc, nil
}

func (q *queries) CreateScenario(ctx context.Context, s *weft.Scenario, blueprint []byte) error {
	if s == nil {
		return errors.New("create scenario: nil scenario")
	}
	schedule, err := scheduleJSON(s.Schedule)
	if err != nil {
		return fmt.Errorf("create scenario %q: %w", s.Name, err)
	}
	var id int64
	err = q.db.QueryRowContext(ctx, `INSERT INTO scenario (name, version, active, instant,
		consecutive_errors, paused, deactivated, source, created_at, updated_at, schedule,
		next_run_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Name, s.Active, s.Instant, s.ConsecutiveErrors, s.Paused, s.Deactivated, s.Source,
		toDB(s.CreatedAt), toDB(s.UpdatedAt), schedule, toDBPtr(s.NextRunAt)).Scan(&id)
	if err != nil {
		return wrap(err, "create scenario %q", s.Name)
	}
	if _, err := q.db.ExecContext(ctx, `INSERT INTO scenario_version (scenario_id, version,
		created_at, blueprint) VALUES (?, 1, ?, ?)`, id, toDB(s.CreatedAt), bodyOf(blueprint)); err != nil {
		return wrap(err, "create scenario %q: store version 1", s.Name)
	}
	s.ID, s.Version = id, 1
	return nil
}

func (q *queries) AddVersion(ctx context.Context, scenarioID int64, blueprint []byte, at time.Time) (int, error) {
	var v int
	err := q.db.QueryRowContext(ctx, `UPDATE scenario SET version = version + 1, updated_at = ?
		WHERE id = ? RETURNING version`, toDB(at), scenarioID).Scan(&v)
	if isNoRows(err) {
		return 0, notFound("add version to scenario %d", scenarioID)
	}
	if err != nil {
		return 0, wrap(err, "add version to scenario %d", scenarioID)
	}
	if _, err := q.db.ExecContext(ctx, `INSERT INTO scenario_version (scenario_id, version,
		created_at, blueprint) VALUES (?, ?, ?, ?)`, scenarioID, v, toDB(at), bodyOf(blueprint)); err != nil {
		return 0, wrap(err, "add version %d to scenario %d", v, scenarioID)
	}
	return v, nil
}

func (q *queries) GetScenario(ctx context.Context, id int64) (*weft.Scenario, error) {
	s, err := scanScenario(q.db.QueryRowContext(ctx, `SELECT `+scenarioColumns+` FROM scenario WHERE id = ?`, id))
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
	s, err := scanScenario(q.db.QueryRowContext(ctx, `SELECT `+scenarioColumns+` FROM scenario
		WHERE source = ? AND source <> '' ORDER BY id LIMIT 1`, source))
	if isNoRows(err) {
		return nil, notFound("scenario from %q", source)
	}
	return s, wrap(err, "find scenario from %q", source)
}

func (q *queries) ListScenarios(ctx context.Context) ([]*weft.Scenario, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT `+scenarioColumns+` FROM scenario ORDER BY id`)
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
	res, err := q.db.ExecContext(ctx, `UPDATE scenario SET name = ?, active = ?, instant = ?,
		consecutive_errors = ?, paused = ?, deactivated = ?, schedule = ?, next_run_at = ?,
		updated_at = ? WHERE id = ?`,
		s.Name, s.Active, s.Instant, s.ConsecutiveErrors, s.Paused, s.Deactivated, schedule,
		toDBPtr(s.NextRunAt), toDB(s.UpdatedAt), s.ID)
	if err != nil {
		return wrap(err, "update scenario %d", s.ID)
	}
	return mustAffect(res, "update scenario "+itoa(s.ID))
}

func (q *queries) GetVersion(ctx context.Context, scenarioID int64, version int) (*weft.Version, error) {
	v := weft.Version{ScenarioID: scenarioID, Version: version}
	var created int64
	err := q.db.QueryRowContext(ctx, `SELECT created_at, blueprint FROM scenario_version
		WHERE scenario_id = ? AND version = ?`, scenarioID, version).Scan(&created, &v.Blueprint)
	if isNoRows(err) {
		return nil, notFound("scenario %d version %d", scenarioID, version)
	}
	if err != nil {
		return nil, wrap(err, "get scenario %d version %d", scenarioID, version)
	}
	v.CreatedAt = fromDB(created)
	return &v, nil
}

func (q *queries) ListVersions(ctx context.Context, scenarioID int64) ([]weft.Version, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT version, created_at FROM scenario_version
		WHERE scenario_id = ? ORDER BY version`, scenarioID)
	if err != nil {
		return nil, wrap(err, "list versions of scenario %d", scenarioID)
	}
	defer rows.Close()
	var out []weft.Version
	for rows.Next() {
		v := weft.Version{ScenarioID: scenarioID}
		var created int64
		if err := rows.Scan(&v.Version, &created); err != nil {
			return nil, wrap(err, "list versions of scenario %d", scenarioID)
		}
		v.CreatedAt = fromDB(created)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
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
	// bodies and attempts), queued payloads and the webhook.
	res, err := q.db.ExecContext(ctx, `DELETE FROM scenario WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "delete scenario %d", id)
	}
	return mustAffect(res, "delete scenario "+itoa(id))
}
