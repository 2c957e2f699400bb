package js

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dop251/goja"
)

// describeError turns an error from describe (prelude.js) into a
// ScriptError: a check of a class's attributes or tasks carries the class
// and attribute it is about (jsloadAt), which locate finds in the user's
// source; anything else (a constructor that threw) is positioned by its
// stack.
func (s *Script) describeError(vu *VU, err error) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		if o, ok := ex.Value().(*goja.Object); ok {
			if v := o.Get("jsloadAt"); v != nil {
				if at, ok := v.Export().([]any); ok && len(at) == 2 {
					cls, _ := at[0].(string)
					attr, _ := at[1].(string)
					se := &ScriptError{File: s.Path, Msg: o.Get("message").String()}
					if file, line, col, ok := s.locate(cls, attr); ok {
						se.File, se.Line, se.Column = file, line, col
					}
					return se
				}
			}
		}
	}
	return vu.scriptError(err, "")
}

// locate finds where attribute attr of class cls is written in the
// script's sources (from the source map): the first attr after
// "class cls", else the class itself, else the first attr anywhere. It
// is a text search: good enough to point at the line a message is about.
func (s *Script) locate(cls, attr string) (file string, line, col int, ok bool) {
	var m struct {
		Sources        []string `json:"sources"`
		SourcesContent []string `json:"sourcesContent"`
	}
	if json.Unmarshal(s.smapJSON, &m) != nil {
		return "", 0, 0, false
	}
	var classRE, attrRE *regexp.Regexp
	if cls != "" {
		classRE = regexp.MustCompile(`\bclass\s+` + regexp.QuoteMeta(cls) + `\b`)
	}
	if attr != "" {
		attrRE = regexp.MustCompile(`(^|[^\w$])` + regexp.QuoteMeta(attr) + `($|[^\w$])`)
	}
	at := func(i, off int) (string, int, int, bool) {
		src := m.SourcesContent[i][:off]
		l := strings.Count(src, "\n") + 1
		c := off - strings.LastIndex(src, "\n")
		return filepath.ToSlash(filepath.Join(s.dir, filepath.FromSlash(m.Sources[i]))), l, c, true
	}
	attrAfter := func(i, from int) int {
		if attrRE == nil {
			return -1
		}
		loc := attrRE.FindStringSubmatchIndex(m.SourcesContent[i][from:])
		if loc == nil {
			return -1
		}
		return from + loc[3] // after the character before the name
	}
	for i := range m.SourcesContent {
		if i >= len(m.Sources) || classRE == nil {
			break
		}
		if loc := classRE.FindStringIndex(m.SourcesContent[i]); loc != nil {
			if off := attrAfter(i, loc[1]); off >= 0 {
				return at(i, off)
			}
			return at(i, loc[0])
		}
	}
	for i := range m.SourcesContent {
		if i >= len(m.Sources) {
			break
		}
		if off := attrAfter(i, 0); off >= 0 {
			return at(i, off)
		}
	}
	return "", 0, 0, false
}
