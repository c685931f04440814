package declarative_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// An order with two line items, as the shop's webhook sends it.
const order029 = `{"order_id":"A-1001","order_timestamp":"2026-03-04T05:00:00Z","customer_name":"Ada Lovelace",
	"customer_email":"ada@example.com","payment_status":"paid","total_amount":59.5,"line_items":[
	{"item_id":"i1","product_name":"Loom","sku":"LM-1","quantity":1,"unit_price":49.5,"line_total":49.5},
	{"item_id":"i2","product_name":"Thread","sku":"TH-2","quantity":2,"unit_price":5,"line_total":10}]}`

// The order sheet 029 searches (column A holds the order id): A-1001 is in row 3,
// written in lower case (the search and the duplicate filter ignore case).
const (
	ordersWith1001 = `{"range":"Sheet1!A1:CZ3","majorDimension":"ROWS","values":[
		["OrderID","order_timestamp","customer_name"],["A-0999","2026-03-01T10:00:00Z","Bo"],["a-1001","2026-03-02T11:00:00Z","Ada"]]}`
	ordersWithout1001 = `{"range":"Sheet1!A1:CZ2","majorDimension":"ROWS","values":[
		["OrderID","order_timestamp","customer_name"],["A-0999","2026-03-01T10:00:00Z","Bo"]]}`
)

// Every module of 029 writes to the same (redacted) spreadsheet and sheet.
const (
	sheet029  = "/v4/spreadsheets/SPREADSHEET_ID_PLACEHOLDER/values/%27Sheet1%27!"
	append029 = sheet029 + "A1%3AZ1:append"
	search029 = sheet029 + "A1%3ACZ"
)

