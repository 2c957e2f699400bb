package cli

import (
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/jsload/jsload/internal/grpcc/grpcctest"
)

// TestK6Suite runs every script in testdata/k6suite, unchanged, against
// k6SuiteServer (its URL in __ENV.BASE_URL, given with -e as k6 users do)
// and checks what the script's "// expect:" comment lines say:
//
//	// expect: exit N                     the exit code (default 0)
//	// expect: args --flag value ...      more command-line arguments
//	// expect: row TYPE NAME REQS FAILS   a row of the final table
//	// expect: check NAME PASSES FAILS    a row of the checks table
//	// expect: line REGEXP                a line of stdout or stderr matches
//	// expect: no-line REGEXP             no line matches
//	// expect: served PATH N              the server answered PATH N times
//	// expect: threshold PASS|FAIL NAME EXPR [VALUE]
//	                                      a row of the thresholds table
//	// expect: metric NAME VALUE...       a row of the custom metrics tables (its first cells)
//	// expect: file NAME REGEXP           the file NAME in __ENV.OUT_DIR (a temporary
//	                                      directory of the run) matches REGEXP
//
// Tokens with spaces are written in double quotes (Go syntax).
func TestK6Suite(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("testdata", "k6suite", "*.js"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scripts in testdata/k6suite: %v", err)
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".js"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			exp, err := parseK6Expectations(string(src))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			srv, served := k6SuiteServer(t)
			abs, _ := filepath.Abs(p)
			outDir := t.TempDir()
			args := append([]string{"run", abs, "--headless", "-e", "BASE_URL=" + srv.URL, "-e", "OUT_DIR=" + outDir}, exp.args...)
			args = append(args, k6SuiteGRPC(t, string(src))...)
			res := run(t, nil, nil, args...)
			exp.check(t, res, served)
			exp.checkFiles(t, outDir)
		})
	}
}

type k6Expectations struct {
	exit   int
	args   []string
	rows   [][4]string
	checks [][3]string
	lines  []*regexp.Regexp
	noLine []*regexp.Regexp
	served map[string]int64
	// table rows: each a list of cells that must follow each other on a
	// line, separated by spaces only (threshold, metric)
	cells [][]string
	files map[string][]*regexp.Regexp
}

func parseK6Expectations(src string) (*k6Expectations, error) {
	e := &k6Expectations{served: map[string]int64{}}
	for i, line := range strings.Split(src, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "// expect:")
		if !ok {
			continue
		}
		verb, arg, _ := strings.Cut(strings.TrimSpace(rest), " ")
		arg = strings.TrimSpace(arg)
		bad := func(err error) error { return fmt.Errorf("line %d: %s: %v", i+1, verb, err) }
		switch verb {
		case "file":
			name, reArg, _ := strings.Cut(arg, " ")
			re, err := regexp.Compile(`(?m)` + strings.TrimSpace(reArg))
			if err != nil || name == "" {
				return nil, bad(fmt.Errorf("want NAME REGEXP: %v", err))
			}
			if e.files == nil {
				e.files = map[string][]*regexp.Regexp{}
			}
			e.files[name] = append(e.files[name], re)
			continue
		case "line", "no-line":
			re, err := regexp.Compile(`(?m)` + arg)
			if err != nil {
				return nil, bad(err)
			}
			if verb == "line" {
				e.lines = append(e.lines, re)
			} else {
				e.noLine = append(e.noLine, re)
			}
			continue
		}
		toks, err := k6Tokens(arg)
		if err != nil {
			return nil, bad(err)
		}
		want := map[string]int{"exit": 1, "row": 4, "check": 3, "served": 2}
		if n, ok := want[verb]; ok && len(toks) != n {
			return nil, bad(fmt.Errorf("want %d values, got %d", n, len(toks)))
		}
		switch verb {
		case "exit":
			if e.exit, err = strconv.Atoi(toks[0]); err != nil {
				return nil, bad(err)
			}
		case "args":
			e.args = append(e.args, toks...)
		case "row":
			e.rows = append(e.rows, [4]string(toks))
		case "check":
			e.checks = append(e.checks, [3]string(toks))
		case "threshold":
			if len(toks) < 3 || len(toks) > 4 || toks[0] != "PASS" && toks[0] != "FAIL" {
				return nil, bad(fmt.Errorf("want PASS|FAIL NAME EXPR [VALUE]"))
			}
			e.cells = append(e.cells, toks)
		case "metric":
			if len(toks) < 2 {
				return nil, bad(fmt.Errorf("want NAME VALUE..."))
			}
			e.cells = append(e.cells, toks)
		case "served":
			n, err := strconv.ParseInt(toks[1], 10, 64)
			if err != nil {
				return nil, bad(err)
			}
			e.served[toks[0]] = n
		default:
			return nil, fmt.Errorf("line %d: unknown expectation %q", i+1, verb)
		}
	}
	return e, nil
}

