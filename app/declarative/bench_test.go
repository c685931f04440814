package declarative_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// benchRun runs a prepared module b.N times, as the engine calls it per bundle.
func benchRun(b *testing.B, spec *app.Spec, creds weft.Bundle, mapper string) {
	exec := apptest.NewExec()
	exec.Connections["conn"] = creds
	params, err := app.PrepareParameters(spec, weft.Bundle{"__IMTCONN__": "conn"})
	if err != nil {
		b.Fatal(err)
	}
	m, err := spec.New(app.Config{ModuleID: 1, Version: 1, Parameters: params})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		in, err := app.PrepareInput(spec, decode(b, mapper))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Run(context.Background(), &app.Call{ModuleID: 1, Input: in, Params: params, Exec: exec}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSlackCreateMessage is one Slack call against a local stand-in: templates,
// JSON, HTTP on 127.0.0.1, response parsing and error check.
func BenchmarkSlackCreateMessage(b *testing.B) {
	s := newStandIn(b, ok(`{"ok":true,"channel":"C1","ts":"1.2","message":{"text":"hi"}}`))
	benchRun(b, shipped(b, "slack", "CreateMessage", s), slackCreds,
		`{"channelWType":"list","channel":"C1","text":"Order 7 paid","mrkdwn":true,"blocks":"[{\"type\":\"divider\"}]"}`)
}

// BenchmarkSheetsFilterRows1000 searches a 1000-row sheet with a two-condition filter,
// sorted, returning 100 bundles.
func BenchmarkSheetsFilterRows1000(b *testing.B) {
	var rows []string
	rows = append(rows, `["name","qty","token"]`)
	for i := range 1000 {
		rows = append(rows, fmt.Sprintf(`["n%d","%d","t-%d"]`, i, i%50, i%10))
	}
	s := newStandIn(b, ok(`{"values":[`+strings.Join(rows, ",")+`]}`))
	benchRun(b, shipped(b, "google-sheets", "filterRows", s), googleCreds,
		`{"spreadsheetId":"1Abc","sheetId":"Sheet1","tableFirstRow":"A1:C1","orderBy":"B","sortOrder":"desc",
		  "filter":[[{"a":"C","o":"text:equal:ci","b":"T-3"},{"a":"B","o":"number:greater","b":"2"}]]}`)
}
