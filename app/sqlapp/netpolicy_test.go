package sqlapp_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/sqlapp"
	"github.com/weftworks/weft/netpolicy"
)

// tcpToUnix forwards connections on a 127.0.0.1 port to the test server's Unix socket
// (the private cluster listens on no port), counting the connections it accepted.
func tcpToUnix(t *testing.T, socket string) (string, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() {
				defer c.Close()
				u, err := net.Dial("unix", socket)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.Copy(c, u)
			}()
		}
	}()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), &n
}

func TestPostgresOutboundPolicy(t *testing.T) {
	tg := postgresTarget(t)
	cfg, err := pgconn.ParseConfig(tg.conn["dsn"].(string))
	if err != nil {
		t.Fatal(err)
	}
	_, socket := pgconn.NetworkAddress(cfg.Host, cfg.Port)
	if !strings.HasPrefix(cfg.Host, "/") {
		t.Fatalf("the test server is expected on a Unix socket, not %s", cfg.Host)
	}
	pol := netpolicy.Server()

	// A Unix socket is a local service: denied by default.
	h := newHarness(t, tg, sqlapp.Options{Net: pol})
	_, err = h.run("ExecuteQuery", nil, query("SELECT 1"))
	we := weft.AsError(err)
	if we == nil || we.Type != weft.InvalidConfigurationError ||
		!strings.Contains(we.Message, "outbound policy: unix socket "+socket+" is denied by rule unix (every Unix socket)") {
		t.Fatalf("unix socket: %v", err)
	}
	// A loopback address is too.
	port := closedPort(t)
	h.exec.Connections["tcp"] = weft.Bundle{"host": "127.0.0.1", "port": port, "user": cfg.User, "database": cfg.Database}
	_, err = h.run("ExecuteQuery", weft.Bundle{"account": "tcp"}, query("SELECT 1"))
	if we := weft.AsError(err); we == nil || we.Type != weft.InvalidConfigurationError ||
		!strings.Contains(we.Message, "127.0.0.1:"+port+" is denied by rule loopback (127.0.0.0/8)") {
		t.Fatalf("loopback: %v", err)
	}

	// The operator allows the socket's folder.
	if err := pol.Allow("unix:"+cfg.Host, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.run("ExecuteQuery", nil, query("SELECT 1")); err != nil {
		t.Fatalf("allowed socket: %v", err)
	}

	// A host name rule: pgx passes the name to the dialer, and the cancel request of a
	// module's deadline (which dials the connection's address) still gets through, so
	// the statement is cancelled by the server (57014) rather than the connection cut.
	fwdPort, accepted := tcpToUnix(t, socket)
	if err := pol.Allow("localhost:"+fwdPort, ""); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, tg, sqlapp.Options{Net: pol})
	h2.exec.Connections["db"] = weft.Bundle{"host": "localhost", "port": fwdPort, "user": cfg.User,
		"password": cfg.Password, "database": cfg.Database, "sslmode": "disable"}
	if _, err := h2.run("ExecuteQuery", nil, query("SELECT 1")); err != nil {
		t.Fatalf("allowed name: %v", err)
	}
	before := accepted.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err = h2.call(ctx, "ExecuteQuery", nil, query("SELECT pg_sleep(5)"))
	we = weft.AsError(err)
	if we == nil || we.Type != weft.ModuleTimeoutError || we.Details["sqlstate"] != "57014" {
		t.Fatalf("deadline: %v (details %v)", err, we)
	}
	if accepted.Load() != before+1 {
		t.Fatalf("the cancel request made %d connections, want 1", accepted.Load()-before)
	}
	// The same address without the name is still refused.
	h2.exec.Connections["ip"] = weft.Bundle{"host": "127.0.0.1", "port": fwdPort, "user": cfg.User,
		"password": cfg.Password, "database": cfg.Database, "sslmode": "disable"}
	_, err = h2.run("ExecuteQuery", weft.Bundle{"account": "ip"}, query("SELECT 1"))
	if we := weft.AsError(err); we == nil || we.Type != weft.InvalidConfigurationError {
		t.Fatalf("the address of an allowed name: %v", err)
	}
}
