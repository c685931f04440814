package server_test

import (
	"bytes"
	"testing"

	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/service"
)

// vapiBlueprint: Vapi's end-of-call reports (vapi:endOfCallReport, an instant trigger
// whose address the person gives Vapi) are recorded in a data store.
const vapiBlueprint = `{"name":"calls","flow":[{"id":2,"module":"vapi:endOfCallReport","version":1,"parameters":{"__IMTHOOK__":1624920},"mapper":{}},
 {"id":6,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"calls"},
  "mapper":{"key":"{{2.call.id}}","overwrite":false,"data":{"number":"{{2.customer.number}}","reason":"{{2.endedReason}}","summary":"{{2.summary}}","transcript":"{{2.transcript}}"}}}],
 "metadata":{"version":1,"instant":true}}`

// An instant app trigger may reshape the call into its bundle and drop calls it does
// not emit (app.HookSpec.Payload): Vapi sends every server message to the same
// address, wrapped in "message"; only end-of-call reports start a run, with the
// report's fields at the top of the bundle as Make's trigger gives them.
func TestAppHookPayload(t *testing.T) {
	kr, err := secrets.NewKeyring(secrets.Key{ID: "a", Key: bytes.Repeat([]byte("a"), secrets.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	// An instant app trigger's registration is kept encrypted, and needs weft's public
	// address (the one the person gives Vapi).
	e := newEnv(t, func(c *service.Config) { c.BaseURL, c.Secrets = "https://weft.example/", kr })
	id, url := e.scenario(vapiBlueprint)

	// Another server message: acknowledged, nothing queued or run.
	code, body, _ := post(t, url, "application/json", `{"message":{"type":"status-update","status":"in-progress","call":{"id":"call_1"}}}`)
	if code != 200 || body != "Accepted" {
		t.Fatalf("status-update: %d %q", code, body)
	}
	if u, err := e.st.QueueUsage(t.Context(), id); err != nil || u.Items != 0 {
		t.Fatalf("queue after a dropped call: %+v, %v", u, err)
	}
	// The report (Vapi's current shape: summary under analysis, transcript under
	// artifact) runs the scenario.
	code, body, _ = post(t, url, "application/json", `{"message":{"type":"end-of-call-report","endedReason":"customer-ended-call",
		"call":{"id":"call_1","type":"outboundPhoneCall"},"customer":{"number":"+14155550123","name":"Ada"},
		"analysis":{"summary":"Booked a demo for Friday."},"artifact":{"transcript":"AI: Hi Ada…","recordingUrl":"https://storage.vapi.example/1.wav"}}}`)
	if code != 200 {
		t.Fatalf("report: %d %q", code, body)
	}
	var rec map[string]any
	e.waitFor(func() bool {
		r, err := e.st.GetRecord(t.Context(), "calls", "call_1")
		rec = r
		return err == nil
	})
	if rec["number"] != "+14155550123" || rec["reason"] != "customer-ended-call" || rec["summary"] != "Booked a demo for Friday." ||
		rec["transcript"] != "AI: Hi Ada…" {
		t.Fatalf("record %v", rec)
	}
}
