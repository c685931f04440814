package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/service"
)

// graphSink stands in for Meta's Graph API: it records the messages sent.
type graphSink struct {
	*httptest.Server
	mu   sync.Mutex
	sent []graphRequest
}

type graphRequest struct {
	Method, Path, Auth string
	Body               map[string]any
}

func newGraphSink(t *testing.T) *graphSink {
	g := &graphSink{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		g.mu.Lock()
		g.sent = append(g.sent, graphRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), body})
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.reply1"}]}`)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graphSink) requests() []graphRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]graphRequest(nil), g.sent...)
}

// export115 is the shared corpus's blueprint 115 (a WhatsApp chatbot: each message
// received is answered); imported, both modules use the person's connection and the
// reply goes from their number (the export redacted both).
func export115(t *testing.T, connID int64) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", "115-create-a-basic-chatbot-for-whatsapp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if connID == 0 {
		return string(data)
	}
	var bp map[string]any
	if err := json.Unmarshal(data, &bp); err != nil {
		t.Fatal(err)
	}
	flow := bp["flow"].([]any)
	for _, m := range flow {
		m.(map[string]any)["parameters"] = map[string]any{"__IMTCONN__": connID}
	}
	flow[1].(map[string]any)["mapper"].(map[string]any)["fromId"] = "106540352242922"
	out, err := json.Marshal(bp)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// Blueprint 115 through the server: Meta checks the hook's address with a GET that
// must echo hub.challenge (app.HookSpec.Answer, before anything is read or queued);
// signed calls run the scenario, which answers the sender on WhatsApp; calls that are
// not signed with the app secret are refused and queue nothing.
func TestWhatsAppHandshakeAndChatbot(t *testing.T) {
	graph := newGraphSink(t)
	t.Setenv("WEFT_APP_BASEURL_WHATSAPP_BUSINESS_CLOUD", graph.URL)
	kr, err := secrets.NewKeyring(secrets.Key{ID: "a", Key: bytes.Repeat([]byte("a"), secrets.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *service.Config) { c.BaseURL, c.Secrets = "https://weft.example/", kr })

	// As exported the trigger names no connection: the scenario cannot be activated.
	sc, err := e.svc.CreateScenario(t.Context(), []byte(export115(t, 0)), "")
	if err == nil {
		_, err = e.svc.SetActive(t.Context(), sc.ID, true)
	}
	if err == nil || !strings.Contains(err.Error(), "__IMTCONN__") {
		t.Fatalf("the export as is: %v", err)
	}

	conn, err := e.svc.CreateConnection(t.Context(), "wa", "whatsapp-business-cloud",
		map[string]any{"accessToken": "EAAG-token", "appSecret": "app-secret-1", "verifyToken": "my verify token"})
	if err != nil {
		t.Fatal(err)
	}
	id, url := e.scenario(export115(t, conn.ID))

	get := func(query string) (int, string) {
		resp, err := http.Get(url + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The check Meta makes when the address is saved in the app's dashboard.
	if code, body := get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my+verify+token"); code != 200 || body != "1158201444" {
		t.Fatalf("handshake: %d %q", code, body)
	}
	if code, _ := get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess"); code != 403 {
		t.Fatalf("handshake with a wrong token: %d", code)
	}
	// An unsigned call, or one signed with another secret: 401, nothing queued.
	msg := `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
		"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
		"messages":[{"from":"16505551234","id":"wamid.in1","timestamp":"1749416383","type":"text","text":{"body":"Hi!"}}]}}]}]}`
	signed := func(secret string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(msg))
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	if code, _, _ := post(t, url, "application/json", msg); code != 401 {
		t.Fatalf("unsigned call: %d", code)
	}
	if code, _, _ := post(t, url, "application/json", msg, "X-Hub-Signature-256", signed("another app")); code != 401 {
		t.Fatalf("call signed with another secret: %d", code)
	}
	if u, err := e.st.QueueUsage(t.Context(), id); err != nil || u.Items != 0 {
		t.Fatalf("queue after the handshakes and refused calls: %+v, %v", u, err)
	}
	if n := len(graph.requests()); n != 0 {
		t.Fatalf("messages sent before a signed call: %d", n)
	}

	// Meta's call, signed: the chatbot answers the sender.
	if code, body, _ := post(t, url, "application/json", msg, "X-Hub-Signature-256", signed("app-secret-1")); code != 200 || body != "Accepted" {
		t.Fatalf("signed call: %d %q", code, body)
	}
	e.waitFor(func() bool { return len(graph.requests()) > 0 })
	sent := graph.requests()
	if len(sent) != 1 || sent[0].Method != "POST" || sent[0].Path != "/106540352242922/messages" || sent[0].Auth != "Bearer EAAG-token" {
		t.Fatalf("sent %+v", sent)
	}
	want := `{"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"text",` +
		`"text":{"body":"Thanks for your message! I'm a basic chatbot! To make my answers more sophisticated, you can use routers, filters or send http requests to your own scenarios with webhooks.","preview_url":false}}`
	var w map[string]any
	_ = json.Unmarshal([]byte(want), &w)
	got, _ := json.Marshal(sent[0].Body)
	wb, _ := json.Marshal(w)
	if string(got) != string(wb) {
		t.Fatalf("message\n got %s\nwant %s", got, wb)
	}
}
