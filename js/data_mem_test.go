package js

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// Memory of shared data. One copy is the heap a parsed CSV file keeps;
// each user adds its own view of it (a small Go object and a JS array
// object, whatever the number of rows). measureSharedCSV measures both:
// the copy by parsing the file alone, a user's share as the heap N users
// of a script that reads the CSV keep beyond N users of the same script
// without it (rows = null). Users run one task each, reading a random row.

func writeUsersCSV(tb testing.TB, dir string, rows int) string {
	p := filepath.Join(dir, "users.csv")
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,username,password,email")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(w, "%d,user%07d,pw%08x,user%07d@example.com\n", i, i, uint32(i)*2654435761, i)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return p
}

func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

type sharedMem struct {
	copyBytes float64 // one parsed copy of the file
	perUser   float64 // what each user adds for its view of the data
}

// ratio is the data's memory with users users over one copy's.
func (m sharedMem) ratio(users int) float64 {
	return (m.copyBytes + float64(users)*max(m.perUser, 0)) / m.copyBytes
}

func measureSharedCSV(tb testing.TB, rows, users int) sharedMem {
	dir := tb.TempDir()
	path := writeUsersCSV(tb, dir, rows)
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	before := heapNow()
	t, err := parseCSV(path, b, csvOptions{header: true, types: true, sep: ','})
	if err != nil {
		tb.Fatal(err)
	}
	copyBytes := float64(heapNow() - before)
	runtime.KeepAlive(t)
	runtime.KeepAlive(b)

	const body = `
export const t = task(() => {
  const i = Math.floor(Math.random() * (rows ? rows.length : 1));
  const r = rows ? rows[i] : { username: "user" + i };
  globalThis.last = r.username;
});
`
	perUser := func(name, src string) float64 {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src+body), 0o644); err != nil {
			tb.Fatal(err)
		}
		s, err := Load(context.Background(), p, LoadOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		env := testEnv("")
		vus := make([]*VU, 0, users)
		before := heapNow()
		for i := 0; i < users; i++ {
			vu, err := s.NewVU(context.Background(), env, i+1, 0)
			if err != nil {
				tb.Fatal(err)
			}
			if err := vu.RunTask(context.Background()); err != nil {
				tb.Fatal(err)
			}
			vus = append(vus, vu)
		}
		after := heapNow()
		runtime.KeepAlive(vus)
		runtime.KeepAlive(s)
		return (float64(after) - float64(before)) / float64(users)
	}
	withData := perUser("data.js", `import { task, csv } from "jsload";
const rows = csv("users.csv");`)
	without := perUser("plain.js", `import { task, csv } from "jsload";
const rows = null;`)
	return sharedMem{copyBytes: copyBytes, perUser: withData - without}
}

// TestSharedCSVMemory: users over a CSV file keep at most 1.5 times the
// memory of one copy of it, at the ratio of the benchmark below (10,000
// users over 1,000,000 rows): here 300 users over 30,000 rows.
func TestSharedCSVMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap of hundreds of users")
	}
	m := measureSharedCSV(t, 30_000, 300)
	r := m.ratio(300)
	t.Logf("one copy %.0f KiB, %.0f bytes per user, 300 users: %.3f copies", m.copyBytes/1024, m.perUser, r)
	if r > 1.5 {
		t.Errorf("300 users over 30,000 rows keep %.2f copies of the data (one copy %.0f bytes, %.0f bytes per user), want at most 1.5", r, m.copyBytes, m.perUser)
	}
}

// BenchmarkSharedCSVMemory measures 10,000 users over a 1,000,000-row CSV
// file (about 300 MB of heap for the users' runtimes alone):
//
//	go test -run XXX -bench SharedCSVMemory -benchtime 1x ./js/
//
// JSLOAD_BENCH_ROWS and JSLOAD_BENCH_USERS change the sizes.
func BenchmarkSharedCSVMemory(b *testing.B) {
	rows, users := envInt("JSLOAD_BENCH_ROWS", 1_000_000), envInt("JSLOAD_BENCH_USERS", 10_000)
	for i := 0; i < b.N; i++ {
		m := measureSharedCSV(b, rows, users)
		b.ReportMetric(m.copyBytes/(1<<20), "copy-MiB")
		b.ReportMetric(m.perUser, "data-B/user")
		b.ReportMetric(m.ratio(users), "copies")
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
