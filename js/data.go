package js

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/shared"
)

// Data files: open(path[, "b"]), csv(path[, options]) and json(path) read
// files relative to the script at load time (its top-level code). csv and
// json parse a file once per process, whatever the number of users: each
// user sees a read-only array-like object over the same Go data, and an
// element is made into a JS value (a fresh copy) when it is read.

// dataState is a Script's data files and shared state.
type dataState struct {
	mu     sync.Mutex
	read   map[string]bool       // every data file read at load time (its key)
	texts  map[string]string     // open()'s file contents (read once), for every user
	tables map[string]*tableOnce // parsed csv/json, by kind, path and options
	// given are the files a cluster's master sent with the bundle: a
	// worker reads only these.
	given  map[string][]byte
	local  *shared.Local // counters and queues, when Env.Shared is nil
	queues map[string]queueSource
	dry    map[string]bool // queues whose "stop" stopped a user (said once)
}

type tableOnce struct {
	once sync.Once
	t    table
	err  error
}

// table is parsed data shared by every runtime of the process.
type table interface {
	len() int
	elem(vu *VU, i int) goja.Value
}

// dataKey is the name a data file is known by: its path joined to the
// script's folder (as the master named it, on a worker too).
func (s *Script) dataKey(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(s.dir, p)
}

// dataFile checks that fn may read the data file p now (at load time)
// and returns its key.
func (vu *VU) dataFile(fn, p string) (string, error) {
	if !vu.loading {
		return "", fmt.Errorf("%s(%q): data files are read at load time, in the script's top-level code (not in tasks, hooks or setup), so that a distributed run's workers receive them", fn, p)
	}
	if p == "" {
		return "", fmt.Errorf("%s(path): path is required (relative to the script's folder)", fn)
	}
	return vu.s.dataKey(p), nil
}

// readData returns a data file's contents: from the files a cluster's
// master sent, or from the disk (and then it is sent to workers).
func (s *Script) readData(fn, p, key string) ([]byte, error) {
	s.d.mu.Lock()
	given := s.d.given
	s.d.mu.Unlock()
	if given != nil {
		b, ok := given[key]
		if !ok {
			return nil, fmt.Errorf("%s(%q): the master did not send %s: it sends the files its own load of the script read, so read every data file in every user (not only in some)", fn, p, key)
		}
		return b, nil
	}
	b, err := os.ReadFile(key)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s(%q): %s not found (paths are relative to the script's folder, %s)", fn, p, key, orDot(s.dir))
		}
		return nil, fmt.Errorf("%s(%q): %v", fn, p, err)
	}
	s.d.mu.Lock()
	if s.d.read == nil {
		s.d.read = map[string]bool{}
	}
	s.d.read[key] = true
	s.d.mu.Unlock()
	return b, nil
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// DataFiles reads again the data files the script read when it was
// loaded, for a cluster's workers (by the name the script's code finds
// them under).
func (s *Script) DataFiles() (map[string][]byte, error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.d.given != nil {
		return s.d.given, nil
	}
	files := make(map[string][]byte, len(s.d.read))
	for k := range s.d.read {
		b, err := os.ReadFile(k)
		if err != nil {
			return nil, fmt.Errorf("reading data file %s for the workers: %v", k, err)
		}
		files[k] = b
	}
	return files, nil
}

// dataPaths are the data files read at load time, as absolute paths.
func (s *Script) dataPaths() []string {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	var out []string
	for k := range s.d.read {
		if abs, err := filepath.Abs(k); err == nil {
			out = append(out, abs)
		}
	}
	sort.Strings(out)
	return out
}

// openData implements open(path[, "b"]): the file's text (UTF-8), or with "b"
// a new ArrayBuffer of its bytes.
func (vu *VU) openData(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	p := c.Argument(0).String()
	if goja.IsUndefined(c.Argument(0)) {
		p = ""
	}
	mode := ""
	if m := c.Argument(1); !goja.IsUndefined(m) {
		mode = m.String()
	}
	if mode != "" && mode != "b" {
		panic(rt.NewTypeError("open(%q, %q): the mode is \"b\" (binary: an ArrayBuffer) or left out (text)", p, mode))
	}
	key, err := vu.dataFile("open", p)
	if err != nil {
		panic(rt.NewTypeError("%v", err))
	}
	s := vu.s
	s.d.mu.Lock()
	txt, ok := s.d.texts[key]
	s.d.mu.Unlock()
	if !ok {
		b, err := s.readData("open", p, key)
		if err != nil {
			panic(rt.NewTypeError("%v", err))
		}
		txt = string(b)
		s.d.mu.Lock()
		if s.d.texts == nil {
			s.d.texts = map[string]string{}
		}
		s.d.texts[key] = txt
		s.d.mu.Unlock()
	}
	if mode == "b" {
		return rt.ToValue(rt.NewArrayBuffer([]byte(txt)))
	}
	if !utf8.ValidString(txt) {
		panic(rt.NewTypeError("open(%q): %s is not UTF-8 text: open it with open(path, \"b\")", p, key))
	}
	return rt.ToValue(txt)
}

