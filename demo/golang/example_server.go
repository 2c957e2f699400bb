// Command example_server is the demo target for jsload.
//
// It is a small HTTP service whose endpoints answer with deliberately
// different latencies, so a load test against it produces interesting
// statistics: a slow write endpoint, a slow and variable read endpoint, a fast
// cookie-aware endpoint, a login that sets a cookie, a "model registry" used by
// the custom-client demo, and an instant root endpoint for throughput
// benchmarks.
//
// It uses the standard library, gorilla/websocket for /ws (ws.go), and
// google.golang.org/grpc for the model registry over gRPC (registry.go);
// build the package:
//
//	cd demo && go build -o example_server ./golang && ./example_server
//
// Flags:
//
//	-addr ADDR            listen address (default ":8080"; "127.0.0.1:0" picks a free port)
//	-latency-scale F      multiply every artificial delay by F (default 1; 0 disables delays)
//	-quiet                print nothing but the "listening on" lines
//	-grpc-addr ADDR       the gRPC model registry's address (default "127.0.0.1:0"; "off" for none)
//	-cert-dir DIR         where the registry's demo CA and client certificate go (default: a temp folder)
//
// The first line written to stdout is always
//
//	example_server listening on http://HOST:PORT
//
// with the address actually bound, so scripts can start the server on port 0
// and read the chosen port from that line. The second is the gRPC registry's:
//
//	example_server grpc registry on HOST:PORT (mutual TLS; client certificate in DIR)
//
// DIR holds ca.pem, client.pem and client-key.pem, made at start for the
// demo only (see registry.go and registry.proto).
//
// Endpoints:
//
//	GET  /                         "ok\n", no delay
//	POST /api/users                JSON {"name": ...} -> 201 {"id": N, "name": ...}; 200-400 ms
//	GET  /entries                  200, JSON list of entries; 100-600 ms, skewed towards the low end
//	POST /login                    form or JSON user name -> 200, sets cookie "session"; 1-5 ms
//	GET  /profile                  200 JSON, includes the user name when logged in; 1-5 ms
//	GET  /registry/models          200, JSON list of models; 10-50 ms
//	GET  /registry/models/{name}   200 {"name","version","size"} or 404 {"error"}; 10-50 ms
//	POST /registry/models          JSON {"name","version"} -> 201 with the model; 10-50 ms
//	GET  /ws                       WebSocket: echoes each message (1-5 ms); "notify N" -> N notifications (ws.go)
//
// Any other method or path answers 404 with a JSON error body.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	mrand "math/rand/v2"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"
)

const (
	// maxBodyBytes bounds every request body the server reads.
	maxBodyBytes = 1 << 20
	// maxModels bounds the registry so a long load test cannot grow it forever.
	maxModels = 10000
	// maxNameLen bounds user and model names.
	maxNameLen = 200
	// shutdownGrace is how long in-flight requests get to finish on SIGINT/SIGTERM.
	shutdownGrace = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses flags, serves until ctx is cancelled, then shuts down
// gracefully. It returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("example_server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", "listen address (host:port); port 0 picks a free port")
	scale := fs.Float64("latency-scale", 1.0, "multiply every artificial delay by this factor (0 disables delays)")
	quiet := fs.Bool("quiet", false, "print nothing but the listening line")
	grpcReg := addRegistryFlags(fs) // the gRPC model registry (registry.go)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "example_server: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	if math.IsNaN(*scale) || math.IsInf(*scale, 0) || *scale < 0 {
		fmt.Fprintf(stderr, "example_server: -latency-scale must be a finite number >= 0, got %v\n", *scale)
		return 2
	}

	logf := func(format string, a ...any) {
		if !*quiet {
			fmt.Fprintf(stderr, "example_server: "+format+"\n", a...)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "example_server: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "example_server listening on %s\n", displayURL(ln.Addr()))
	stopRegistry, err := grpcReg.start(*scale, stdout)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "example_server: %v\n", err)
		return 1
	}
	defer stopRegistry()
	logf("latency scale %g; press Ctrl-C to stop", *scale)

	srv := &http.Server{
		Handler:           newMux(*scale),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	// Per-connection errors (clients going away mid-request under load) are
	// expected during load tests; only show them when not quiet.
	if *quiet {
		srv.ErrorLog = log.New(io.Discard, "", 0)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		fmt.Fprintf(stderr, "example_server: %v\n", err)
		return 1
	case <-ctx.Done():
	}

	logf("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logf("shutdown: %v", err)
		_ = srv.Close()
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "example_server: %v\n", err)
		return 1
	}
	logf("stopped")
	return 0
}

