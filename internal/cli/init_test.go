package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jsload/jsload/js"
)

// The starter scripts run: against a local server, with a small iteration
// budget.
func TestInitWritesAStarterThatRuns(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	sizes := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sizes[r.URL.Query().Get("size")]++
		mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		name   string
		args   []string
		script string
		config string
	}{
		{"javascript", nil, "loadtest.js", "jsconfig.json"},
		{"typescript", []string{"--typescript"}, "loadtest.ts", "tsconfig.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "perf")
			r := run(t, nil, nil, append([]string{"init", dir}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("init: exit %d\n%s", r.code, r.stderr)
			}
			for _, f := range []string{c.script, c.config, "jsload.d.ts", "jsload.conf"} {
				if !strings.Contains(r.stdout, "wrote "+filepath.Join(dir, f)) {
					t.Errorf("init does not say it wrote %s:\n%s", f, r.stdout)
				}
			}
			dts, err := os.ReadFile(filepath.Join(dir, "jsload.d.ts"))
			if err != nil || string(dts) != js.TypeDeclarations {
				t.Errorf("jsload.d.ts is not the embedded declarations (%v)", err)
			}
			r = run(t, nil, nil, "run", filepath.Join(dir, c.script), "-H", srv.URL, "--headless", "-u", "2", "-r", "100", "-i", "6", "--page-size", "5")
			if r.code != 0 || !strings.Contains(r.stdout, "home (onStart)") || !strings.Contains(r.stdout, "status is 200") {
				t.Fatalf("the starter did not run cleanly (exit %d):\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if row := tableRow(t, r.stdout, "", "Aggregated"); row[1] != "8" {
				t.Errorf("Aggregated row %v: want 8 requests (2 onStart + 6 tasks)", row)
			}
			mu.Lock()
			defer mu.Unlock()
			if sizes["10"] != 0 {
				t.Errorf("a request used the default page size, not --page-size 5: %v", sizes)
			}
		})
	}
}

func TestInitNeverOverwrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mine := filepath.Join(dir, "jsload.d.ts")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, nil, "init", dir)
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "not overwriting "+mine) || !strings.Contains(r.stderr, "nothing was written") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(mine); string(b) != "mine" {
		t.Errorf("the file was overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "loadtest.js")); !os.IsNotExist(err) {
		t.Errorf("loadtest.js was written beside the existing file: %v", err)
	}
	if r := run(t, nil, nil, "init", mine); r.code != ExitInvalid || !strings.Contains(r.stderr, "is a file, not a folder") {
		t.Errorf("init into a file: exit %d\n%s", r.code, r.stderr)
	}
}