// k6Tokens splits s at spaces; a token in double quotes may hold spaces.
func k6Tokens(s string) ([]string, error) {
	var toks []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, err
			}
			u, _ := strconv.Unquote(q)
			toks, s = append(toks, u), s[len(q):]
			continue
		}
		tok, rest, _ := strings.Cut(s, " ")
		toks, s = append(toks, tok), rest
	}
	return toks, nil
}

func (e *k6Expectations) check(t *testing.T, res result, served *k6Served) {
	t.Helper()
	out := res.stdout + "\n" + res.stderr
	if res.code != e.exit {
		t.Errorf("exit %d, want %d", res.code, e.exit)
	}
	for _, r := range e.rows {
		row := k6TableRow(t, res.stdout, r[0], r[1])
		if row[2] != r[2] || !strings.HasPrefix(row[3], r[3]+"(") {
			t.Errorf("row %s %s: %s requests, %s failures; want %s, %s", r[0], r[1], row[2], row[3], r[2], r[3])
		}
	}
	for _, c := range e.checks {
		if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(c[0]) + ` +` + c[1] + ` +` + c[2] + ` `).MatchString(res.stdout) {
			t.Errorf("check %q: want %s passes and %s failures", c[0], c[1], c[2])
		}
	}
	for _, cells := range e.cells {
		var q []string
		for _, c := range cells {
			if c != "" { // an empty cell is blank space
				q = append(q, regexp.QuoteMeta(c))
			}
		}
		end := `( |$)` // the row's first cells
		if (cells[0] == "PASS" || cells[0] == "FAIL") && len(cells) == 4 {
			end = ` *$` // a threshold's row up to its value
		}
		if !regexp.MustCompile(`(?m)^` + strings.Join(q, ` +`) + end).MatchString(res.stdout) {
			t.Errorf("no table row %q", cells)
		}
	}
	for _, re := range e.lines {
		if !re.MatchString(out) {
			t.Errorf("no line matches %q", re)
		}
	}
	for _, re := range e.noLine {
		if m := re.FindString(out); m != "" {
			t.Errorf("a line matches %q: %q", re, m)
		}
	}
	for path, n := range e.served {
		if got := served.count(path); got != n {
			t.Errorf("the server answered %s %d times, want %d", path, got, n)
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s\nserved: %v", res.stdout, res.stderr, served)
	}
}

// k6TableRow is tableRow for names that may hold spaces ("connect echo"):
// the row's fields with the name as one field.
func k6TableRow(t *testing.T, out, typ, name string) []string {
	t.Helper()
	words := strings.Fields(name)
	if len(words) < 2 {
		return tableRow(t, out, typ, name)
	}
	var found []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > len(words)+1 && f[0] == typ && strings.Join(f[1:1+len(words)], " ") == name && strings.Contains(line, "(") {
			found = append([]string{typ, name}, f[1+len(words):]...)
		}
	}
	if found == nil {
		t.Fatalf("no row %q %q in:\n%s", typ, name, out)
	}
	return found
}

// checkFiles checks the files the script wrote in dir.
func (e *k6Expectations) checkFiles(t *testing.T, dir string) {
	t.Helper()
	for name, res := range e.files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("file %s: %v", name, err)
			continue
		}
		for _, re := range res {
			if !re.Match(b) {
				t.Errorf("file %s: nothing matches %q in:\n%s", name, re, b)
			}
		}
	}
}

