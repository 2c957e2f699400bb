package grpcc

import (
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// UnknownFieldError is a JSON object key that names no field of the
// message it is decoded into.
type UnknownFieldError struct {
	Message string   // the message type's full name
	Path    string   // where the key is, e.g. "model.labels[0]"; "" at the top
	Field   string   // the key
	Known   []string // the message's fields (JSON names)
}

func (e *UnknownFieldError) Error() string {
	at := ""
	if e.Path != "" {
		at = " (at " + e.Path + ")"
	}
	return fmt.Sprintf("%s has no field %q%s; its fields: %s", e.Message, e.Field, at, strings.Join(e.Known, ", "))
}

// unknownField finds the first key of js that names no field, for a
// better message than protojson's; nil when there is none or js is not
// an object.
func unknownField(md protoreflect.MessageDescriptor, js []byte) *UnknownFieldError {
	var v any
	if json.Unmarshal(js, &v) != nil {
		return nil
	}
	return walkFields(md, v, "")
}

func walkFields(md protoreflect.MessageDescriptor, v any, path string) *UnknownFieldError {
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
		return nil // well-known types have JSON forms of their own
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	fields := md.Fields()
	for k, val := range obj {
		f := fields.ByJSONName(k)
		if f == nil {
			f = fields.ByTextName(k)
		}
		if f == nil {
			if strings.HasPrefix(k, "[") || k == "@type" {
				continue // extensions and Any's type are protojson's to judge
			}
			known := make([]string, fields.Len())
			for i := range known {
				known[i] = fields.Get(i).JSONName()
			}
			return &UnknownFieldError{Message: string(md.FullName()), Path: path, Field: k, Known: known}
		}
		sub := joinPath(path, k)
		switch {
		case f.IsMap():
			if vd := f.MapValue(); vd.Message() != nil {
				if m, ok := val.(map[string]any); ok {
					for mk, mv := range m {
						if e := walkFields(vd.Message(), mv, sub+"["+mk+"]"); e != nil {
							return e
						}
					}
				}
			}
		case f.Message() != nil && f.IsList():
			if l, ok := val.([]any); ok {
				for i, x := range l {
					if e := walkFields(f.Message(), x, fmt.Sprintf("%s[%d]", sub, i)); e != nil {
						return e
					}
				}
			}
		case f.Message() != nil:
			if e := walkFields(f.Message(), val, sub); e != nil {
				return e
			}
		}
	}
	return nil
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
