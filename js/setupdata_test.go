package js

import (
	"testing"

	"github.com/dop251/goja"
)

// setupDataCases are JSON texts whose one-time Go parse must give what
// JSON.parse gives in every runtime.
var setupDataCases = []string{
	`{"t0":1764860000000,"token":"abc","n":-1.5e-7}`,
	`{"b":1,"a":2,"10":3,"2":4,"b":5}`,
	`{"__proto__":{"x":1},"constructor":null}`,
	`[1,"two",[true,false,null],{"k":[]},{}]`,
	`"text with \u00e9 and \ud83d\ude00"`,
	`12345678901234567890`, `true`, `null`, `[]`, `{}`,
	`{"a":1} {"b":2}`, `{"a":`, `[1,]`, `nul`, ``,
}

// stringifyBoth returns JSON.stringify of JSON.parse(text) and of the Go
// parse's value, and whether the Go parse accepted the text.
func stringifyBoth(t testing.TB, text string) (want, got string, parsed, valid bool) {
	rt := goja.New()
	check := func(v goja.Value) string {
		must(rt.Set("v", v))
		r, err := rt.RunString(`JSON.stringify(v) + "|" + (v !== null && typeof v === "object" ? Object.getPrototypeOf(v) === (Array.isArray(v) ? Array.prototype : Object.prototype) : "scalar") + "|" + (v !== null && typeof v === "object" ? Object.getOwnPropertyNames(v).join(",") : "")`)
		if err != nil {
			t.Fatal(err)
		}
		return r.String()
	}
	parse, _ := goja.AssertFunction(rt.Get("JSON").(*goja.Object).Get("parse"))
	v, err := parse(goja.Undefined(), rt.ToValue(text))
	var tree setupTree
	n := tree.get(text)
	if err != nil {
		return "", "", n != nil, false
	}
	want = check(v)
	if n == nil {
		return want, "", false, true
	}
	return want, check(n.value(rt)), true, true
}

func TestSetupDataParsedOnce(t *testing.T) {
	for _, text := range setupDataCases {
		want, got, parsed, valid := stringifyBoth(t, text)
		if parsed != valid {
			t.Errorf("%q: Go parse accepted it: %v, JSON.parse: %v", text, parsed, valid)
		}
		if got != want {
			t.Errorf("%q: from the Go parse %s, from JSON.parse %s", text, got, want)
		}
	}
	var tree setupTree
	a := tree.get(`{"a":1}`)
	if tree.get(`{"a":1}`) != a || tree.get(`{"a":2}`) == a {
		t.Error("the parse is not cached per text")
	}
}

// FuzzSetupData checks the one-time parse of setup()'s data against goja's
// JSON.parse, which every user ran before.
func FuzzSetupData(f *testing.F) {
	for _, c := range setupDataCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want, got, parsed, valid := stringifyBoth(t, text)
		if parsed && !valid {
			t.Fatalf("%q: the Go parse accepted what JSON.parse refuses", text)
		}
		if parsed && got != want {
			t.Fatalf("%q: from the Go parse %s, from JSON.parse %s", text, got, want)
		}
	})
}
