package cli

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestWebSocketAndTCPEndToEnd runs a script using jsload/ws and jsload/tcp
// with --single-user (one trace line per message and exchange) and
// inspects it.
func TestWebSocketAndTCPEndToEnd(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, b, err := c.ReadMessage()
			if err != nil || c.WriteMessage(typ, b) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					_, _ = c.Write([]byte("+" + line))
				}
			}()
		}
	}()
	src := `import { task } from "jsload";
import ws from "jsload/ws";
import tcp from "jsload/tcp";
export const talk = task(() => {
  const w = ws.connect("/echo");
  w.request("hi");
  const c = tcp.connect("` + ln.Addr().String() + `", { name: "line" });
  c.write("hello\n");
  c.readUntil("\n");
  c.close();
  w.close();
});
`
	path := script(t, src)
	r := run(t, nil, nil, "run", path, "--single-user", "-H", srv.URL)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "[VU") {
			lines = append(lines, l)
		}
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\[VU 1\] task talk \(iteration 0\)$`),
		regexp.MustCompile(`^\[VU 1\] WS connect /echo -> ok \(\d+\.\d ms, 0 B\) ws://127\.0\.0\.1:\d+/echo$`),
		regexp.MustCompile(`^\[VU 1\] WS /echo -> ok \(\d+\.\d ms, 2 B\) "hi"$`),
		regexp.MustCompile(`^\[VU 1\] TCP connect line -> ok \(\d+\.\d ms, 0 B\) 127\.0\.0\.1:\d+$`),
		regexp.MustCompile(`^\[VU 1\] TCP line -> ok \(\d+\.\d ms, 7 B\) "\+hello\\n"$`),
		regexp.MustCompile(`^\[VU 1\] WS close /echo -> ok \(\d+\.\d ms, 0 B\) code 1000$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i, lines[i], re)
		}
	}
	for _, row := range []string{"WS +connect /echo", "WS +/echo", "WS +close /echo", "TCP +connect line", "TCP +line"} {
		if !regexp.MustCompile(`(?m)^` + row + ` +1 +0\(0\.00%\) \|`).MatchString(r.stdout) {
			t.Errorf("no row %q with one request in:\n%s", row, r.stdout)
		}
	}

	r = run(t, nil, nil, "inspect", path)
	if r.code != 0 || !strings.Contains(r.stdout, "talk") {
		t.Errorf("inspect: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
