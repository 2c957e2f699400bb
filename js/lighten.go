package js

import (
	"regexp"
	"strings"

	"github.com/dop251/goja"
)

// Every VU runs the whole bundle, so whatever esbuild's CommonJS helpers
// build is built again in each of thousands of runtimes: a function object
// costs about 800 bytes, and touching a builtin (Object.defineProperty, a
// for-in loop over an object literal, which walks Object.prototype) makes
// goja build it in that runtime. lighten rewrites the helpers' text into an
// equivalent that builds less. Every rewrite keeps the line count and the
// code after it in place, so that source-map positions stay right; a helper
// whose text is not the expected one is left as it is (TestLighten notices
// when an esbuild upgrade changes them).

// copyPropsLoop is the loop of esbuild's __copyProps helper, which turns an
// ES module's exports into CommonJS ones. A for-of loop makes goja build
// the array iterator machinery in every user's runtime; an index loop over
// the same names does the same work without it. Both keep a fresh key per
// iteration for the getters made in the loop.
const copyPropsLoop = "for (let key of __getOwnPropNames(from))"

// exportHelper is esbuild's __export, which defines a module's exports as
// getters. Its for-in loop makes goja build every method of
// Object.prototype; the VU's require("jsload:export") does the same in Go
// (exportNames).
const exportHelper = "var __export = (target, all) => {\n" +
	"  for (var name in all)\n" +
	"    __defProp(target, name, { get: all[name], enumerable: true });\n" +
	"};\n"

// entryExports matches the statement that makes the entry module's exports
// the CommonJS module.exports: __toCommonJS copies every export into a new
// object with one more getter function each. module.exports is the
// module's own export object instead, with the same enumerable properties
// (only the non-enumerable __esModule marker, which nothing reads, is
// left out).
var entryExports = regexp.MustCompile(`(?m)^module\.exports = __toCommonJS\(([A-Za-z_$][\w$]*)\);$`)

func lighten(code string) string {
	code = strings.Replace(code, copyPropsLoop,
		"for (let __names = __getOwnPropNames(from), __i = 0, key; __i < __names.length && ((key = __names[__i]), true); __i++)", 1)
	if m := entryExports.FindAllStringSubmatchIndex(code, -1); len(m) == 1 {
		code = code[:m[0][0]] + "module.exports = " + code[m[0][2]:m[0][3]] + ";" + code[m[0][1]:]
	}
	if i := strings.Index(code, exportHelper); i >= 0 && (i == 0 || code[i-1] == '\n') {
		code = code[:i] + "var __export = require(\"jsload:export\");\n\n\n\n" + code[i+len(exportHelper):]
	}
	return dropUnusedHelpers(code)
}

// dropUnusedHelpers blanks the helpers at the top of the bundle that
// nothing refers to any more (after the rewrites above, __toCommonJS,
// __copyProps and the builtins they alias often are): each "var __x = ...;"
// of the leading block becomes as many empty lines.
func dropUnusedHelpers(code string) string {
	type helper struct {
		name       string
		start, end int // byte span, ending after its last newline
		dropped    bool
	}
	var hs []helper
	pos := 0
	for pos < len(code) {
		nl := strings.IndexByte(code[pos:], '\n')
		if nl < 0 {
			break
		}
		line := code[pos : pos+nl]
		switch {
		case strings.HasPrefix(line, "var __"):
			name := line[len("var "):]
			k := strings.IndexFunc(name, func(r rune) bool { return !isIdentRune(r) })
			if k <= 0 || !strings.HasPrefix(name[k:], " = ") {
				return code // not esbuild's helper block
			}
			hs = append(hs, helper{name: name[:k], start: pos})
		case len(hs) > 0 && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "}")):
			// a continuation line of the helper above
		case len(hs) > 0 && line == "" && strings.HasPrefix(strings.TrimLeft(code[pos:], "\n"), "var __"):
			// a blank line left by a rewrite above
		case len(hs) == 0 && (strings.HasPrefix(line, "#!") || line == `"use strict";`):
			pos += nl + 1 // what esbuild puts before the helpers
			continue
		default:
			pos = len(code) // the end of the block
			continue
		}
		pos += nl + 1
		hs[len(hs)-1].end = pos
	}
	if len(hs) == 0 {
		return code
	}
	// uses counts the references to name outside its own definition and
	// outside helpers already dropped.
	uses := func(name string) int {
		n := 0
		for i := 0; ; {
			j := strings.Index(code[i:], name)
			if j < 0 {
				return n
			}
			j += i
			i = j + len(name)
			if j > 0 && isIdentByte(code[j-1]) || i < len(code) && isIdentByte(code[i]) {
				continue
			}
			inDef := false
			for _, h := range hs {
				if j >= h.start && j < h.end && (h.dropped || h.name == name) {
					inDef = true
					break
				}
			}
			if !inDef {
				n++
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range hs {
			if !hs[i].dropped && uses(hs[i].name) == 0 {
				hs[i].dropped = true
				changed = true
			}
		}
	}
	var b strings.Builder
	last := 0
	for _, h := range hs {
		if !h.dropped {
			continue
		}
		b.WriteString(code[last:h.start])
		b.WriteString(strings.Repeat("\n", strings.Count(code[h.start:h.end], "\n")))
		last = h.end
	}
	b.WriteString(code[last:])
	return b.String()
}

func isIdentRune(r rune) bool { return r < 0x80 && isIdentByte(byte(r)) }

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// exportNames is require("jsload:export"), the VU's __export: it defines
// each property of all (a getter function) on target as an enumerable,
// non-configurable getter, as esbuild's helper does.
func (vu *VU) exportNames(c goja.FunctionCall) goja.Value {
	target, ok := c.Argument(0).(*goja.Object)
	all, ok2 := c.Argument(1).(*goja.Object)
	if !ok || !ok2 {
		panic(vu.rt.NewTypeError("__export: expected two objects"))
	}
	for _, k := range all.Keys() {
		if err := target.DefineAccessorProperty(k, all.Get(k), nil, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			panic(err)
		}
	}
	return goja.Undefined()
}

// moduleHead starts the function wrapModule puts the bundle in.
const moduleHead = "(function () {"

// wrapModule makes the bundle the body of a function, called at once, as
// Node.js runs a CommonJS module: the bundle's top-level declarations (the
// script's module-scope variables and functions, esbuild's import_x
// variables and helpers) are then local variables, as they are in the ES
// modules the script is written as, instead of properties of the global
// object (a Go map entry each, in every runtime). The head goes on the first
// line, so that every other line keeps its columns (mapPosition corrects the
// first); a #! line becomes a comment.
func wrapModule(code string) string {
	if strings.HasPrefix(code, "#!") {
		code = "//" + code[2:]
	}
	return moduleHead + code + "\n})();"
}
