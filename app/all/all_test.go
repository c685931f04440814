package all_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/netpolicy"
)

// TestNetPolicyReachesEveryConnectingApp: Deps.Net is the policy of the HTTP app, the
// declarative apps, Gmail, SMTP and Postgres. Each is pointed at a 127.0.0.1 port and refused
// before connecting, with the error naming the rule.
func TestNetPolicyReachesEveryConnectingApp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	t.Setenv("WEFT_APP_BASEURL_SLACK", "http://"+addr)
	t.Setenv("WEFT_APP_BASEURL_NOTION", "http://"+addr)
	t.Setenv("WEFT_APP_BASEURL_MICROSOFT_EXCEL", "http://"+addr)
	t.Setenv("WEFT_APP_BASEURL_GOOGLE_EMAIL", "http://"+addr)
	reg, err := all.New(all.Deps{Net: netpolicy.Server()})
	if err != nil {
		t.Fatal(err)
	}
	exec := apptest.NewExec()
	exec.Connections["smtp"] = weft.Bundle{"host": "127.0.0.1", "port": port, "from": "a@example.com"}
	exec.Connections["pg"] = weft.Bundle{"host": "127.0.0.1", "port": port, "user": "u", "database": "d"}
	exec.Connections["slack"] = weft.Bundle{"accessToken": "xoxb-1"}
	exec.Connections["notion"] = weft.Bundle{"accessToken": "ntn_1"}
	exec.Connections["ms"] = weft.Bundle{"accessToken": "eyJ.1"}
	exec.Connections["google"] = weft.Bundle{"provider": "google", "accessToken": "ya29.x"}
	for _, c := range []struct {
		module         string
		params, mapper weft.Bundle
	}{
		{"http:MakeRequest", nil, weft.Bundle{"url": "http://" + addr + "/"}},
		{"http:ActionGetFile", nil, weft.Bundle{"url": "http://" + addr + "/f"}},
		{"email:ActionSendEmail", weft.Bundle{"account": "smtp"}, weft.Bundle{"to": []any{"b@example.org"}, "text": "x", "contentType": "text"}},
		{"postgres:ExecuteQuery", weft.Bundle{"account": "pg"}, weft.Bundle{"query": "SELECT 1"}},
		{"slack:CreateMessage", weft.Bundle{"__IMTCONN__": "slack"}, weft.Bundle{"channelWType": "list", "channel": "C1", "text": "x"}},
		{"notion:getADatabase", weft.Bundle{"__IMTCONN__": "notion"}, weft.Bundle{"database": "d1"}},
		{"microsoft-excel:addAWorksheetRow", weft.Bundle{"__IMTCONN__": "ms"}, weft.Bundle{"workbook": "/b.xlsx", "worksheet": "S", "row": map[string]any{"0": "x"}}},
		{"google-email:sendAnEmail", weft.Bundle{"__IMTCONN__": "google"}, weft.Bundle{"to": []any{"b@example.org"}, "bodyType": "rawHtml"}},
	} {
		spec, ok := reg.Lookup(c.module)
		if !ok {
			t.Fatalf("%s is not registered", c.module)
		}
		_, err := apptest.Run(context.Background(), spec, c.params, c.mapper, exec)
		we := weft.AsError(err)
		if we == nil || we.Type != weft.InvalidConfigurationError ||
			!strings.Contains(we.Message, addr+" is denied by rule loopback (127.0.0.0/8); allow it with --net-allow") {
			t.Errorf("%s: %v", c.module, err)
		}
	}
}