// csvOptions are csv()'s options.
type csvOptions struct {
	header bool
	types  bool
	sep    rune
}

var csvOptionNames = []string{"header", "types", "separator"}

func (vu *VU) csvOpts(p string, v goja.Value) csvOptions {
	o := csvOptions{header: true, types: true, sep: ','}
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return o
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		panic(vu.rt.NewTypeError("csv(%q, options): options must be an object, like { header: true, types: true, separator: \",\" }", p))
	}
	for _, k := range obj.Keys() {
		val := obj.Get(k)
		switch k {
		case "header":
			o.header = val.ToBoolean()
		case "types":
			o.types = val.ToBoolean()
		case "separator":
			r := []rune(val.String())
			if len(r) != 1 || r[0] == '"' || r[0] == '\r' || r[0] == '\n' || r[0] == utf8.RuneError {
				panic(vu.rt.NewTypeError("csv(%q): separator must be one character other than a quote or a line break, got %q", p, val.String()))
			}
			o.sep = r[0]
		default:
			msg := fmt.Sprintf("csv(%q): unknown option %q (options: %s)", p, k, strings.Join(csvOptionNames, ", "))
			if s := suggest(k, csvOptionNames); s != "" {
				msg = fmt.Sprintf("csv(%q): unknown option %q: did you mean %q?", p, k, s)
			}
			panic(vu.rt.NewTypeError("%s", msg))
		}
	}
	return o
}

// suggest returns the name closest to k when it is close enough
// (config.DidYouMean's rule), else "".
func suggest(k string, names []string) string {
	return config.Closest(k, names)
}

// loadTable returns the table for (kind, path, options), parsing the file
// once per process.
func (vu *VU) loadTable(fn, p, opts string, parse func(key string, b []byte) (table, error)) table {
	key, err := vu.dataFile(fn, p)
	if err != nil {
		panic(vu.rt.NewTypeError("%v", err))
	}
	s := vu.s
	s.d.mu.Lock()
	if s.d.tables == nil {
		s.d.tables = map[string]*tableOnce{}
	}
	id := fn + "\x00" + key + "\x00" + opts
	t := s.d.tables[id]
	if t == nil {
		t = &tableOnce{}
		s.d.tables[id] = t
	}
	s.d.mu.Unlock()
	t.once.Do(func() {
		var b []byte
		if b, t.err = s.readData(fn, p, key); t.err == nil {
			if t.t, t.err = parse(key, b); t.err != nil {
				t.err = fmt.Errorf("%s(%q): %v", fn, p, t.err)
			}
		}
	})
	if t.err != nil {
		panic(vu.rt.NewTypeError("%v", t.err))
	}
	return t.t
}

// csv implements csv(path[, options]).
func (vu *VU) csv(c goja.FunctionCall) goja.Value {
	p := c.Argument(0).String()
	if goja.IsUndefined(c.Argument(0)) {
		p = ""
	}
	o := vu.csvOpts(p, c.Argument(1))
	opts := fmt.Sprintf("%v %v %q", o.header, o.types, o.sep)
	t := vu.loadTable("csv", p, opts, func(key string, b []byte) (table, error) { return parseCSV(key, b, o) })
	return vu.rt.NewDynamicArray(&dataArray{vu: vu, t: t, what: "csv(" + strconv.Quote(p) + ")"})
}

// json implements json(path): an array (each element a fresh copy when
// read) or an object (each property's value a fresh copy when read).
func (vu *VU) json(c goja.FunctionCall) goja.Value {
	p := c.Argument(0).String()
	if goja.IsUndefined(c.Argument(0)) {
		p = ""
	}
	t := vu.loadTable("json", p, "", parseJSON)
	what := "json(" + strconv.Quote(p) + ")"
	if o, ok := t.(*jsonObject); ok {
		return vu.rt.NewDynamicObject(&dataObject{vu: vu, o: o, what: what})
	}
	return vu.rt.NewDynamicArray(&dataArray{vu: vu, t: t, what: what})
}

