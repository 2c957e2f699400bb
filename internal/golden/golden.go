// Package golden helps tests compare output with files in testdata: one
// implementation of the golden-file check and of the first-difference
// message that the output packages' tests share.
package golden

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Check compares got with the file at path; with update it rewrites the
// file instead.
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n%s", path, FirstDiff(string(got), string(want)))
	}
}

// FirstDiff shows the first line where got and want differ, quoted so that
// trailing spaces and control characters show.
func FirstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %.300q\nwant: %.300q", i+1, gl, wl)
		}
	}
	return "(same lines, different ends)"
}
