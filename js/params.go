package js

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
)

// Param is a custom parameter the script declares in its exported
// `parameters` object (Locust's add_command_line_argument): it becomes the
// flag --kebab-name and the variable JSLOAD_KEBAB_NAME, and scripts read
// its value from the jsload module's `params` object.
type Param struct {
	Name    string   `json:"name"`    // as declared: myArgument
	Flag    string   `json:"flag"`    // my-argument
	Type    string   `json:"type"`    // one of ParamTypes
	Default string   `json:"default"` // the default, as text a flag would take
	Help    string   `json:"help"`
	Choices []string `json:"choices,omitempty"` // the only values allowed, when set
}

// ParamTypes are the types a parameter may declare.
var ParamTypes = []string{"string", "int", "float", "bool", "duration"}

// FlagName is the flag of a parameter name: myArgument and my_argument
// become my-argument.
func FlagName(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_':
			b.WriteByte('-')
		case unicode.IsUpper(r):
			if i > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Parse reads a value of the parameter from text (a flag, a variable or a
// configuration file). Its error says what the parameter wants.
func (p Param) Parse(s string) (any, error) {
	var v any
	switch p.Type {
	case "string":
		v = s
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n > 1<<53 || n < -(1<<53) {
			return nil, fmt.Errorf("wants a whole number, got %q", s)
		}
		v = n
	case "float":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("wants a number, got %q", s)
		}
		v = f
	case "bool":
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("wants true or false, got %q", s)
		}
		v = b
	case "duration":
		d, err := config.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("wants a duration (e.g. 30s, 5m, 1h30m or a number of seconds), got %q", s)
		}
		v = d.Seconds()
	default:
		return nil, fmt.Errorf("has an unknown type %q", p.Type)
	}
	if len(p.Choices) > 0 && !slices.Contains(p.Choices, s) {
		return nil, fmt.Errorf("must be one of %s, got %q%s", strings.Join(p.Choices, ", "), s, config.DidYouMean(s, p.Choices))
	}
	return v, nil
}

// ParamValues checks the parameters' values (text by declared name, as in
// config.Run.Params; a missing one takes its default) and returns them
// typed, for Env.Params. A bad value's error names its flag.
func (s *Script) ParamValues(raw map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(s.Params))
	for _, p := range s.Params {
		txt, ok := raw[p.Name]
		if !ok {
			txt = p.Default
		}
		v, err := p.Parse(txt)
		if err != nil {
			return nil, fmt.Errorf("--%s %v", p.Flag, err)
		}
		out[p.Name] = v
	}
	for k := range raw {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("the script declares no parameter %q%s", k, config.DidYouMean(k, s.paramNames()))
		}
	}
	return out, nil
}

func (s *Script) paramNames() []string {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return names
}

// readParams reads the script's exported `parameters` declarations.
func (s *Script) readParams(vu *VU) error {
	pv := vu.exports.Get("parameters")
	if pv == nil || goja.IsUndefined(pv) || goja.IsNull(pv) {
		return nil
	}
	bad := func(format string, a ...any) error {
		return &ScriptError{File: s.Path, Msg: "export parameters: " + fmt.Sprintf(format, a...)}
	}
	obj, ok := pv.(*goja.Object)
	if !ok || obj.ClassName() == "Array" {
		return bad("must be an object of declarations, e.g. { myArgument: { type: \"int\", default: 3, help: \"...\" } }")
	}
	seen := map[string]string{}
	for _, name := range obj.Keys() {
		if name == "" || !validParamName(name) {
			return bad("%q is not a usable name: use letters, digits and _ (it becomes a flag)", name)
		}
		p := Param{Name: name, Flag: FlagName(name)}
		if other, dup := seen[p.Flag]; dup {
			return bad("%s and %s both become --%s", other, name, p.Flag)
		}
		seen[p.Flag] = name
		d, ok := obj.Get(name).(*goja.Object)
		if !ok {
			return bad("%s must be an object like { type: \"string\", default: \"\", help: \"...\" }", name)
		}
		for _, k := range d.Keys() {
			if !slices.Contains([]string{"type", "default", "help", "choices"}, k) {
				return bad("%s.%s is not a declaration field%s (fields: type, default, help, choices)", name, k, config.DidYouMean(k, []string{"type", "default", "help", "choices"}))
			}
		}
		def := d.Get("default")
		hasDef := def != nil && !goja.IsUndefined(def) && !goja.IsNull(def)
		if t := d.Get("type"); t != nil && !goja.IsUndefined(t) {
			p.Type = t.String()
			if !slices.Contains(ParamTypes, p.Type) {
				return bad("%s.type %q is not a type: use one of %s%s", name, p.Type, strings.Join(ParamTypes, ", "), config.DidYouMean(p.Type, ParamTypes))
			}
		} else if hasDef {
			switch x := def.Export().(type) {
			case string:
				p.Type = "string"
			case bool:
				p.Type = "bool"
			case int64:
				p.Type = "int"
			case float64:
				p.Type = "float"
				if x == math.Trunc(x) {
					p.Type = "int"
				}
			}
		}
		if c, ok := d.Get("choices").(*goja.Object); ok {
			for _, k := range c.Keys() {
				p.Choices = append(p.Choices, c.Get(k).String())
			}
			if p.Type == "" {
				p.Type = "string"
			}
		}
		if p.Type == "" {
			return bad("%s needs a type (%s) or a default to take it from", name, strings.Join(ParamTypes, ", "))
		}
		if h := d.Get("help"); h != nil && !goja.IsUndefined(h) {
			p.Help = h.String()
		}
		switch {
		case hasDef && p.Type == "float":
			p.Default = strconv.FormatFloat(def.ToFloat(), 'f', -1, 64)
		case hasDef:
			p.Default = def.String()
		case p.Type == "int" || p.Type == "float" || p.Type == "duration":
			p.Default = "0"
		case p.Type == "bool":
			p.Default = "false"
		case len(p.Choices) > 0:
			p.Default = p.Choices[0]
		}
		if _, err := p.Parse(p.Default); err != nil {
			return bad("%s.default %v", name, err)
		}
		s.Params = append(s.Params, p)
	}
	sort.Slice(s.Params, func(i, j int) bool { return s.Params[i].Flag < s.Params[j].Flag })
	return nil
}

func validParamName(name string) bool {
	for i, r := range name {
		if !(r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// paramsObject is the jsload module's `params`: the parameters' values,
// shared by all VUs of the process, read-only. While the script is first
// loaded (before the flags are read) it is empty.
type paramsObject struct {
	rt   *goja.Runtime
	vals map[string]any
}

func (vu *VU) newParams() goja.Value {
	return vu.rt.NewDynamicObject(&paramsObject{rt: vu.rt, vals: vu.env.Params})
}

func (o *paramsObject) Get(key string) goja.Value {
	if v, ok := o.vals[key]; ok {
		return o.rt.ToValue(v)
	}
	return nil
}

func (o *paramsObject) Set(key string, _ goja.Value) bool {
	panic(o.rt.NewTypeError("params.%s is read-only: parameters are set with their flags, JSLOAD_* variables or the configuration file", key))
}
func (o *paramsObject) Has(key string) bool    { _, ok := o.vals[key]; return ok }
func (o *paramsObject) Delete(key string) bool { return o.Set(key, nil) }

func (o *paramsObject) Keys() []string {
	keys := make([]string, 0, len(o.vals))
	for k := range o.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
