package config

import (
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	t.Parallel()
	f, err := ParseFile("x.conf", "\ufeff# comment\n; also a comment\n\nusers = 10\nspawn-rate: 2\nrun-time 30s\nheadless\n--host = \"http://h:1/#frag\"\ntags = [a, 'b c']\nweb-login = u:p # trailing\nempty =\r\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"users", "10", 4, false}, {"spawn-rate", "2", 5, false}, {"run-time", "30s", 6, false},
		{"headless", "", 7, true}, {"host", "http://h:1/#frag", 8, false}, {"tags", "a,b c", 9, false},
		{"web-login", "u:p", 10, false}, {"empty", "", 11, false},
	}
	if len(f.Entries) != len(want) {
		t.Fatalf("entries %+v", f.Entries)
	}
	for i, e := range f.Entries {
		if e != want[i] {
			t.Errorf("line %d: %+v, want %+v", want[i].Line, e, want[i])
		}
	}
	if e, _ := f.Lookup("users"); f.Where(e) != "x.conf:4" {
		t.Errorf("Where = %s", f.Where(e))
	}
	if _, err := ParseFile("y.conf", "users = 1\n[locust]\n"); err == nil || !strings.Contains(err.Error(), "y.conf:2: sections like [locust] are not read") {
		t.Errorf("section: %v", err)
	}
}

// FuzzParseFile: any text parses or fails with a message naming the file
// and line, without panicking; entries have keys.
func FuzzParseFile(f *testing.F) {
	f.Add("users = 10\n# c\nheadless\ntags = [a, b]\n")
	f.Add("=x\n:\n[s]\n")
	f.Fuzz(func(t *testing.T, text string) {
		file, err := ParseFile("f.conf", text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.conf:") {
				t.Errorf("error without a position: %v", err)
			}
			return
		}
		for _, e := range file.Entries {
			if e.Key == "" || e.Line < 1 {
				t.Errorf("entry %+v", e)
			}
		}
	})
}
