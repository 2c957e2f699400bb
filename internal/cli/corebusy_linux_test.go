//go:build linux

package cli

import (
	"testing"
	"time"
)

func TestCoresBusy(t *testing.T) {
	stat := []byte(`cpu  900 10 300 5000 20 0 40 5 0 0
cpu0 400 5 100 2500 10 0 30 5 0 0
cpu1 500 5 200 2500 10 0 10 0 0 0
intr 12345
ctxt 678
`)
	only := func(n int) func(int) bool { return func(i int) bool { return i == n } }
	if got, want := coresBusy(stat, only(0)), 540*10*time.Millisecond; got != want {
		t.Errorf("cpu0 busy %v, want %v (user, nice, system, irq, softirq, steal)", got, want)
	}
	if got, want := coresBusy(stat, func(int) bool { return true }), 1255*10*time.Millisecond; got != want {
		t.Errorf("both cores busy %v, want %v", got, want)
	}
	if got := coresBusy(stat, only(7)); got >= 0 {
		t.Errorf("a core /proc/stat lacks: %v, want negative", got)
	}
	if got := coresBusy([]byte("cpu0 1 2 x 4 5 6 7 8 9 10\n"), only(0)); got >= 0 {
		t.Errorf("a malformed line: %v, want negative", got)
	}
	if r := coresBusyReader(); r != nil {
		if a, b := r(), r(); a < 0 || b < a {
			t.Errorf("this machine's cores: busy %v then %v", a, b)
		}
	}
}
