package js

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const usersCSV = "name,age,zip,admin,note\n" +
	"ada,36,00123,true,\"likes, commas\"\n" +
	"bob,-1.5e2,10001,false,\"two\nlines and \"\"quotes\"\"\"\n" +
	"cy,,+7,TRUE,0x10\n"

// TestDataFilesAreReadAndTyped reads text, binary, CSV and JSON files
// relative to the script, in the script's top-level code.
func TestDataFilesAreReadAndTyped(t *testing.T) {
	s := load(t, "sub/script.js", `
import { open, csv, json, task } from "jsload";
const text = open("../data/hello.txt");
const bin = open("../data/hello.txt", "b");
const users = csv("../data/users.csv");
const raw = csv("../data/users.csv", { types: false });
const plain = csv("../data/nohead.csv", { header: false, separator: ";" });
const list = json("../data/list.json");
const conf = json("../data/conf.json");
export const t = task(() => {});
globalThis.out = JSON.stringify({
  text, binLen: bin.byteLength, binFirst: new Uint8Array(bin)[0],
  n: users.length, isArray: Array.isArray(users), users: users.map((u) => u),
  raw: raw[0], plain: [...plain], list, second: list[1].b, confKeys: Object.keys(conf), deep: conf.deep.x,
  outOfRange: users[99] === undefined,
});
`, "data/hello.txt", "héllo\n", "data/users.csv", usersCSV,
		"data/nohead.csv", "1;x\n2;\"y;z\"\n",
		"data/list.json", `[{"a":1},{"b":[true,null]}]`, "data/conf.json", `{"z":1,"deep":{"x":"y"}}`)
	vu := newVU(t, s, testEnv(""), 1, 0)
	var got map[string]any
	if err := json.Unmarshal([]byte(global(vu, "out").String()), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"binFirst":104,"binLen":7,"confKeys":["z","deep"],"deep":"y","isArray":true,"list":[{"a":1},{"b":[true,null]}],"n":3,"outOfRange":true,` +
		`"plain":[[1,"x"],[2,"y;z"]],"raw":{"admin":"true","age":"36","name":"ada","note":"likes, commas","zip":"00123"},"second":[true,null],"text":"héllo\n",` +
		`"users":[{"admin":true,"age":36,"name":"ada","note":"likes, commas","zip":"00123"},{"admin":false,"age":-150,"name":"bob","note":"two\nlines and \"quotes\"","zip":10001},{"admin":"TRUE","age":"","name":"cy","note":"0x10","zip":"+7"}]}`
	b, _ := json.Marshal(got)
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

// TestDataIsParsedOncePerProcess: every user sees the same Go table.
func TestDataIsParsedOncePerProcess(t *testing.T) {
	s := load(t, "script.js", `
import { csv, task } from "jsload";
export const rows = csv("users.csv");
export const t = task(() => {});
`, "users.csv", usersCSV)
	var first table
	for id := 1; id <= 3; id++ {
		vu := newVU(t, s, testEnv(""), id, 0)
		a := vu.exports.Get("rows").Export().(*dataArray)
		if first == nil {
			first = a.t
		} else if a.t != first {
			t.Fatalf("user %d has its own copy of the table", id)
		}
	}
	if len(s.d.tables) != 1 {
		t.Errorf("%d tables, want 1", len(s.d.tables))
	}
	found := false
	for _, f := range s.Files {
		found = found || strings.HasSuffix(f, "users.csv")
	}
	if !found {
		t.Errorf("Files (watched) lack users.csv: %v", s.Files)
	}
}

// TestDataMistakesAreClear: each bad use gets one message naming the
// problem and where.
func TestDataMistakesAreClear(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"missing", `open("nope.txt")`, `open("nope.txt"): `},
		{"bad mode", `open("users.csv", "rb")`, `the mode is "b"`},
		{"unknown option", `csv("users.csv", { heder: false })`, `unknown option "heder": did you mean "header"?`},
		{"ragged", `csv("ragged.csv")`, `ragged.csv:3: 1 fields, where the first row has 2`},
		{"bad quote", `csv("quote.csv")`, `quote.csv:2:4: bare " in non-quoted-field`},
		{"dup header", `csv("dup.csv")`, `columns 1 and 2 are both named "a"`},
		{"bad json", `json("bad.json")`, `bad.json:2:5: invalid character`},
		{"scalar json", `json("num.json")`, `json() wants an array or an object at its top`},
		{"write", `csv("users.csv")[0] = 1`, `csv("users.csv") is read-only`},
		{"length", `csv("users.csv").length = 0`, `read-only`},
		{"push", `csv("users.csv").push(1)`, `read-only`},
		{"json write", `json("conf.json").z = 2`, `read-only`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeScript(t, "script.js", "import { open, csv, json, task } from \"jsload\";\n"+c.src+";\nexport const t = task(() => {});\n",
				"users.csv", usersCSV, "ragged.csv", "a,b\n1,2\n3\n", "quote.csv", "a,b\n1,a\"b\n", "dup.csv", "a,a\n1,2\n",
				"bad.json", "[1,\n  2 x]", "num.json", "42", "conf.json", `{"z":1}`)
			_, err := Load(context.Background(), path, LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "script.js:2:") {
				t.Errorf("error lacks the script position: %v", err)
			}
		})
	}
}

