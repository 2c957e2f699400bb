package js

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"

	"github.com/dop251/goja"
)

// jsonNode is one value of a JSON text parsed once in Go, so that every
// user's runtime can make its own copy of setup()'s data without parsing
// the text again (JSON.parse in each of 10,000 runtimes cost about 85 us
// each, most of a prepared user's start).
type jsonNode struct {
	kind byte // 'n' null, 'b' bool, 'f' number, 's' string, 'o' object, 'a' array
	b    bool
	f    float64
	s    string
	keys []string // object keys, in the text's order (duplicates kept: the last wins)
	vals []jsonNode
}

// parsedJSON is a JSON text with its parse (nil when the text is not one
// JSON value: JSON.parse then reports the error as before).
type parsedJSON struct {
	text string
	root *jsonNode
}

// setupTree caches the parse of Env.SetupData for all users of an Env.
type setupTree struct{ p atomic.Pointer[parsedJSON] }

// get returns the parse of text, parsing it on first use.
func (t *setupTree) get(text string) *jsonNode {
	if p := t.p.Load(); p != nil && p.text == text {
		return p.root
	}
	p := &parsedJSON{text: text}
	d := json.NewDecoder(strings.NewReader(text))
	if n, err := decodeJSONNode(d); err == nil {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			p.root = n
		}
	}
	t.p.Store(p)
	return p.root
}

// decodeJSONNode reads one value from d's tokens, as goja's JSON.parse does.
func decodeJSONNode(d *json.Decoder) (*jsonNode, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	return decodeJSONToken(d, tok)
}

func decodeJSONToken(d *json.Decoder, tok json.Token) (*jsonNode, error) {
	switch tok := tok.(type) {
	case json.Delim:
		n := &jsonNode{kind: 'a'}
		if tok == '{' {
			n.kind = 'o'
		}
		for {
			t, err := d.Token()
			if err != nil {
				return nil, err
			}
			if t == json.Delim('}') || t == json.Delim(']') {
				return n, nil
			}
			if n.kind == 'o' {
				key, ok := t.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				n.keys = append(n.keys, key)
				if t, err = d.Token(); err != nil {
					return nil, err
				}
			}
			v, err := decodeJSONToken(d, t)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, *v)
		}
	case nil:
		return &jsonNode{kind: 'n'}, nil
	case string:
		return &jsonNode{kind: 's', s: tok}, nil
	case float64:
		return &jsonNode{kind: 'f', f: tok}, nil
	case bool:
		return &jsonNode{kind: 'b', b: tok}, nil
	}
	return nil, errors.New("unexpected token")
}

// value makes n's JavaScript value in rt: what JSON.parse of its text
// returns (fresh objects and arrays, keys defined as own properties in the
// text's order).
func (n *jsonNode) value(rt *goja.Runtime) goja.Value {
	switch n.kind {
	case 'n':
		return goja.Null()
	case 'b':
		return rt.ToValue(n.b)
	case 'f':
		return rt.ToValue(n.f)
	case 's':
		return rt.ToValue(n.s)
	case 'a':
		vs := make([]any, len(n.vals))
		for i := range n.vals {
			vs[i] = n.vals[i].value(rt)
		}
		return rt.NewArray(vs...)
	}
	o := rt.NewObject()
	for i, k := range n.keys {
		must(o.DefineDataProperty(k, n.vals[i].value(rt), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE))
	}
	return o
}