// displayURL turns a bound address into a URL a client on this machine can
// use: an unspecified host (":8080", "0.0.0.0", "::") becomes 127.0.0.1.
func displayURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// ---------------------------------------------------------------------------
// Handlers

// server holds the state shared by all handlers. Every field is safe for
// concurrent use.
type server struct {
	scale  float64
	nextID atomic.Int64
	// sessionKey signs session cookies, so sessions need no server-side
	// storage and cannot grow without bound.
	sessionKey []byte

	mu     sync.RWMutex
	models map[string]model
}

type model struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Size    int64  `json:"size"`
}

type entry struct {
	ID     int    `json:"id"`
	Title  string `json:"title"`
	Author string `json:"author"`
	Likes  int    `json:"likes"`
}

var entryPool = []entry{
	{1, "Why tail latency matters", "grace", 0},
	{2, "Designing a fair load test", "ada", 0},
	{3, "Percentiles are not averages", "edsger", 0},
	{4, "Warm caches, cold facts", "barbara", 0},
	{5, "Backpressure in practice", "ken", 0},
	{6, "Cookies, sessions and state", "radia", 0},
	{7, "Measuring what users feel", "donald", 0},
	{8, "The cost of a round trip", "frances", 0},
}

var seedModels = []model{
	{"bert-base", "1.0.2", 440_473_133},
	{"mobilenet-v3", "3.1.0", 21_846_592},
	{"resnet-50", "2.4.1", 102_502_400},
	{"tiny-llama", "0.9.0", 2_200_119_864},
	{"whisper-small", "1.2.0", 967_092_419},
}

// newMux returns the demo server's handler. scale multiplies every artificial
// delay; 0 disables them.
func newMux(scale float64) http.Handler {
	s := &server{
		scale:      scale,
		sessionKey: make([]byte, 32),
		models:     make(map[string]model, len(seedModels)),
	}
	if _, err := rand.Read(s.sessionKey); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for _, m := range seedModels {
		s.models[m.Name] = m
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("POST /api/users", s.handleCreateUser)
	mux.HandleFunc("GET /entries", s.handleEntries)
	mux.HandleFunc("POST /login", s.handleLogin)
	mux.HandleFunc("GET /profile", s.handleProfile)
	mux.HandleFunc("GET /registry/models", s.handleListModels)
	mux.HandleFunc("POST /registry/models", s.handleRegisterModel)
	mux.HandleFunc("GET /registry/models/{name}", s.handleGetModel)
	mux.HandleFunc("GET /ws", s.handleWS) // ws.go
	// The catch-all is less specific than every route above, so it only sees
	// unknown paths and known paths with another method: both answer 404.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// GET / — instant, tiny, for throughput benchmarks.
func (s *server) handleRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "3")
	_, _ = io.WriteString(w, "ok\n")
}

// POST /api/users — slow write: 200-400 ms.
func (s *server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := strings.TrimSpace(body.Name)
	if msg := checkName(name, "name"); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	if !s.delay(r, uniform(200*time.Millisecond, 400*time.Millisecond)) {
		return
	}
	id := s.nextID.Add(1)
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "name": name})
}

// GET /entries — slow, variable read: 100-600 ms, mostly around 200 ms.
func (s *server) handleEntries(w http.ResponseWriter, r *http.Request) {
	if !s.delay(r, entriesLatency()) {
		return
	}
	n := 3 + mrand.IntN(4) // 3..6 entries
	out := make([]entry, 0, n)
	for _, i := range mrand.Perm(len(entryPool))[:n] {
		e := entryPool[i]
		e.Likes = mrand.IntN(500)
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b entry) int { return a.ID - b.ID })
	writeJSON(w, http.StatusOK, out)
}

// entriesLatency draws from a log-normal distribution (median 200 ms) clamped
// to [100 ms, 600 ms], giving a visible gap between median and p95/p99.
func entriesLatency() time.Duration {
	ms := 200 * math.Exp(0.45*mrand.NormFloat64())
	ms = min(max(ms, 100), 600)
	return time.Duration(ms * float64(time.Millisecond))
}

// POST /login — accepts a user name as a form field or JSON ("user",
// "username" or "name") and sets the "session" cookie. 1-5 ms.
func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	user, err := loginUser(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if msg := checkName(user, "user"); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	if !s.delay(r, uniform(time.Millisecond, 5*time.Millisecond)) {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     "session",
		Value:    s.signSession(user),
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "user": user})
}

func loginUser(w http.ResponseWriter, r *http.Request) (string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var body struct {
			User     string `json:"user"`
			Username string `json:"username"`
			Name     string `json:"name"`
		}
		if err := decodeJSON(w, r, &body); err != nil {
			return "", err
		}
		return strings.TrimSpace(firstNonEmpty(body.User, body.Username, body.Name)), nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return "", fmt.Errorf("invalid form: %v", err)
	}
	return strings.TrimSpace(firstNonEmpty(r.Form.Get("user"), r.Form.Get("username"), r.Form.Get("name"))), nil
}

