package js

import (
	"testing"
)

// FuzzParseCSV: any input is a table or an error, never a panic, and a
// table's every field can be read.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(usersCSV), true)
	f.Add([]byte("a;b\n\"x\"\"y\";2\n"), false)
	f.Add([]byte("\uFEFFa\n-0.5e+3\n007\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, header bool) {
		tb, err := parseCSV("f.csv", b, csvOptions{header: header, types: true, sep: ','})
		if err != nil {
			return
		}
		ct := tb.(*csvTable)
		for i := 0; i < ct.len(); i++ {
			for j := 0; j < ct.cols; j++ {
				_ = ct.value(ct.field(i, j))
			}
		}
	})
}

// FuzzParseJSON: any input is an array, an object or an error.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`[{"a":1},2]`))
	f.Add([]byte(`{"a":{"b":[]},"a":1}`))
	f.Add([]byte(`42`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := parseJSON("f.json", b)
		if err != nil {
			return
		}
		switch v := tb.(type) {
		case *jsonArray:
			for i := 0; i < v.len(); i++ {
				start := uint32(0)
				if i > 0 {
					start = v.ends[i-1]
				}
				if start > v.ends[i] {
					t.Fatalf("element %d ends before it starts", i)
				}
			}
		case *jsonObject:
			if len(v.keys) != len(v.vals) {
				t.Fatalf("%d keys, %d values", len(v.keys), len(v.vals))
			}
		}
	})
}