// 029: a shop's order webhook. Invalid orders are logged to a sheet; valid ones are
// searched in the order sheet, and then a router logs duplicates and (on its
// unfiltered second route) adds the order row, an Airtable invoice, a confirmation
// email, one row per line item, a Slack message and the order row's final status.
func TestCorpus029EcommerceOrders(t *testing.T) {
	t.Run("settings: sequential, roundtrips 0 read as one cycle", func(t *testing.T) {
		sheets := orderSheets(t, ordersWithout1001)
		eng, p := corpus029Engine(t, nil, map[string]string{"google-sheets": sheets.URL})
		if !p.Settings.Sequential || p.Settings.Roundtrips != 1 || !p.Settings.DLQ {
			t.Fatalf("settings %+v", p.Settings)
		}
		res, err := eng.Run(t.Context(), p, engine.Input{Trigger: [][]weft.Bundle{{decode(t, `{"customer_name":"First"}`)},
			{decode(t, `{"customer_name":"Second"}`)}}})
		if err != nil || res.Status != weft.StatusSuccess || res.Operations != 2 || len(sheets.requests()) != 1 {
			t.Fatalf("err %v status %s operations %d requests %+v", err, res.Status, res.Operations, sheets.requests())
		}
	})
	t.Run("order already in the sheet: logged as duplicate, then processed too", func(t *testing.T) {
		w := new029(t, ordersWith1001, ok(`{"ok":true,"channel":"C1","ts":"1.2"}`))
		res := runOnce(t, w.eng, w.plan, order029)
		if res.Status != weft.StatusSuccess || res.Operations != 12 || res.Error != nil {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		g := w.sheets.requests()
		if len(g) != 6 {
			t.Fatalf("sheet requests %+v, want the search, 4 rows and the update", g)
		}
		for i, r := range g {
			if r.Header.Get("Authorization") != "Bearer tok-CONNECTION_PLACEHOLDER" {
				t.Fatalf("sheet request %d auth %q", i, r.Header.Get("Authorization"))
			}
		}
		if g[0].Method != "GET" || g[0].Path != search029 ||
			g[0].Query != "dateTimeRenderOption=FORMATTED_STRING&majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE" {
			t.Fatalf("search %+v", g[0])
		}
		for i, want := range []string{
			`["A-1001","2026-03-04T05:00:00Z","Ada Lovelace","ada@example.com",59.5,"2026-03-04T05:06:07.000Z","order_id_already_exists"]`,
			`["A-1001","2026-03-04T05:00:00Z","Ada Lovelace","ada@example.com","paid",59.5,2,"2026-03-04T05:06:07.000Z","Processing","Processing"]`,
			`["A-1001","i1","Loom","LM-1",1,49.5,49.5,"2026-03-04T05:06:07.000Z"]`,
			`["A-1001","i2","Thread","TH-2",2,5,10,"2026-03-04T05:06:07.000Z"]`,
		} {
			r := g[1+i]
			if r.Method != "POST" || r.Path != append029 || r.Query != "insertDataOption=INSERT_ROWS&valueInputOption=USER_ENTERED" {
				t.Fatalf("row %d: %+v", i, r)
			}
			sameJSON(t, "row "+strconv.Itoa(i), jsonBody(t, r.Body), `{"majorDimension":"ROWS","values":[`+want+`]}`)
		}
		// The order row was appended as row 8 (the stand-in numbers rows from 7).
		if u := g[5]; u.Method != "PUT" || u.Path != sheet029+"8%3A8" || u.Query != "valueInputOption=USER_ENTERED" {
			t.Fatalf("update %+v", u)
		}
		sameJSON(t, "update", jsonBody(t, g[5].Body),
			`{"majorDimension":"ROWS","values":[[null,null,null,null,null,null,null,null,"Processed","Sent_to_Slack"]]}`)

		a := w.airtable.only(t)
		if a.Method != "POST" || a.Path != "/AIRTABLE_BASE_ID_PLACEHOLDER/AIRTABLE_TABLE_ID_PLACEHOLDER" ||
			a.Header.Get("Authorization") != "Bearer tok-CONNECTION_PLACEHOLDER" {
			t.Fatalf("Airtable request %+v", a)
		}
		// "INV- " + " " concatenates: the blueprint's invoice number has two spaces.
		sameJSON(t, "Airtable record", jsonBody(t, a.Body), `{"typecast":false,"fields":{"fldcBg7KmhgPfR4kR":"INV-  A-1001",
			"fld35wkcSwN7m3gLY":"A-1001","fldB9TDVm9EBscWs0":"Ada Lovelace","fld69xAIo3GNtO4yO":"ada@example.com",
			"fldKKhEUR2JBoq2UC":59.5,"fld9NBrStSvpIdqjO":"Paid","fldNOPAURcFybM4hA":"2026-03-04T05:06:07.000Z"}}`)

		m := w.mail.only(t)
		if m.from != "shop@example.com" || !slices.Equal(m.rcpts, []string{"ada@example.com"}) {
			t.Fatalf("envelope from %q to %v", m.from, m.rcpts)
		}
		msg, err := email.ParseMessage(bytes.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "email", map[string]any{"from": msg["from"], "to": msg["to"], "subject": msg["subject"], "text": msg["text"], "html": msg["html"]},
			`{"from":{"address":"shop@example.com","name":"Shop"},"to":[{"address":"ada@example.com","name":""}],
			"subject":"Your order has been confirmed — A-1001","html":"",
			"text":"Hi Ada Lovelace,\n\nThank you for your purchase. Your order has been received successfully, and your invoice has been generated.\n\nOrder ID: A-1001\nInvoice ID: INV-A-1001\nTotal Amount: 59.5\n\nWe appreciate your business and will continue processing your order.\n\nBest regards,\nYour Team"}`)

		s := w.slack.only(t)
		if s.Path != "/chat.postMessage" || s.Header.Get("Authorization") != "Bearer tok-CONNECTION_PLACEHOLDER" {
			t.Fatalf("Slack request %s auth %q", s.Path, s.Header.Get("Authorization"))
		}
		sameJSON(t, "Slack body", jsonBody(t, s.Body), `{"channel":"SLACK_CHANNEL_PLACEHOLDER","mrkdwn":true,
			"text":"New paid order received\r\n\r\nOrder ID: A-1001\nOrder Time: 2026-03-04T05:00:00Z\nCustomer: Ada Lovelace\nItems: 2\nTotal Amount: 59.5\nPayment Status: paid"}`)
		if n := len(w.telegram.requests()); n != 0 {
			t.Fatalf("Telegram received %d requests", n)
		}
	})
	// Make's Search Rows emits no bundle when nothing matches, and the route stops
	// there: as exported, 029 never reaches its router for an order it has not seen.
	t.Run("new order: the search finds nothing and the route ends", func(t *testing.T) {
		w := new029(t, ordersWithout1001, ok(`{"ok":true}`))
		res := runOnce(t, w.eng, w.plan, order029)
		if res.Status != weft.StatusSuccess || res.Operations != 2 || res.Error != nil {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		if g := w.sheets.only(t); g.Method != "GET" || g.Path != search029 {
			t.Fatalf("sheet request %+v, want the search", g)
		}
		w.nothingElse(t)
	})
	t.Run("invalid order (no order_id): logged as invalid only", func(t *testing.T) {
		w := new029(t, ordersWith1001, ok(`{"ok":true}`))
		res := runOnce(t, w.eng, w.plan, `{"order_timestamp":"2026-03-04T05:00:00Z","customer_name":"Ada Lovelace",
			"customer_email":"ada@example.com","line_items":[]}`)
		if res.Status != weft.StatusSuccess || res.Operations != 2 || res.Error != nil {
			t.Fatalf("status %s operations %d error %+v", res.Status, res.Operations, res.Error)
		}
		g := w.sheets.only(t)
		if g.Method != "POST" || g.Path != append029 {
			t.Fatalf("sheet request %+v, want one appended row", g)
		}
		// The blueprint maps customer_name into the customer_email column too.
		sameJSON(t, "invalid row", jsonBody(t, g.Body), `{"majorDimension":"ROWS",
			"values":[["2026-03-04T05:00:00Z",null,"Ada Lovelace","Ada Lovelace","missing_required_field"]]}`)
		w.nothingElse(t)
	})
	t.Run("Slack fails: Telegram is told and Break keeps the order for 3 retries", func(t *testing.T) {
		w := new029(t, ordersWith1001, ok(`{"ok":false,"error":"channel_not_found"}`))
		res := runOnce(t, w.eng, w.plan, order029)
		if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Error == nil || res.Error.ModuleID != 17 ||
			res.Error.Type != weft.DataError || res.Error.Message != "[200] channel_not_found" {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		ie := res.Incomplete[0]
		if ie.ModuleID != 17 || !ie.AutoRetry || ie.Break == nil ||
			*ie.Break != (builtin.BreakSettings{Retry: true, Count: 3, Interval: 15 * time.Minute}) {
			t.Fatalf("incomplete execution at %d retry %v break %+v", ie.ModuleID, ie.AutoRetry, ie.Break)
		}
		tg := w.telegram.only(t)
		if tg.Method != "POST" || tg.Path != "/bot1:bot-CONNECTION_PLACEHOLDER/sendMessage" {
			t.Fatalf("Telegram request %+v", tg)
		}
		sameJSON(t, "Telegram body", jsonBody(t, tg.Body), `{"chat_id":"TELEGRAM_CHAT_PLACEHOLDER",
			"text":"Slack order notification failed\r\n\r\nOrder ID: A-1001\nOrder Time: 2026-03-04T05:00:00Z\nCustomer: Ada Lovelace\nItems: 2\nTotal Amount: 59.5\nPayment Status: paid"}`)
		// Everything before Slack happened; the status update after it did not.
		g := w.sheets.requests()
		if len(g) != 5 || g[4].Method != "POST" || len(w.airtable.requests()) != 1 || len(w.mail.messages()) != 1 {
			t.Fatalf("sheet requests %d (last %s), Airtable %d, emails %d", len(g), g[len(g)-1].Method,
				len(w.airtable.requests()), len(w.mail.messages()))
		}
	})
	t.Run("the search fails: Slack is told and Break keeps the order", func(t *testing.T) {
		w := new029(t, "", ok(`{"ok":true,"channel":"C1","ts":"1.2"}`))
		res := runOnce(t, w.eng, w.plan, order029)
		if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || res.Error == nil || res.Error.ModuleID != 7 ||
			res.Error.Type != weft.RateLimitError {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		if ie := res.Incomplete[0]; ie.ModuleID != 7 || !ie.AutoRetry || ie.Break == nil || ie.Break.Count != 3 {
			t.Fatalf("incomplete execution at %d retry %v break %+v", ie.ModuleID, ie.AutoRetry, ie.Break)
		}
		sameJSON(t, "Slack body", jsonBody(t, w.slack.only(t).Body), `{"channel":"SLACK_CHANNEL_PLACEHOLDER","mrkdwn":true,
			"text":"Order duplicate check failed\r\n\r\nOrder ID: A-1001Customer: Ada LovelaceTime: 2026-03-04T05:00:00Z\nThe workflow could not verify whether this order already exists, so processing was stopped to avoid duplicate logging."}`)
		if n := len(w.sheets.requests()); n != 1 || len(w.airtable.requests()) != 0 || len(w.mail.messages()) != 0 {
			t.Fatalf("sheet requests %d, Airtable %d, emails %d", n, len(w.airtable.requests()), len(w.mail.messages()))
		}
	})
}

// world029 is 029 compiled against its stand-ins.
type world029 struct {
	eng                     *engine.Engine
	plan                    *engine.Plan
	sheets, airtable, slack *standIn
	telegram                *standIn
	mail                    *smtpStandIn
}

// new029 starts the stand-ins: the order sheet answers the search with sheet ("" : a
// quota error), Slack answers slackReply.
func new029(t *testing.T, sheet string, slackReply reply) *world029 {
	t.Helper()
	w := &world029{
		sheets:   orderSheets(t, sheet),
		airtable: newStandIn(t, ok(`{"id":"recA1001","createdTime":"2026-03-04T05:06:07.000Z","fields":{}}`)),
		slack:    newStandIn(t, slackReply),
		telegram: newStandIn(t, ok(`{"ok":true,"result":{"message_id":5,"chat":{"id":42},"text":"…"}}`)),
		mail:     newSMTPStandIn(t),
	}
	w.eng, w.plan = corpus029Engine(t, w.mail, map[string]string{"google-sheets": w.sheets.URL, "airtable": w.airtable.URL,
		"slack": w.slack.URL, "telegram": w.telegram.URL})
	return w
}

// nothingElse checks no service but the sheet was called.
func (w *world029) nothingElse(t *testing.T) {
	t.Helper()
	if a, s, tg, m := len(w.airtable.requests()), len(w.slack.requests()), len(w.telegram.requests()), len(w.mail.messages()); a+s+tg+m != 0 {
		t.Fatalf("Airtable %d, Slack %d, Telegram %d requests, %d emails; want none", a, s, tg, m)
	}
}

// orderSheets is the Google Sheets stand-in: the search reads sheet ("": Google's quota
// error), each appended row gets the next row number from 7, updates succeed.
func orderSheets(t *testing.T, sheet string) *standIn {
	t.Helper()
	var mu sync.Mutex
	next := 7
	s := newStandIn(t)
	s.fn = func(r *http.Request, _ string) reply {
		switch r.Method {
		case "GET":
			if sheet == "" {
				return reply{status: 429, body: `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Read requests'","status":"RESOURCE_EXHAUSTED"}}`}
			}
			return ok(sheet)
		case "POST":
			mu.Lock()
			n := next
			next++
			mu.Unlock()
			return ok(fmt.Sprintf(`{"spreadsheetId":"SPREADSHEET_ID_PLACEHOLDER","tableRange":"Sheet1!A1:J%d",
				"updates":{"spreadsheetId":"SPREADSHEET_ID_PLACEHOLDER","updatedRange":"Sheet1!A%d:J%d","updatedRows":1,"updatedColumns":10,"updatedCells":10}}`, n-1, n, n))
		}
		return ok(`{"spreadsheetId":"SPREADSHEET_ID_PLACEHOLDER","updatedRange":"Sheet1!A8:J8","updatedRows":1,"updatedColumns":2,"updatedCells":2}`)
	}
	return s
}

// corpus029Engine is corpusEngine with one more connection: EMAIL_ACCOUNT_PLACEHOLDER
// is the SMTP stand-in (plain text on 127.0.0.1); every other connection resolves to
// the same test credentials.
func corpus029Engine(t *testing.T, mail *smtpStandIn, urls map[string]string) (*engine.Engine, *engine.Plan) {
	t.Helper()
	conns := func(ref any) (weft.Bundle, error) {
		if value.Text(ref) == "EMAIL_ACCOUNT_PLACEHOLDER" && mail != nil {
			return weft.Bundle{"host": mail.host, "port": float64(mail.port), "tls": "none", "from": "Shop <shop@example.com>"}, nil
		}
		return weft.Bundle{"accessToken": "tok-" + value.Text(ref), "apiKey": "sk-" + value.Text(ref), "token": "1:bot-" + value.Text(ref)}, nil
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	eng, err := engine.New(engine.Options{Registry: fullRegistry(t, urls), Clock: func() time.Time { return now },
		NewID: func() string { return "exec-1" }, Connections: conns})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(corpus.Path("029-ecommerce-order-processing.json"))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Compile(bp)
	if err != nil {
		t.Fatalf("compile 029: %v", err)
	}
	return eng, p
}

// smtpStandIn is an SMTP server on 127.0.0.1 that accepts every message and keeps it.
type smtpStandIn struct {
	host string
	port int
	mu   sync.Mutex
	got  []mailed
}

type mailed struct {
	from  string
	rcpts []string
	data  []byte
}

func newSMTPStandIn(t *testing.T) *smtpStandIn {
	t.Helper()
	ms := &smtpStandIn{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: ms}, nil }))
	srv.Domain = "mail.test"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	host, port, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ms.host = host
	ms.port, err = strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func (ms *smtpStandIn) messages() []mailed {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]mailed(nil), ms.got...)
}

// only returns the one message the server accepted.
func (ms *smtpStandIn) only(t *testing.T) mailed {
	t.Helper()
	got := ms.messages()
	if len(got) != 1 {
		t.Fatalf("SMTP stand-in accepted %d messages, want 1", len(got))
	}
	return got[0]
}

type smtpSession struct {
	s   *smtpStandIn
	cur mailed
}

func (ss *smtpSession) Reset()        { ss.cur = mailed{} }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.cur.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.rcpts = append(ss.cur.rcpts, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.data = data
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, ss.cur)
	ss.s.mu.Unlock()
	return nil
}