// GET /profile — fast: 1-5 ms. Includes the user name when the request
// carries a valid session cookie.
func (s *server) handleProfile(w http.ResponseWriter, r *http.Request) {
	if !s.delay(r, uniform(time.Millisecond, 5*time.Millisecond)) {
		return
	}
	resp := map[string]any{"loggedIn": false, "user": nil, "plan": "free"}
	if c, err := r.Cookie("session"); err == nil {
		if user, ok := s.verifySession(c.Value); ok {
			resp["loggedIn"] = true
			resp["user"] = user
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// GET /registry/models — tens of ms.
func (s *server) handleListModels(w http.ResponseWriter, r *http.Request) {
	if !s.delay(r, registryLatency()) {
		return
	}
	s.mu.RLock()
	out := make([]model, 0, len(s.models))
	for _, m := range s.models {
		out = append(out, m)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b model) int { return strings.Compare(a.Name, b.Name) })
	writeJSON(w, http.StatusOK, out)
}

// GET /registry/models/{name} — tens of ms; 404 for unknown names.
func (s *server) handleGetModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.delay(r, registryLatency()) {
		return
	}
	s.mu.RLock()
	m, ok := s.models[name]
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found", name))
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// POST /registry/models — registers (or re-registers) a model. Tens of ms.
func (s *server) handleRegisterModel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Size    *int64 `json:"size"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	m := model{Name: strings.TrimSpace(body.Name), Version: strings.TrimSpace(body.Version)}
	if msg := checkName(m.Name, "name"); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	if strings.Contains(m.Name, "/") {
		writeError(w, http.StatusBadRequest, "name must not contain '/'")
		return
	}
	if m.Version == "" {
		m.Version = "0.0.1"
	}
	if len(m.Version) > maxNameLen {
		writeError(w, http.StatusBadRequest, "version is too long")
		return
	}
	if body.Size != nil {
		if *body.Size < 0 {
			writeError(w, http.StatusBadRequest, "size must be >= 0")
			return
		}
		m.Size = *body.Size
	} else {
		m.Size = pseudoSize(m.Name)
	}
	if !s.delay(r, registryLatency()) {
		return
	}
	s.mu.Lock()
	_, exists := s.models[m.Name]
	full := !exists && len(s.models) >= maxModels
	if !full {
		s.models[m.Name] = m
	}
	s.mu.Unlock()
	if full {
		writeError(w, http.StatusInsufficientStorage, "registry is full ("+strconv.Itoa(maxModels)+" models)")
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func registryLatency() time.Duration { return uniform(10*time.Millisecond, 50*time.Millisecond) }

// pseudoSize gives a registered model without an explicit size a stable,
// plausible size (1 MB to ~1 GB) derived from its name.
func pseudoSize(name string) int64 {
	sum := sha256.Sum256([]byte(name))
	var v uint64
	for _, b := range sum[:8] {
		v = v<<8 | uint64(b)
	}
	return 1<<20 + int64(v%(1<<30))
}

// ---------------------------------------------------------------------------
// Sessions: the cookie value is base64url(user) "." base64url(HMAC(user)).

func (s *server) signSession(user string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(user)) + "." + enc.EncodeToString(s.mac(user))
}

func (s *server) verifySession(token string) (string, bool) {
	enc := base64.RawURLEncoding
	u, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	user, err1 := enc.DecodeString(u)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(string(user))) {
		return "", false
	}
	return string(user), true
}

func (s *server) mac(user string) []byte {
	h := hmac.New(sha256.New, s.sessionKey)
	h.Write([]byte(user))
	return h.Sum(nil)[:16]
}

// ---------------------------------------------------------------------------
// Helpers

// delay sleeps for d times the latency scale. It returns false if the client
// went away first, in which case the handler should not bother answering.
func (s *server) delay(r *http.Request, d time.Duration) bool {
	if s.scale == 0 {
		return true
	}
	d = time.Duration(float64(d) * s.scale)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// uniform returns a duration drawn uniformly from [lo, hi).
func uniform(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(mrand.Int64N(int64(hi-lo)))
}

// decodeJSON decodes a single JSON value from the request body into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("invalid JSON: empty body")
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: trailing data after the object")
	}
	return nil
}

func checkName(name, field string) string {
	switch {
	case name == "":
		return field + " is required"
	case len(name) > maxNameLen:
		return field + " is too long"
	case !utf8.ValidString(name):
		return field + " is not valid UTF-8"
	}
	return ""
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
