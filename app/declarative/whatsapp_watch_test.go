package declarative_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// whatsappCall is a call of Meta's webhook of the WhatsApp Business Platform: one
// entry per business account, one change per event (here a text message received).
const whatsappCall = `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
	"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
	"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
	"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]}}]}]}`

// Blueprint 115's trigger. Meta's webhook as documented: the address saved in the
// app's dashboard is checked by GET ?hub.mode=subscribe&hub.verify_token=…&
// hub.challenge=…, which must answer the challenge; every call is signed in
// X-Hub-Signature-256 as "sha256=" + hex(HMAC-SHA256(app secret, body)).
func TestWhatsAppWatchEvents(t *testing.T) {
	spec := shipped(t, "whatsapp-business-cloud", "watchEvents", newStandIn(t))
	if spec.Kind != app.KindTrigger || spec.Hook == nil || spec.Hook.Answer == nil || spec.Hook.Verify == nil || spec.Hook.Payload == nil {
		t.Fatalf("spec %+v", spec)
	}
	creds := weft.Bundle{"accessToken": "EAAG", "appSecret": "app-secret-1", "verifyToken": "my verify token"}
	call := &app.HookCall{URL: "https://weft.example/hooks/tok1", Params: weft.Bundle{"__IMTCONN__": 7.0},
		Connection: func(ref any) (weft.Bundle, error) {
			if ref != 7.0 {
				return nil, errors.New("unknown connection")
			}
			return creds, nil
		}}
	// The person gives Meta the address: nothing is registered with Meta.
	state, err := spec.Hook.Register(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}

	// Meta's check of the address: the challenge echoed for the right token only.
	get := func(query string) ([]byte, bool, error) {
		return spec.Hook.Answer(context.Background(), call, httptest.NewRequest("GET", "/hooks/tok1?"+query, nil), state)
	}
	body, handled, err := get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my+verify+token")
	if err != nil || !handled || string(body) != "1158201444" {
		t.Fatalf("handshake: %q %v %v", body, handled, err)
	}
	var ve *app.VerifyError
	for _, q := range []string{"hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess", "hub.mode=subscribe&hub.challenge=1"} {
		if _, handled, err := get(q); !handled || !errors.As(err, &ve) || ve.Status != 403 {
			t.Fatalf("handshake %s: handled %v err %v", q, handled, err)
		}
	}
	// A connection without a verify token refuses every handshake.
	creds["verifyToken"] = ""
	if _, handled, err := get("hub.mode=subscribe&hub.challenge=1&hub.verify_token="); !handled || !errors.As(err, &ve) || ve.Status != 403 {
		t.Fatalf("handshake without a verify token: %v %v", handled, err)
	}
	creds["verifyToken"] = "my verify token"
	// Other calls are not handshakes: they go on to be verified and queued.
	req := httptest.NewRequest("POST", "/hooks/tok1", strings.NewReader(whatsappCall))
	if _, handled, err := spec.Hook.Answer(context.Background(), call, req, state); handled || err != nil {
		t.Fatalf("a POST is answered as a handshake: %v %v", handled, err)
	}

	verify := func(b []byte, secret string) error {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(b)
		req := httptest.NewRequest("POST", "/hooks/tok1", strings.NewReader(string(b)))
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		return spec.Hook.Verify(context.Background(), call, req, b, state)
	}
	if err := verify([]byte(whatsappCall), "app-secret-1"); err != nil {
		t.Fatalf("a call signed with the app secret: %v", err)
	}
	if err := verify([]byte(whatsappCall), "another app"); !errors.As(err, &ve) || ve.Status != 401 {
		t.Fatalf("a call signed with another secret: %v", err)
	}
	if err := spec.Hook.Verify(context.Background(), call, httptest.NewRequest("POST", "/hooks/tok1", nil), []byte(whatsappCall), state); !errors.As(err, &ve) || ve.Status != 401 {
		t.Fatalf("an unsigned call: %v", err)
	}

	// The bundle: the first change's value with the account id and the field, as
	// Make's interface lists them; the whole entry is kept.
	out, keep, err := spec.Hook.Payload(call, decode(t, whatsappCall))
	if err != nil || !keep {
		t.Fatalf("payload: %v %v", keep, err)
	}
	entry := decode(t, whatsappCall)["entry"]
	want := decode(t, `{"id":"102290129340398","field":"messages","messaging_product":"whatsapp",
		"metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
		"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
		"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]}`)
	want["entry"] = entry
	sameJSON(t, "bundle", out, string(jsonOf(want)))
	// Another object's call (the app's Instagram or page webhook) is dropped.
	if _, keep, err := spec.Hook.Payload(call, decode(t, `{"object":"page","entry":[{"id":"1","changes":[]}]}`)); keep || err != nil {
		t.Fatalf("a page event is kept: %v %v", keep, err)
	}
}
