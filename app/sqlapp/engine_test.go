package sqlapp_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/jsonmod"
	"github.com/weftworks/weft/app/sqlapp"
	"github.com/weftworks/weft/app/tools"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
)

// scenario is the real engine over the shipped registry plus this app, with the
// connections "db" (the target) and "db2" (the same database through another pool).
type scenario struct {
	t   *testing.T
	tg  *target
	eng *engine.Engine
}

func newScenario(t *testing.T, tg *target) *scenario {
	t.Helper()
	// The shipped apps without the default SQL app: this test registers its own.
	reg := app.NewRegistry()
	for _, register := range []func(*app.Registry) error{builtin.Register, tools.Register, jsonmod.Register} {
		if err := register(reg); err != nil {
			t.Fatal(err)
		}
	}
	a := sqlapp.New(sqlapp.Options{})
	t.Cleanup(a.Close)
	if err := a.Register(reg); err != nil {
		t.Fatal(err)
	}
	// A second connection to the same database: another pool, so another transaction.
	second := weft.Bundle{}
	for k, v := range tg.conn {
		second[k] = v
	}
	if dsn, ok := second["dsn"].(string); ok {
		second["dsn"] = dsn + "&application_name=second"
	} else {
		second["create"] = true // another connection string for the same file
	}
	conns := map[string]weft.Bundle{"db": tg.conn, "db2": second}
	var ids atomic.Int64
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return now },
		NewID: func() string { return fmt.Sprintf("exec-%d", ids.Add(1)) },
		Connections: func(ref any) (weft.Bundle, error) {
			c, ok := conns[fmt.Sprint(ref)]
			if !ok {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %v not found", ref)
			}
			return c, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return &scenario{t: t, tg: tg, eng: eng}
}

// compile builds a blueprint from module JSON in which "DB:" stands for the target's
// app prefix.
func (s *scenario) compile(settings string, mods ...string) *engine.Plan {
	s.t.Helper()
	flow := strings.ReplaceAll("["+strings.Join(mods, ",")+"]", `"DB:`, `"`+s.tg.dialect+":")
	doc := fmt.Sprintf(`{"name":"t","flow":%s,"metadata":{"version":1,"scenario":%s}}`, flow, settings)
	bp, err := blueprint.Parse([]byte(doc))
	if err != nil {
		s.t.Fatalf("parse: %v", err)
	}
	p, err := s.eng.Compile(bp)
	if err != nil {
		s.t.Fatalf("compile: %v", err)
	}
	return p
}

func (s *scenario) run(p *engine.Plan, cycles ...weft.Bundle) *engine.Result {
	s.t.Helper()
	in := engine.Input{}
	for _, c := range cycles {
		in.Trigger = append(in.Trigger, []weft.Bundle{c})
	}
	res, err := s.eng.Run(context.Background(), p, in)
	if err != nil {
		s.t.Fatalf("run: %v", err)
	}
	return res
}

const (
	hook = `{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{},"mapper":{}}`
	// insert stores the payload's user.
	insert = `{"id":2,"module":"DB:InsertRow","version":1,"parameters":{"account":"db"},
		"mapper":{"table":"users","values":{"id":"{{1.id}}","email":"{{1.email}}"}}%s}`
	// broken fails with an InvalidConfigurationError (no such table).
	broken = `{"id":3,"module":"DB:InsertRow","version":1,"parameters":{"account":"db"},
		"mapper":{"table":"nope","values":{"id":"{{1.id}}"}}%s}`
	// other reads the users through the second connection.
	other = `{"id":4,"module":"DB:SelectRows","version":1,"parameters":{"account":"db2","continueWhenNoRes":true},
		"mapper":{"table":"users","columns":["email"]}}`
	// own reads the users through the run's connection.
	own = `{"id":5,"module":"DB:SelectRows","version":1,"parameters":{"account":"db","continueWhenNoRes":true},
		"mapper":{"table":"users","columns":["email"]}}`
)

