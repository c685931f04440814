package sqlite

import (
	"strings"
	"testing"
)

// TestQueryPlans pins the plans of the queries the size targets depend on (copies of
// the statements in incomplete.go, retry.go and executions.go with literals for the
// parameters): each reads the index named, in order, with no sort of the whole set.
// A SQLite upgrade or a schema change that loses one fails here, not in production.
func TestQueryPlans(t *testing.T) {
	s := openTemp(t)
	list := `SELECT ` + incompleteColumns + ` FROM incomplete i `
	cases := []struct {
		name, query, want string
	}{
		{"list one scenario by status", list + `WHERE i.scenario_id = 1 AND i.status IN ('unresolved')
			ORDER BY i.created_at, i.id LIMIT 50`, "incomplete_list (scenario_id=? AND status=?)"},
		{"list with cursor", list + `WHERE i.scenario_id = 1 AND i.status IN ('unresolved')
			AND (i.created_at, i.id) > (5, 'x') ORDER BY i.created_at, i.id LIMIT 50`,
			"incomplete_list (scenario_id=? AND status=? AND (created_at,id)>(?,?))"},
		{"list one scenario, several statuses", list + `WHERE i.scenario_id = 1
			AND +i.status IN ('unresolved', 'pending') ORDER BY i.created_at, i.id LIMIT 50`,
			"incomplete_scenario (scenario_id=?)"},
		{"list one scenario", list + `WHERE i.scenario_id = 1 ORDER BY i.created_at, i.id LIMIT 50`,
			"incomplete_scenario (scenario_id=?)"},
		{"list by status", list + `WHERE i.status IN ('pending') ORDER BY i.created_at, i.id LIMIT 50`,
			"incomplete_status (status=?)"},
		{"list everything", list + `ORDER BY i.created_at, i.id LIMIT 50`, "incomplete_created"},
		{"next due", `SELECT next_attempt_at FROM incomplete INDEXED BY incomplete_due
			WHERE status = 'pending' AND next_attempt_at IS NOT NULL ORDER BY next_attempt_at LIMIT 1`,
			"COVERING INDEX incomplete_due"},
		{"claim probe", `SELECT seq, next_attempt_at FROM incomplete WHERE scenario_id = 1
			AND status = 'pending' AND next_attempt_at <= 5 ORDER BY next_attempt_at, seq LIMIT 3`,
			"COVERING INDEX incomplete_due_scenario (scenario_id=? AND next_attempt_at<?)"},
		{"requeue ids", `UPDATE incomplete SET status = 'pending', next_attempt_at = 5
			WHERE +status IN ('unresolved', 'pending') AND id IN (SELECT value FROM json_each('[]'))`,
			"sqlite_autoindex_incomplete_1 (id=?)"},
		{"requeue all of a scenario", `UPDATE incomplete SET status = 'pending', next_attempt_at = 5
			WHERE +status IN ('unresolved', 'pending') AND scenario_id = 1`, "(scenario_id=?)"},
		{"executions of a scenario", `SELECT ` + executionColumns + executionFrom + ` WHERE e.scenario_id = 1
			ORDER BY e.started_at DESC, e.id DESC LIMIT 50`, "execution_scenario (scenario_id=?)"},
		{"caller of each execution", `SELECT ` + executionColumns + executionFrom + ` WHERE e.scenario_id = 1
			ORDER BY e.started_at DESC, e.id DESC LIMIT 50`, "SEARCH p USING PRIMARY KEY (execution_id=?)"},
		{"due schedules", `SELECT ` + scenarioColumns + ` FROM scenario WHERE active = 1
			AND next_run_at IS NOT NULL AND next_run_at <= 5 ORDER BY next_run_at, id LIMIT 3`,
			"USING INDEX scenario_due"},
		{"queue heads", `SELECT min(id) AS id FROM queue_item WHERE dead_at IS NULL GROUP BY scenario_id`,
			"COVERING INDEX queue_item_usage"},
		{"queue usage", `SELECT count(*), coalesce(sum(size), 0), count(dead_at) FROM queue_item WHERE scenario_id = 1`,
			"COVERING INDEX queue_item_usage (scenario_id=?)"},
		{"queue listing", `SELECT ` + queueColumns + ` FROM queue_item WHERE scenario_id = 1 AND id > 5 ORDER BY id LIMIT 50`,
			"queue_item_scenario (scenario_id=? AND id>?)"},
		{"attempt executions", `SELECT id FROM execution WHERE incomplete_id = 'x' AND incomplete_id <> ''
			ORDER BY started_at DESC, id DESC`, "execution_incomplete (incomplete_id=?)"},
	}
	for _, c := range cases {
		rows, err := s.writer.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, c.want) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %q and no sort", c.name, got, c.want)
		}
	}
}
