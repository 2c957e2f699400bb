package js

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/k6summary"
)

// k6's handleSummary(data) and the jslib module k6 scripts import for
// textSummary and jUnit (k6SummaryURL), served by jsload's Go renderer
// (internal/k6summary) instead of being downloaded.

// SummaryFile is one output handleSummary returned: Path is "stdout",
// "stderr" or a file path as the script wrote it.
type SummaryFile struct {
	Path    string
	Content []byte
}

// RunHandleSummary calls the script's handleSummary(data) once, in a
// runtime that is not a user's (as setup and teardown), with data (k6's
// summary data as JSON). It returns the outputs of the object it returned,
// in the object's key order; nil when it returned a falsy value (k6 then
// prints its default summary). A value of an output must be a string or
// an ArrayBuffer.
func (s *Script) RunHandleSummary(ctx context.Context, env *Env, data []byte) ([]SummaryFile, error) {
	if !s.HasHandleSummary {
		return nil, nil
	}
	var out []SummaryFile
	err := s.withRuntime(ctx, env, func(vu *VU) error {
		arg, err := vu.jsonParse(goja.Undefined(), vu.rt.ToValue(string(data)))
		if err != nil {
			return fmt.Errorf("passing the summary data: %w", err)
		}
		v, err := vu.callExport(ctx, "handleSummary", arg)
		if err != nil {
			return err
		}
		if v == nil || !v.ToBoolean() {
			return nil
		}
		obj, ok := v.(*goja.Object)
		if _, isPromise := v.Export().(*goja.Promise); isPromise {
			return &ScriptError{File: s.Path, Msg: "handleSummary() returned a Promise: it runs synchronously, as in k6 (drop async)"}
		}
		if !ok || obj.ClassName() == "Array" {
			return &ScriptError{File: s.Path, Msg: fmt.Sprintf("handleSummary() must return an object mapping \"stdout\", \"stderr\" or file paths to contents, got %s", v.String())}
		}
		out = []SummaryFile{}
		for _, k := range obj.Keys() {
			c := obj.Get(k)
			switch x := c.Export().(type) {
			case string:
				out = append(out, SummaryFile{Path: k, Content: []byte(x)})
			case goja.ArrayBuffer:
				out = append(out, SummaryFile{Path: k, Content: slices.Clone(x.Bytes())})
			default:
				return &ScriptError{File: s.Path, Msg: fmt.Sprintf("handleSummary() returned %q: %s, where a string or an ArrayBuffer is needed", k, c.String())}
			}
		}
		return nil
	})
	return out, err
}

// k6SummaryURL matches the jslib module of k6's summary helpers.
var k6SummaryURL = regexp.MustCompile(`^https://jslib\.k6\.io/k6-summary/[0-9][0-9.]*/index\.js$`)

// remoteImportMessage refuses an import of a URL.
func remoteImportMessage(url string) string {
	return fmt.Sprintf("cannot import %q: jsload does not download modules (of k6's jslib it serves only https://jslib.k6.io/k6-summary/VERSION/index.js, with textSummary and jUnit); save the module beside the script and import it by a relative path", url)
}

// k6SummaryTable is the jslib summary module: textSummary(data, { indent,
// enableColors }) (no colours unless enableColors) and jUnit(data, {
// name, classname }).
var k6SummaryTable = []lazyEntry{
	{name: "textSummary", make: fn(func(vu *VU, c goja.FunctionCall) goja.Value {
		d := vu.summaryData(c.Argument(0), "textSummary")
		o := k6summary.TextOptions{Indent: " "}
		if opt, ok := c.Argument(1).(*goja.Object); ok {
			if v := opt.Get("indent"); v != nil && !goja.IsUndefined(v) {
				o.Indent = v.String()
			}
			if v := opt.Get("enableColors"); v != nil && !goja.IsUndefined(v) {
				o.Color = v.ToBoolean()
			}
		}
		return vu.rt.ToValue(k6summary.Text(d, o))
	})},
	{name: "jUnit", make: fn(func(vu *VU, c goja.FunctionCall) goja.Value {
		d := vu.summaryData(c.Argument(0), "jUnit")
		var name, class string
		if opt, ok := c.Argument(1).(*goja.Object); ok {
			if v := opt.Get("name"); v != nil && !goja.IsUndefined(v) {
				name = v.String()
			}
			if v := opt.Get("classname"); v != nil && !goja.IsUndefined(v) {
				class = v.String()
			}
		}
		return vu.rt.ToValue(k6summary.JUnit(d, name, class))
	})},
}

// summaryData reads handleSummary's data argument back into Go.
func (vu *VU) summaryData(v goja.Value, fname string) *k6summary.Data {
	if _, ok := v.(*goja.Object); !ok {
		panic(vu.rt.NewTypeError("%s(data): data must be handleSummary's argument", fname))
	}
	txt, err := vu.jsonStr(goja.Undefined(), v)
	if err != nil {
		panic(err)
	}
	var d k6summary.Data
	if err := json.Unmarshal([]byte(txt.String()), &d); err != nil {
		panic(vu.rt.NewTypeError("%s(data): data is not handleSummary's argument: %v", fname, err))
	}
	if d.Metrics == nil {
		d.Metrics = map[string]k6summary.Metric{}
	}
	return &d
}