// dataArray is a user's read-only view of a table.
type dataArray struct {
	vu   *VU
	t    table
	what string
}

func (a *dataArray) Len() int { return a.t.len() }

func (a *dataArray) Get(i int) goja.Value {
	if i < 0 || i >= a.t.len() {
		return goja.Undefined()
	}
	return a.t.elem(a.vu, i)
}

func (a *dataArray) Set(int, goja.Value) bool {
	panic(a.vu.rt.NewTypeError("%s is read-only: it is shared by every user (copy an element to change it)", a.what))
}

func (a *dataArray) SetLen(int) bool {
	panic(a.vu.rt.NewTypeError("%s is read-only: it is shared by every user", a.what))
}

// csvTable holds every field of a CSV file in one string, with the end
// of each field: 4 bytes per field beyond its text.
type csvTable struct {
	header []string // nil without a header row: rows are arrays
	cols   int
	text   string
	ends   []uint32
	types  bool
}

func parseCSV(key string, b []byte, o csvOptions) (table, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = o.sep
	r.ReuseRecord = true
	t := &csvTable{types: o.types}
	var sb strings.Builder
	sb.Grow(len(b))
	first := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					return nil, fmt.Errorf("%s:%d: %d fields, where the first row has %d", key, pe.StartLine, len(rec), t.cols)
				}
				return nil, fmt.Errorf("%s:%d:%d: %v", key, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s: %v", key, err)
		}
		if first {
			first = false
			t.cols = len(rec)
			if o.header {
				seen := map[string]int{}
				for i, h := range rec {
					if i == 0 {
						h = strings.TrimPrefix(h, "\uFEFF")
					}
					if j, dup := seen[h]; dup {
						return nil, fmt.Errorf("%s:1: columns %d and %d are both named %q", key, j+1, i+1, h)
					}
					seen[h] = i
					t.header = append(t.header, h)
				}
				continue
			}
		}
		for _, f := range rec {
			sb.WriteString(f)
			if sb.Len() > math.MaxUint32 {
				return nil, fmt.Errorf("%s: over 4 GiB of fields", key)
			}
			t.ends = append(t.ends, uint32(sb.Len()))
		}
	}
	t.text = sb.String()
	t.ends = append([]uint32(nil), t.ends...) // drop append's spare capacity
	return t, nil
}

func (t *csvTable) len() int {
	if t.cols == 0 {
		return 0
	}
	return len(t.ends) / t.cols
}

func (t *csvTable) field(i, j int) string {
	k := i*t.cols + j
	start := uint32(0)
	if k > 0 {
		start = t.ends[k-1]
	}
	return t.text[start:t.ends[k]]
}

func (t *csvTable) elem(vu *VU, i int) goja.Value {
	rt := vu.rt
	if t.header == nil {
		vals := make([]any, t.cols)
		for j := range vals {
			vals[j] = t.value(t.field(i, j))
		}
		return rt.NewArray(vals...)
	}
	obj := rt.NewObject()
	for j, h := range t.header {
		_ = obj.Set(h, t.value(t.field(i, j)))
	}
	return obj
}

// value is a field as a JS value: with types, a number when the whole
// field is a decimal number written as JSON writes numbers (no leading
// zeros, no "+", so "007" stays a string), true or false for exactly
// those words; else the text.
func (t *csvTable) value(f string) any {
	if !t.types || f == "" {
		return f
	}
	if f == "true" {
		return true
	}
	if f == "false" {
		return false
	}
	if isJSONNumber(f) {
		if n, err := strconv.ParseFloat(f, 64); err == nil && !math.IsInf(n, 0) {
			return n
		}
	}
	return f
}

func isJSONNumber(s string) bool {
	i := 0
	if s[i] == '-' {
		i++
	}
	if i == len(s) {
		return false
	}
	switch {
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

// jsonArray holds the elements of a JSON array as their JSON text.
type jsonArray struct {
	text string
	ends []uint32
}

// jsonObject holds a JSON object's properties as their values' JSON text.
type jsonObject struct {
	keys []string
	vals map[string]string
}

func parseJSON(key string, b []byte) (table, error) {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	var top json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, jsonError(key, b, err)
	}
	top = bytes.TrimSpace(top)
	switch top[0] {
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(top, &elems); err != nil {
			return nil, jsonError(key, b, err)
		}
		t := &jsonArray{}
		var sb strings.Builder
		for _, e := range elems {
			sb.Write(e)
			if sb.Len() > math.MaxUint32 {
				return nil, fmt.Errorf("%s: over 4 GiB", key)
			}
			t.ends = append(t.ends, uint32(sb.Len()))
		}
		t.text = sb.String()
		return t, nil
	case '{':
		dec := json.NewDecoder(bytes.NewReader(top))
		_, _ = dec.Token()
		o := &jsonObject{vals: map[string]string{}}
		for dec.More() {
			k, _ := dec.Token()
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, jsonError(key, b, err)
			}
			ks := k.(string)
			if _, dup := o.vals[ks]; !dup {
				o.keys = append(o.keys, ks)
			}
			o.vals[ks] = string(v)
		}
		return o, nil
	}
	return nil, fmt.Errorf("%s holds %s: json() wants an array or an object at its top", key, bytes.TrimSpace(b)[:min(20, len(bytes.TrimSpace(b)))])
}

