package declarative_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// exportEngine compiles a copy of a shared-corpus export (testdata/corpus) on every
// shipped app, declarative apps pointed at stand-ins, with the given connections.
// hosts replaces the start of absolute URLs the blueprint's HTTP modules call (the
// services' own addresses) with a stand-in's, as a DNS entry would.
func exportEngine(t *testing.T, name string, urls map[string]string, conns map[string]weft.Bundle, hosts map[string]string) (*engine.Engine, *engine.Plan) {
	t.Helper()
	data, err := os.ReadFile(corpus.Export(name))
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range hosts {
		if !strings.Contains(string(data), from) {
			t.Fatalf("%s calls no %s", name, from)
		}
		data = []byte(strings.ReplaceAll(string(data), from, to))
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: fullRegistry(t, urls), Clock: func() time.Time { return now },
		NewID: func() string { return "exec-1" },
		Connections: func(ref any) (weft.Bundle, error) {
			c, found := conns[value.Text(ref)]
			if !found {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %q not found", value.Text(ref))
			}
			return c, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return eng, p
}

// 052 (bicced/make-integromat-crypto-workflows): set the transfer's variables, ask
// the wallet API to send it (an API key connection), announce it on Discord.
func TestExport052TransferAnnouncedOnDiscord(t *testing.T) {
	conns := map[string]weft.Bundle{
		"71843":   {"key": "afk-key-1", "placement": "header", "name": "X-API-Key"},
		"5836268": discordCreds,
	}
	wallet := func(t *testing.T) *standIn {
		w := newStandIn(t, ok(`{"txHash":"0xabc","status":"submitted"}`))
		return w
	}
	t.Run("sent and announced", func(t *testing.T) {
		w, d := wallet(t), newDiscordAPI(t)
		eng, p := exportEngine(t, "052-ethereum-transfer-with-discord-notification-templa.json",
			map[string]string{"discord": d.URL}, conns, map[string]string{"https://api.staging.afkcrypto.com": w.URL})
		res := runOnce(t, eng, p, `{}`)
		if res.Status != weft.StatusSuccess || res.Operations != 3 {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		g := w.only(t)
		if g.Method != "POST" || g.Path != "/v1/send" || g.Header.Get("X-API-Key") != "afk-key-1" ||
			g.Header.Get("Idempotency-Key") != "1772600767000" || g.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("wallet request %s %s key %q idempotency %q type %q", g.Method, g.Path, g.Header.Get("X-API-Key"),
				g.Header.Get("Idempotency-Key"), g.Header.Get("Content-Type"))
		}
		sameJSON(t, "wallet body", jsonBody(t, g.Body), `{"chain":"ethereum","to":"RECIPIENT_WALLET_ADDRESS","asset":"native","amount":"1000000000"}`)
		m := d.only(t)
		if m.Method != "POST" || m.Path != "/channels/1280652667408089210/messages" || m.Header.Get("Authorization") != "Bot bot-secret-token" {
			t.Fatalf("discord request %s %s auth %q", m.Method, m.Path, m.Header.Get("Authorization"))
		}
		body := jsonBody(t, m.Body)
		if body["content"] != "✅ Ethereum Transfer Successful ✅ \n\nTo: RECIPIENT_WALLET_ADDRESS\nAmount: 1000000000" ||
			len(value.Text(body["nonce"])) != 25 || body["enforce_nonce"] != true || len(body) != 3 {
			t.Fatalf("discord body %v", body)
		}
		if len(d.stored()) != 1 {
			t.Fatalf("messages %v", d.stored())
		}
	})
	// 052 turns dlq off (Make's default): a failure is not kept; the run ends in error.
	t.Run("the bot may not post in the channel: the run fails", func(t *testing.T) {
		w, d := wallet(t), newDiscordAPI(t)
		d.answer(discordError(403, 50013, "Missing Permissions"))
		eng, p := exportEngine(t, "052-ethereum-transfer-with-discord-notification-templa.json",
			map[string]string{"discord": d.URL}, conns, map[string]string{"https://api.staging.afkcrypto.com": w.URL})
		res := runOnce(t, eng, p, `{}`)
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 9 || res.Error.Type != weft.InvalidConfigurationError ||
			res.Error.Message != "[403] Missing Permissions (code 50013)" || len(res.Incomplete) != 0 {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		if len(w.requests()) != 1 {
			t.Fatalf("wallet requests %d", len(w.requests()))
		}
	})
}