func handler(directive string) string {
	return fmt.Sprintf(`,"onerror":[{"id":30,"module":"builtin:%s","version":1}]`, directive)
}

func output(t *testing.T, res *engine.Result, id int) []weft.Bundle {
	t.Helper()
	for i := len(res.Log) - 1; i >= 0; i-- {
		if res.Log[i].ModuleID == id {
			return res.Log[i].Output
		}
	}
	t.Fatalf("module %d did not run; log %+v", id, res.Log)
	return nil
}

// The engine's commit and rollback phases (SPEC §2.6) really commit and undo rows.
func TestEngineTransactions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mods     []string
		settings string
		status   weft.Status
		errType  weft.ErrorType
		stored   string
	}{
		// autoCommit (the default): each write is committed right after its module, so
		// a later failure cannot take it back, as in Make.
		{"autoCommit on, run fails", []string{hook, fmt.Sprintf(insert, ""), fmt.Sprintf(broken, "")},
			`{"dlq":false}`, weft.StatusError, weft.InvalidConfigurationError, "a@x.io"},
		{"autoCommit on, Rollback directive", []string{hook, fmt.Sprintf(insert, ""), fmt.Sprintf(broken, handler("Rollback"))},
			`{}`, weft.StatusError, weft.InvalidConfigurationError, "a@x.io"},
		// autoCommit off: the cycle's writes wait for its end.
		{"autoCommit off, success", []string{hook, fmt.Sprintf(insert, "")},
			`{"autoCommit":false}`, weft.StatusSuccess, "", "a@x.io"},
		{"autoCommit off, failed run undoes the rows", []string{hook, fmt.Sprintf(insert, ""), fmt.Sprintf(broken, "")},
			`{"autoCommit":false,"dlq":false}`, weft.StatusError, weft.InvalidConfigurationError, ""},
		{"autoCommit off, Rollback directive undoes the rows", []string{hook, fmt.Sprintf(insert, ""), fmt.Sprintf(broken, handler("Rollback"))},
			`{"autoCommit":false}`, weft.StatusError, weft.InvalidConfigurationError, ""},
		{"autoCommit off, Commit directive keeps them", []string{hook, fmt.Sprintf(insert, ""), fmt.Sprintf(broken, handler("Commit"))},
			`{"autoCommit":false}`, weft.StatusSuccess, "", "a@x.io"},
		{"autoCommit off, incomplete execution keeps the cycle's other writes", []string{hook, fmt.Sprintf(insert, ""), fmt.Sprintf(broken, "")},
			`{"autoCommit":false}`, weft.StatusWarning, "", "a@x.io"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			targets(t, func(t *testing.T, tg *target) {
				s := newScenario(t, tg)
				res := s.run(s.compile(tc.settings, tc.mods...), weft.Bundle{"id": 1.0, "email": "a@x.io"})
				if res.Status != tc.status {
					t.Fatalf("status %s (error %+v); want %s", res.Status, res.Error, tc.status)
				}
				if tc.errType != "" && (res.Error == nil || res.Error.Type != tc.errType) {
					t.Fatalf("error %+v; want %s", res.Error, tc.errType)
				}
				eq(t, "stored", tg.dump(t, "SELECT email FROM users"), tc.stored)
			})
		})
	}
}