// TestDataFilesOnlyAtLoadTime: tasks cannot read files (workers would not
// have them).
func TestDataFilesOnlyAtLoadTime(t *testing.T) {
	s := load(t, "script.js", `
import { open, task } from "jsload";
export const t = task(() => { open("users.csv"); });
`, "users.csv", usersCSV)
	vu := newVU(t, s, testEnv(""), 1, 0)
	_ = vu.RunTask(context.Background())
	snap := vu.env.Registry.Snapshot(time.Now())
	if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, "data files are read at load time") {
		t.Fatalf("exceptions: %+v", snap.Exceptions)
	}
}

// TestBundleCarriesDataFiles: a worker loads the master's bundle with the
// files the script read, from no folder of its own.
func TestBundleCarriesDataFiles(t *testing.T) {
	s := load(t, "script.js", `
import { open, csv, task } from "jsload";
export const rows = csv("data/users.csv");
export const hello = open("hello.txt");
export const t = task(() => {});
`, "data/users.csv", usersCSV, "hello.txt", "hi")
	b := s.Bundle()
	var err error
	if b.Files, err = s.DataFiles(); err != nil {
		t.Fatal(err)
	}
	if len(b.Files) != 2 {
		t.Fatalf("files: %v", b.Files)
	}
	enc, _ := json.Marshal(b)
	var got Bundle
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatal(err)
	}
	w, err := LoadBundle(context.Background(), got, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vu := newVU(t, w, testEnv(""), 1, 0)
	if n := vu.exports.Get("rows").ToObject(vu.rt).Get("length").ToInteger(); n != 3 {
		t.Errorf("rows: %d", n)
	}
	if h := vu.exports.Get("hello").String(); h != "hi" {
		t.Errorf("hello: %q", h)
	}
	got.Files = nil
	if _, err := LoadBundle(context.Background(), got, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "the master did not send") {
		t.Errorf("without files: %v", err)
	}
}

// TestImportTextAttribute: esbuild bundles a file imported with
// { type: "text" } as a string (documented beside csv()).
func TestImportTextAttribute(t *testing.T) {
	s := load(t, "script.js", `
import rows from "./users.csv" with { type: "text" };
import { task } from "jsload";
globalThis.text = rows;
export const t = task(() => {});
`, "users.csv", usersCSV)
	vu := newVU(t, s, testEnv(""), 1, 0)
	if got := global(vu, "text").String(); got != usersCSV {
		t.Errorf("imported %q", got)
	}
}

// TestSharedArray: fn runs once per process; every user sees its result.
func TestSharedArray(t *testing.T) {
	s := load(t, "script.js", `
import { sharedArray, task } from "jsload";
export const ids = sharedArray("ids", () => { globalThis.ran = true; return Array.from({ length: 5 }, (_, i) => ({ id: i * 2 })); });
export const t = task(() => {});
globalThis.out = JSON.stringify([ids.length, ids[4], globalThis.ran === true]);
`)
	ran := 0
	for id := 1; id <= 3; id++ {
		vu := newVU(t, s, testEnv(""), id, 0)
		if got := global(vu, "out").String(); !strings.HasPrefix(got, `[5,{"id":8},`) {
			t.Errorf("user %d: %s", id, got)
		}
		if strings.HasSuffix(global(vu, "out").String(), "true]") {
			ran++
		}
	}
	if ran != 0 {
		t.Errorf("fn ran again in %d users (it ran when the script was loaded)", ran)
	}
	for _, c := range []struct{ src, want string }{
		{`sharedArray("x", () => 5)`, `fn returned 5, not an array`},
		{`sharedArray("x", () => { throw new Error("boom"); })`, `script.js:2:32: Error: boom`},
		{`sharedArray("x")`, `fn must be a function`},
	} {
		path := writeScript(t, "script.js", "import { sharedArray, task } from \"jsload\";\n"+c.src+";\nexport const t = task(() => {});\n")
		if _, err := Load(context.Background(), path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
	}
}
