package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConf(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// script options < configuration file < environment < flags.
func TestConfigFilePrecedence(t *testing.T) {
	t.Parallel()
	p := script(t, "import { task } from \"jsload\";\nexport const options = { users: 4, spawnRate: 100, runTime: \"300ms\" };\nexport const a = task(1, () => {}, { tags: [\"a\"] });\n")
	conf := writeConf(t, t.TempDir(), "run.conf", "# Locust-style\nusers = 3\nheadless\nrun-time: 200ms\ntags = [a, b]\n--exclude-tags c ; a comment\n")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"script", nil, []string{"--headless"}, "Ramping to 4 users"},
		{"file over script", nil, []string{"--config", conf}, "Ramping to 3 users"},
		{"file from the environment", map[string]string{"JSLOAD_CONFIG": conf}, nil, "Ramping to 3 users"},
		{"environment over file", map[string]string{"JSLOAD_USERS": "2"}, []string{"--config", conf}, "Ramping to 2 users"},
		{"flag over environment", map[string]string{"JSLOAD_USERS": "2"}, []string{"--config", conf, "-u", "1"}, "Ramping to 1 users"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, c.env, nil, append([]string{"run", p}, c.args...)...)
			if r.code != 0 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want %q:\n%s", r.code, c.want, r.stderr)
			}
		})
	}
	cfg, err := resolveFor(t, p, map[string]string{"JSLOAD_CONFIG": conf})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Tags, ",") != "a,b" || strings.Join(cfg.ExcludeTags, ",") != "c" || !cfg.Headless || cfg.RunTime.String() != "200ms" {
		t.Errorf("from the file: tags %v, exclude %v, headless %v, run time %v", cfg.Tags, cfg.ExcludeTags, cfg.Headless, cfg.RunTime)
	}
}

func TestConfigFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := script(t, "import { task } from \"jsload\";\nexport const parameters = { myArgument: { default: \"x\" } };\nexport const a = task(() => {});\n")
	cases := []struct {
		name, text, want string
	}{
		{"unknown key", "users = 1\n\nspwan-rate = 2\n", `:3: unknown key "spwan-rate": not a flag of jsload run or a parameter of ` + p + ` (did you mean "spawn-rate"?)`},
		{"parameter typo", "my-argumnet = 2\n", `(did you mean "my-argument"?)`},
		{"bad value", "users = many\n", `:1: --users wants a whole number, got "many"`},
		{"bare non-boolean", "users\n", `:1: users needs a value: write users = VALUE`},
		{"section", "[tool.jsload]\nusers = 1\n", `:1: sections like [tool.jsload] are not read`},
		{"config in a file", "config = other.conf\n", `:1: config cannot be set in a configuration file`},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conf := writeConf(t, dir, "c"+string(rune('a'+i))+".conf", c.text)
			r := run(t, nil, nil, "run", p, "--headless", "--config", conf)
			if r.code != ExitInvalid || !strings.Contains(r.stderr, conf) || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want %d and %q\nstderr: %s", r.code, ExitInvalid, c.want, r.stderr)
			}
		})
	}
	r := run(t, nil, nil, "run", p, "--headless", "--config", filepath.Join(dir, "missing.conf"))
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "reading the configuration file "+filepath.Join(dir, "missing.conf")+": no such file or directory") {
		t.Errorf("missing file: exit %d\n%s", r.code, r.stderr)
	}
}

// jsload.conf in the current folder is read without --config (not in
// parallel: it changes the working directory).
func TestDefaultConfigFile(t *testing.T) {
	srv := target(t)
	dir := t.TempDir()
	writeConf(t, dir, "jsload.conf", "host = "+srv.URL+"\nheadless = true\niterations = 2\nusers = 1\n")
	p := writeConf(t, dir, "main.js", "import { task, http } from \"jsload\";\nexport const a = task(() => http.get(\"/fast\"));\n")
	t.Chdir(dir)
	r := run(t, nil, nil, "run", p)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if row := tableRow(t, r.stdout, "GET", "/fast"); row[2] != "2" {
		t.Errorf("GET /fast row %v, want 2 requests", row)
	}
	// --config wins over the default file.
	other := writeConf(t, dir, "other.conf", "headless = true\niterations = 1\nhost = "+srv.URL+"\n")
	r = run(t, nil, nil, "run", p, "--config", other)
	if row := tableRow(t, r.stdout, "GET", "/fast"); r.code != 0 || row[2] != "1" {
		t.Errorf("exit %d, row %v, want 1 request", r.code, row)
	}
}