// Without autoCommit the writes are the run's until the cycle ends: another
// connection does not see them, the run's own modules do; each cycle commits or rolls
// back on its own.
func TestEngineCycleIsolation(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		s := newScenario(t, tg)
		p := s.compile(`{"autoCommit":false,"roundtrips":3,"dlq":false}`,
			hook, fmt.Sprintf(insert, ""), other, own)
		res := s.run(p, weft.Bundle{"id": 1.0, "email": "a@x.io"})
		if res.Status != weft.StatusSuccess {
			t.Fatalf("status %s: %+v", res.Status, res.Error)
		}
		eq(t, "another connection during the cycle", output(t, res, 4), []weft.Bundle{{"__IMTLENGTH__": 0.0}})
		eq(t, "the run's connection", output(t, res, 5),
			[]weft.Bundle{{"email": "a@x.io", "__IMTINDEX__": 1.0, "__IMTLENGTH__": 1.0}})
		eq(t, "committed at the end of the cycle", tg.dump(t, "SELECT email FROM users"), "a@x.io")

		// Three cycles; the second inserts a duplicate id and fails the run: the first
		// cycle stays committed, the second is rolled back, the third never runs.
		res = s.run(p, weft.Bundle{"id": 2.0, "email": "b@x.io"}, weft.Bundle{"id": 2.0, "email": "c@x.io"},
			weft.Bundle{"id": 4.0, "email": "d@x.io"})
		if res.Status != weft.StatusError || res.Error.Type != weft.DuplicateDataError {
			t.Fatalf("status %s error %+v, want a DuplicateDataError failing the run", res.Status, res.Error)
		}
		eq(t, "after three cycles", tg.dump(t, "SELECT email FROM users ORDER BY id"), "a@x.io;b@x.io")
	})
}

// A unique violation under a Break handler is stored as an incomplete execution; once
// the value is fixed, resuming inserts the row. A not-null violation without a handler
// is a DataError: stored for a person, no automatic retry.
func TestEngineIncompleteExecution(t *testing.T) {
	targets(t, func(t *testing.T, tg *target) {
		tg.exec(t, "INSERT INTO users (id, email) VALUES (1, 'taken@x.io')")
		s := newScenario(t, tg)
		brk := `,"onerror":[{"id":30,"module":"builtin:Break","version":1,"mapper":{"retry":"{{false}}"}}]`
		p := s.compile(`{"autoCommit":false}`, hook, fmt.Sprintf(insert, brk))
		res := s.run(p, weft.Bundle{"id": 2.0, "email": "taken@x.io"})
		if len(res.Incomplete) != 1 {
			t.Fatalf("incomplete executions %+v (status %s, error %+v), want one", res.Incomplete, res.Status, res.Error)
		}
		ie := res.Incomplete[0]
		if ie.ModuleID != 2 || ie.Error.Type != weft.DuplicateDataError || ie.Error.Details["constraint"] == nil && tg.dialect == "postgres" {
			t.Fatalf("incomplete execution: module %d error %+v", ie.ModuleID, ie.Error)
		}
		eq(t, "nothing inserted yet", tg.dump(t, "SELECT id FROM users ORDER BY id"), "1")

		// The person fixes the e-mail in the stored trigger output and resumes.
		fixed := weft.Bundle{}
		for k, v := range ie.Outputs[1].(weft.Bundle) {
			fixed[k] = v
		}
		fixed["email"] = "fixed@x.io"
		ie.Outputs[1] = fixed
		again, err := s.eng.Resume(context.Background(), p, ie, engine.ResumeInput{})
		if err != nil {
			t.Fatal(err)
		}
		if again.Status != weft.StatusSuccess || len(again.Incomplete) != 0 {
			t.Fatalf("resume: status %s error %+v incomplete %+v", again.Status, again.Error, again.Incomplete)
		}
		eq(t, "after the resume", tg.dump(t, "SELECT id, email FROM users ORDER BY id"), "1|taken@x.io;2|fixed@x.io")

		noEmail := `{"id":2,"module":"DB:InsertRow","version":1,"parameters":{"account":"db"},
			"mapper":{"table":"users","values":{"id":"{{1.id}}","email":null}}}`
		res = s.run(s.compile(`{}`, hook, noEmail), weft.Bundle{"id": 3.0})
		if len(res.Incomplete) != 1 || res.Incomplete[0].Error.Type != weft.DataError || res.Incomplete[0].AutoRetry {
			t.Fatalf("not-null violation: status %s incomplete %+v", res.Status, res.Incomplete)
		}
	})
}
