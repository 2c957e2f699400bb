package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// accounts is a login server for scripts/credentials.js: it counts each
// user name's logins and the password mismatches.
type accounts struct {
	want  map[string]string
	mu    sync.Mutex
	used  map[string]int
	wrong int
}

func newAccounts(t *testing.T) (*accounts, *httptest.Server) {
	f, err := os.Open("../../scripts/data/users.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	a := &accounts{want: map[string]string{}, used: map[string]int{}}
	for _, r := range rows[1:] {
		a.want[r[0]] = r[1]
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			var body struct{ Username, Password string }
			_ = json.NewDecoder(r.Body).Decode(&body)
			a.mu.Lock()
			a.used[body.Username]++
			if a.want[body.Username] != body.Password {
				a.wrong++
			}
			a.mu.Unlock()
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return a, srv
}

// check: every account of the CSV logged in exactly once, with its password.
func (a *accounts) check(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.want) != 1000 {
		t.Fatalf("the CSV has %d accounts, want 1000", len(a.want))
	}
	for name := range a.want {
		if n := a.used[name]; n != 1 {
			t.Errorf("%s logged in %d times, want once", name, n)
		}
	}
	if len(a.used) != len(a.want) || a.wrong != 0 {
		t.Errorf("%d distinct logins, %d with a wrong password", len(a.used), a.wrong)
	}
}

// logins is how many logins the server has seen.
func (a *accounts) logins() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.used {
		n += c
	}
	return n
}

// interruptAfterLogins waits until the server has seen every account log
// in (not a run time, which a busy machine may not reach), then stops p
// as Ctrl-C does.
func (a *accounts) interruptAfterLogins(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for a.logins() < len(a.want) {
		if time.Now().After(deadline) {
			t.Fatalf("%d logins after 90 s, want %d:\n%s", a.logins(), len(a.want), p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 60*time.Second); code != 130 {
		t.Fatalf("exit code %d after Ctrl-C, want 130:\n%s", code, p.output())
	}
}

// scripts/credentials.js in one process: 1,000 users, 1,000 accounts, each
// used once.
func TestCredentialsExample(t *testing.T) {
	t.Parallel()
	a, srv := newAccounts(t)
	p := start(t, "run", "../../scripts/credentials.js", "--headless", "-u", "1000", "-r", "500", "--host", srv.URL, "--only-summary")
	a.interruptAfterLogins(t, p)
	a.check(t)
}

// The same in a distributed run: a master and two workers, which have no
// copy of the script or the CSV (their working folder is elsewhere); the
// master hands out each account once.
func TestCredentialsExampleDistributed(t *testing.T) {
	t.Parallel()
	a, srv := newAccounts(t)
	port := strconv.Itoa(freePort(t))
	var workers []*proc
	for i := 0; i < 2; i++ {
		workers = append(workers, startIn(t, t.TempDir(), "run", "--worker", "--master-port", port, "--run-id", "creds"))
	}
	master := start(t, "run", "../../scripts/credentials.js", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
		"--run-id", "creds", "--expect-workers", "2", "--expect-workers-max-wait", "60s",
		"--headless", "-u", "1000", "-r", "500", "--host", srv.URL, "--only-summary")
	a.interruptAfterLogins(t, master)
	for i, w := range workers {
		if code := w.wait(t, 15*time.Second); code != 0 {
			t.Errorf("worker %d exit code %d:\n%s", i, code, w.output())
		}
		if !strings.Contains(w.output(), "running ../../scripts/credentials.js from the master") {
			t.Errorf("worker %d did not run the master's script:\n%s", i, w.output())
		}
	}
	a.check(t)
}

// startIn starts jsload in dir.
func startIn(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	return startInEnv(t, dir, nil, args...)
}
