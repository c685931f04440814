package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/weftworks/weft/server/api"
)

// DATA/weft.addr is how the command line finds the `weft serve` that holds a data
// folder: the server's address on this machine and a credential for it (a token with
// every scope that exists only in that server's memory, auth.WithLocalToken). The file
// is written 0600 once the server listens and removed when it stops; whoever may read
// it may read the database and the key file beside it anyway (docs/security.md).

const addrFile = "weft.addr"

// serverInfo is the content of DATA/weft.addr.
type serverInfo struct {
	// URL is where the API's host answers on this machine (http://127.0.0.1:8080):
	// the listener's own address, a loopback one when it listens on every address.
	URL string `json:"url"`
	// Token is the server's local credential.
	Token string `json:"token"`
	// PID is the server's process id, as in DATA/weft.pid while it holds the lock.
	PID int `json:"pid"`
}

// writeServerInfo writes DATA/weft.addr for the server listening on ln, atomically
// (a reader never sees half a file), and returns the function that removes it.
func writeServerInfo(dir string, ln net.Addr, token string) (func(), error) {
	info := serverInfo{URL: "http://" + localAddr(ln), Token: token, PID: os.Getpid()}
	data, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, addrFile)
	tmp, err := os.CreateTemp(dir, addrFile+".*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return func() {
		// Only ours: a server started after this one stopped may have written its own.
		if cur := readServerInfo(dir); cur != nil && cur.Token == token {
			os.Remove(path)
		}
	}, nil
}

// localAddr is the address a client on this machine dials to reach the listener: the
// unspecified address (0.0.0.0, ::) becomes the loopback address of its family.
func localAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	switch {
	case ip == nil || ip.Equal(net.IPv4zero):
		ip = net.IPv4(127, 0, 0, 1)
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// readServerInfo reads DATA/weft.addr (nil when there is none or it cannot be read).
func readServerInfo(dir string) *serverInfo {
	data, err := os.ReadFile(filepath.Join(dir, addrFile))
	if err != nil {
		return nil
	}
	var info serverInfo
	if json.Unmarshal(data, &info) != nil || info.URL == "" || info.Token == "" {
		return nil
	}
	return &info
}

// serverInfoOf returns the server holding the data folder, nil when DATA/weft.addr is
// missing or stale: a server killed without a chance to remove it left it, and the
// process holding the folder now (its pid in DATA/weft.pid) is another.
func serverInfoOf(dir string) *serverInfo {
	info := readServerInfo(dir)
	if info == nil {
		return nil
	}
	pid, err := os.ReadFile(filepath.Join(dir, "weft.pid"))
	if err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(info.PID) {
		return nil
	}
	return info
}

// removeStaleServerInfo removes DATA/weft.addr; call it holding the data folder's
// lock (no server can be running then).
func removeStaleServerInfo(dir string) {
	if err := os.Remove(filepath.Join(dir, addrFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return // read-only folder: the pid check keeps it from misleading anyone
	}
}

// reachable reports whether the server answers (a reading command that finds no
// server reads the data folder itself instead).
func (info *serverInfo) reachable(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(info.URL, "/")+api.Prefix+"/version", nil)
	if err != nil {
		return false
	}
	res, err := (&http.Client{Timeout: probeTimeout}).Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
