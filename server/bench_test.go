package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/store"
)

// bigWebhookPayload is 400,000 keys in just under 5 MB of JSON, plus an id.
func bigWebhookPayload(id string) []byte {
	var b bytes.Buffer
	b.Grow(5 << 20)
	fmt.Fprintf(&b, `{"id":%q`, id)
	for i := range 400_000 {
		fmt.Fprintf(&b, `,"k%x":%d`, i, i%1000)
	}
	b.WriteByte('}')
	return b.Bytes()
}

const bigRecord = `{"name":"big","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"datastore:AddRecord","version":1,"parameters":{"datastore":"big"},"mapper":{"key":"{{1.id}}","overwrite":true,"data":{"n":"{{1.k0}}"}}}],
 "metadata":{"version":1,"instant":true}}`

// BenchmarkWebhookIntake5MB posts a 5 MB payload of 400,000 keys to a real server over
// loopback. "queued": the scenario is inactive, so the cost is the intake alone (read,
// decode, store); "run": it is active, so the payload also runs (record, log, end).
// Bytes and allocations per op are the server's and the client's together.
func BenchmarkWebhookIntake5MB(b *testing.B) {
	body := bigWebhookPayload("p")
	post := func(b *testing.B, url string) {
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.Run("queued", func(b *testing.B) {
		e := newEnv(b, func(c *server.Config) { c.QueueBytes = 1 << 40 })
		id, url := e.scenario(bigRecord)
		if _, err := e.svc.SetActive(b.Context(), id, false); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			post(b, url)
			b.StopTimer()
			if _, err := e.st.DeleteQueuedItems(b.Context(), store.QueueSelection{ScenarioID: id, All: true}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("run", func(b *testing.B) {
		e := newEnv(b)
		_, url := e.scenario(bigRecord)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			post(b, url)
			<-e.runs
		}
	})
}
