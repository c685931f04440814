package declarative_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/engine"
)

// 324 (a Make user's cold emails, part 2): the spreadsheet's add-on calls the hook
// (watchUpdatedCells) with the company just marked; its row is found with filterRows,
// and when its "Enviar" column says Si, OpenAI writes a subject and an HTML body, Gmail
// (the legacy ActionSendEmail) sends them to the row's address, and the row is marked
// Enviado. The add-on's call is the trigger's bundle as posted (its payload section).
func TestCorpus324SheetChangeToGmail(t *testing.T) {
	google := newGoogleStandIn(t, map[string]string{
		"GET /v4/spreadsheets/1vPemvEUpac7_7eJqcVpa-p3fDzZIY55J5Jf-0d-obtM/values/%27Hoja%201%27!A1%3ACZ": `{"range": "'Hoja 1'!A1:CZ4", "majorDimension": "ROWS",
			"values": [["Empresa", "Email", "Ciudad", "Web", "Estado", "Enviar"],
				["Otra SL", "info@otra.example", "Madrid", "https://otra.example", "", "Si"],
				["Acme Robotics", "ceo@acme.example", "Valencia", "https://acme.example", "", "Si"],
				["Acme Robotics", "ventas@acme.example", "Valencia", "https://acme.example", "", "No"]]}`,
		"PUT /v4/spreadsheets/1vPemvEUpac7_7eJqcVpa-p3fDzZIY55J5Jf-0d-obtM/values/%27Hoja%201%27!3%3A3": `{"spreadsheetId": "1vPemvEUpac7_7eJqcVpa-p3fDzZIY55J5Jf-0d-obtM",
			"updatedRange": "'Hoja 1'!A3:E3", "updatedRows": 1, "updatedColumns": 1, "updatedCells": 1}`,
	})
	openai := newStandIn(t,
		ok(`{"id": "c1", "object": "chat.completion", "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant", "content": "IA para Acme Robotics"}, "finish_reason": "stop"}]}`),
		ok(`{"id": "c2", "object": "chat.completion", "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant", "content": "<p>Hola Acme</p>"}, "finish_reason": "stop"}]}`))
	urls := map[string]string{"google-sheets": google.URL, "google-email": google.URL, "openai-gpt-3": openai.URL}
	eng, p := corpusFile(t, "324-gpt-scaper-correos-automatizados-parte-2.json", urls)

	// The call as the add-on (or the spreadsheet's script) posts it, through the
	// trigger's payload section.
	hook := shipped(t, "google-sheets", "watchUpdatedCells", newStandIn(t)).Hook
	bundle, keep, err := hook.Payload(&app.HookCall{Params: weft.Bundle{"__IMTHOOK__": 1764563}}, decode(t, `{"data": ["Acme Robotics"]}`))
	if err != nil || !keep {
		t.Fatalf("payload: keep %v err %v", keep, err)
	}
	res, err := eng.Run(context.Background(), p, engine.Input{Trigger: [][]weft.Bundle{{bundle}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	reqs := google.requests()
	var keys []string
	for _, r := range reqs {
		keys = append(keys, r.Method+" "+r.Path)
		if a := r.Header.Get("Authorization"); a != "Bearer tok-5969987" && a != "Bearer tok-5969854" {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, a)
		}
	}
	want := []string{"GET /v4/spreadsheets/1vPemvEUpac7_7eJqcVpa-p3fDzZIY55J5Jf-0d-obtM/values/%27Hoja%201%27!A1%3ACZ",
		"POST /gmail/v1/users/me/messages/send",
		"PUT /v4/spreadsheets/1vPemvEUpac7_7eJqcVpa-p3fDzZIY55J5Jf-0d-obtM/values/%27Hoja%201%27!3%3A3"}
	if strings.Join(keys, " | ") != strings.Join(want, " | ") {
		t.Fatalf("Google requests\n  %q\nwant\n  %q", keys, want)
	}
	// The "No" row matched the company too, but the filter before OpenAI stopped it.
	if c := openai.requests(); len(c) != 2 || !strings.Contains(c[0].Body, "empresa llamada Acme Robotics") ||
		!strings.Contains(c[1].Body, "ubicada en Valencia con el siguiente website https://acme.example") {
		t.Fatalf("OpenAI requests %v", c)
	}
	m, err := email.ParseMessage(bytes.NewReader(google.sent[0]))
	if err != nil {
		t.Fatal(err)
	}
	to := m["to"].([]any)
	if len(to) != 1 || to[0].(map[string]any)["address"] != "ceo@acme.example" || m["subject"] != "IA para Acme Robotics" ||
		!strings.Contains(m["html"].(string), "<p>Hola Acme</p>") {
		t.Fatalf("email to %v subject %q html %q", to, m["subject"], m["html"])
	}
	sameJSON(t, "row update", jsonBody(t, reqs[2].Body), `{"majorDimension": "ROWS", "values": [[null, null, null, null, "Enviado"]]}`)
}