func jsonError(key string, b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:se.Offset], []byte{'\n'})
		col := int(se.Offset) - bytes.LastIndexByte(b[:se.Offset], '\n')
		return fmt.Errorf("%s:%d:%d: %v", key, line, col-1, se)
	}
	return fmt.Errorf("%s: %v", key, err)
}

func (t *jsonArray) len() int { return len(t.ends) }

func (t *jsonArray) elem(vu *VU, i int) goja.Value {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return vu.parseShared(t.text[start:t.ends[i]])
}

func (t *jsonObject) len() int                      { return len(t.keys) }
func (t *jsonObject) elem(vu *VU, i int) goja.Value { return vu.parseShared(t.vals[t.keys[i]]) }

func (vu *VU) parseShared(text string) goja.Value {
	v, err := vu.jsonParse(goja.Undefined(), vu.rt.ToValue(text))
	if err != nil {
		panic(err)
	}
	return v
}

// dataObject is a user's read-only view of a JSON object.
type dataObject struct {
	vu   *VU
	o    *jsonObject
	what string
}

func (d *dataObject) Get(k string) goja.Value {
	if v, ok := d.o.vals[k]; ok {
		return d.vu.parseShared(v)
	}
	return nil
}

func (d *dataObject) Set(string, goja.Value) bool {
	panic(d.vu.rt.NewTypeError("%s is read-only: it is shared by every user (copy a value to change it)", d.what))
}

func (d *dataObject) Has(k string) bool { _, ok := d.o.vals[k]; return ok }

func (d *dataObject) Delete(string) bool {
	panic(d.vu.rt.NewTypeError("%s is read-only: it is shared by every user", d.what))
}

func (d *dataObject) Keys() []string { return append([]string(nil), d.o.keys...) }

// sharedArray implements sharedArray(name, fn): fn runs once per process
// (in the first runtime that gets here, at load time) and returns an
// array; every user sees its elements, stored as JSON, as csv() and
// json() data.
func (vu *VU) sharedArray(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	name := c.Argument(0).String()
	if goja.IsUndefined(c.Argument(0)) || name == "" {
		panic(rt.NewTypeError("sharedArray(name, fn): a name is required"))
	}
	fn, ok := goja.AssertFunction(c.Argument(1))
	if !ok {
		panic(rt.NewTypeError("sharedArray(%q, fn): fn must be a function returning an array", name))
	}
	if !vu.loading {
		panic(rt.NewTypeError("sharedArray(%q): shared arrays are made at load time, in the script's top-level code", name))
	}
	s := vu.s
	s.d.mu.Lock()
	if s.d.tables == nil {
		s.d.tables = map[string]*tableOnce{}
	}
	id := "sharedArray\x00" + name
	t := s.d.tables[id]
	if t == nil {
		t = &tableOnce{}
		s.d.tables[id] = t
	}
	s.d.mu.Unlock()
	var thrown error
	t.once.Do(func() {
		v, err := fn(goja.Undefined())
		if err != nil {
			thrown, t.err = err, err
			return
		}
		obj, ok := v.(*goja.Object)
		if !ok || obj.ClassName() != "Array" {
			t.err = fmt.Errorf("sharedArray(%q): fn returned %s, not an array", name, v.String())
			return
		}
		str, err := vu.jsonStr(goja.Undefined(), obj)
		if err != nil {
			thrown, t.err = err, err
			return
		}
		t.t, t.err = parseJSON(name, []byte(str.String()))
	})
	if thrown != nil {
		panic(thrown) // fn's own exception, with its position
	}
	if t.err != nil {
		panic(rt.NewTypeError("%v", t.err))
	}
	return rt.NewDynamicArray(&dataArray{vu: vu, t: t.t, what: "sharedArray(" + strconv.Quote(name) + ")"})
}