// k6Served counts the requests k6SuiteServer answered, by path.
type k6Served struct{ m sync.Map }

func (s *k6Served) add(path string) {
	n, _ := s.m.LoadOrStore(path, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

func (s *k6Served) count(path string) int64 {
	if n, ok := s.m.Load(path); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

func (s *k6Served) String() string {
	var parts []string
	s.m.Range(func(k, v any) bool {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// k6SuiteServer is the suite's target, in the spirit of httpbin:
//
//	/ok                 "ok", with X-Served-By: suite
//	/echo               the request as JSON: method, path, query, headers, body, cookies
//	/status/N           status N
//	/json               {"items":[{"id":1,"name":"a"},{"id":2,"name":"b"}],"total":2}
//	/redirect/N         N redirects (302), then /ok
//	/cookies/set?k=v    sets the cookies given (Path=/), then answers like /cookies
//	/cookies            the request's cookies as JSON
//	/basic-auth/U/P     200 with basic auth U:P, else 401
//	/bytes/N            N bytes
//	/ws                 a WebSocket echo (see k6SuiteWS)
//	/delay/MS           "ok" after MS milliseconds (or when the client goes)
//	/digest-auth/U/P    200 with digest auth (MD5, qop=auth) U:P, else 401
func k6SuiteServer(t *testing.T) (*httptest.Server, *k6Served) {
	t.Helper()
	served := &k6Served{}
	cookies := func(r *http.Request) map[string]string {
		m := map[string]string{}
		for _, c := range r.Cookies() {
			m[c.Name] = c.Value
		}
		return m
	}
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.add(r.URL.Path)
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		switch {
		case r.URL.Path == "/ws":
			k6SuiteWS(w, r)
		case r.URL.Path == "/ok":
			w.Header().Set("X-Served-By", "suite")
			fmt.Fprint(w, "ok")
		case r.URL.Path == "/echo":
			b, _ := io.ReadAll(r.Body)
			h := map[string]string{}
			for k := range r.Header {
				h[k] = r.Header.Get(k)
			}
			writeJSON(w, map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "headers": h, "body": string(b), "cookies": cookies(r)})
		case parts[0] == "status" && len(parts) == 2:
			code, err := strconv.Atoi(parts[1])
			if err != nil || code < 100 || code > 599 {
				http.Error(w, "bad status", http.StatusBadRequest)
				return
			}
			w.WriteHeader(code)
		case r.URL.Path == "/json":
			writeJSON(w, map[string]any{"items": []any{map[string]any{"id": 1, "name": "a"}, map[string]any{"id": 2, "name": "b"}}, "total": 2})
		case parts[0] == "redirect" && len(parts) == 2:
			n, err := strconv.Atoi(parts[1])
			switch {
			case err != nil || n < 0:
				http.Error(w, "bad count", http.StatusBadRequest)
			case n <= 1:
				http.Redirect(w, r, "/ok", http.StatusFound)
			default:
				http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
			}
		case r.URL.Path == "/cookies/set":
			for k, v := range r.URL.Query() {
				http.SetCookie(w, &http.Cookie{Name: k, Value: v[0], Path: "/"})
			}
			writeJSON(w, cookies(r))
		case r.URL.Path == "/cookies":
			writeJSON(w, cookies(r))
		case parts[0] == "basic-auth" && len(parts) == 3:
			if u, p, ok := r.BasicAuth(); !ok || u != parts[1] || p != parts[2] {
				w.Header().Set("WWW-Authenticate", `Basic realm="suite"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			writeJSON(w, map[string]any{"authenticated": true, "user": parts[1]})
		case parts[0] == "delay" && len(parts) == 2:
			ms, err := strconv.Atoi(parts[1])
			if err != nil || ms < 0 || ms > 10000 {
				http.Error(w, "bad delay", http.StatusBadRequest)
				return
			}
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
				fmt.Fprint(w, "ok")
			case <-r.Context().Done():
			}
		case parts[0] == "digest-auth" && len(parts) == 3:
			if !k6SuiteDigestOK(r, parts[1], parts[2]) {
				w.Header().Set("WWW-Authenticate", `Digest realm="suite", qop="auth", nonce="n0nce", opaque="0paque"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			writeJSON(w, map[string]any{"authenticated": true, "user": parts[1]})
		case parts[0] == "bytes" && len(parts) == 2:
			n, err := strconv.Atoi(parts[1])
			if err != nil || n < 0 || n > 1<<20 {
				http.Error(w, "bad size", http.StatusBadRequest)
				return
			}
			_, _ = w.Write(make([]byte, n))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, served
}

// k6SuiteWS is the server's WebSocket route: it echoes every message (text
// as text, binary as binary), except the text messages "close" (it closes
// with 1000 "bye"), "drop" (it drops the connection without a close frame)
// and "ping-me" (it sends a ping, then echoes).
func k6SuiteWS(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{Subprotocols: []string{"echo"}}
	c, err := up.Upgrade(w, r, http.Header{"X-Served-By": {"suite"}})
	if err != nil {
		return
	}
	defer c.Close()
	for {
		typ, b, err := c.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case typ == websocket.TextMessage && string(b) == "close":
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "bye"), time.Now().Add(time.Second))
			_, _, _ = c.ReadMessage() // the client's close
			return
		case typ == websocket.TextMessage && string(b) == "drop":
			return
		case typ == websocket.TextMessage && string(b) == "ping-me":
			if c.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second)) != nil {
				return
			}
		}
		if c.WriteMessage(typ, b) != nil {
			return
		}
	}
}

// k6SuiteGRPC starts the suite's gRPC server (grpcctest.Echo, serving
// testdata/k6suite/protos/echo.proto, with reflection) for a script that
// reads __ENV.GRPC_ADDR, and returns the arguments that give its address.
func k6SuiteGRPC(t *testing.T, src string) []string {
	if !strings.Contains(src, "GRPC_ADDR") {
		return nil
	}
	proto, err := os.ReadFile(filepath.Join("testdata", "k6suite", "protos", "echo.proto"))
	if err != nil {
		t.Fatal(err)
	}
	addr := grpcctest.Start(t, grpcctest.Options{Files: map[string]string{"echo.proto": string(proto)}, Handler: grpcctest.Echo, Reflection: true})
	return []string{"-e", "GRPC_ADDR=" + addr}
}

// k6SuiteDigestOK checks a digest Authorization (RFC 7616, MD5, qop=auth)
// against user and pass for the realm and nonce the suite's server gives.
func k6SuiteDigestOK(r *http.Request, user, pass string) bool {
	a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !ok {
		return false
	}
	f := map[string]string{}
	for _, kv := range regexp.MustCompile(`(\w+)=("[^"]*"|[^,\s]*)`).FindAllStringSubmatch(a, -1) {
		f[kv[1]] = strings.Trim(kv[2], `"`)
	}
	h := func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }
	ha1 := h(user + ":suite:" + pass)
	ha2 := h(r.Method + ":" + f["uri"])
	want := h(ha1 + ":n0nce:" + f["nc"] + ":" + f["cnonce"] + ":auth:" + ha2)
	return f["username"] == user && f["nonce"] == "n0nce" && f["uri"] == r.URL.RequestURI() && f["response"] == want
}

func TestEnvFlagSetsScriptVariables(t *testing.T) {
	t.Parallel()
	src := `import "k6";
export const options = { iterations: 1 };
const atLoad = __ENV.GREETING;
export default function () { console.log("load:", atLoad, "task:", __ENV.GREETING, "empty:", JSON.stringify(__ENV.EMPTY)); }
`
	p := script(t, src)
	res := run(t, nil, nil, "run", p, "--headless", "-e", "GREETING=hello world", "--env", "EMPTY=")
	if res.code != ExitOK || !strings.Contains(res.stderr, `load: hello world task: hello world empty: ""`) {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
	res = run(t, nil, nil, "run", p, "--headless", "-e", "GREETING")
	if res.code != ExitInvalid || !strings.Contains(res.stderr, `wants KEY=VALUE, got "GREETING"`) {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}
