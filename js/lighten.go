package js

import (
	"fmt"
	"regexp"
	"strings"
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

// lighten returns the lighter code and, when it made the entry module's
// exports a Go object (exportSwitch), their names.
func lighten(code string) (string, []string) {
	code = strings.Replace(code, copyPropsLoop,
		"for (let __names = __getOwnPropNames(from), __i = 0, key; __i < __names.length && ((key = __names[__i]), true); __i++)", 1)
	if m := entryExports.FindAllStringSubmatchIndex(code, -1); len(m) == 1 {
		code = code[:m[0][0]] + "module.exports = " + code[m[0][2]:m[0][3]] + ";" + code[m[0][1]:]
	}
	if i := strings.Index(code, exportHelper); i >= 0 && (i == 0 || code[i-1] == '\n') {
		code = code[:i] + "var __export = require(\"jsload:export\");\n\n\n\n" + code[i+len(exportHelper):]
	}
	code, names := exportSwitch(code)
	return dropUnusedHelpers(code), names
}

// exportLine is one line of esbuild's __export call: an export's name (an
// identifier or a quoted string) and the getter of its local variable.
var exportLine = regexp.MustCompile(`^  (?:([A-Za-z_$][\w$]*)|"([^"\\]*)"): \(\) => ([A-Za-z_$][\w$]*),?$`)

// moduleExports is the statement entryExports makes.
var moduleExports = regexp.MustCompile(`(?m)^module\.exports = ([A-Za-z_$][\w$]*);\n`)

// exportParam is the parameter of the function exportSwitch writes.
const exportParam = "__jsloadExport"

// exportSwitch turns the entry module's export object, which has a getter
// function per export, into a Go object (exportsObject) that reads every
// export through one function:
//
//	var main_exports = {};                    var main_exports = {};
//	__export(main_exports, {                  main_exports = require("jsload:exports")((__jsloadExport) => { switch (__jsloadExport) {
//	  a: () => a,                  becomes      case 0: return a;
//	  b: () => b                                case 1: return b;
//	});                                       } });
//	module.exports = main_exports;            module.exports = main_exports;
//
// It returns the export names in esbuild's order ("a", "b"). The exports
// stay live bindings, and the names and their order are the same. Only when
// the bundle has exactly this shape and uses the object nowhere else;
// otherwise the code is left as it is.
func exportSwitch(code string) (string, []string) {
	m := moduleExports.FindStringSubmatchIndex(code)
	if m == nil || strings.Contains(code, exportParam) {
		return code, nil
	}
	x := code[m[2]:m[3]]
	head := "\n__export(" + x + ", {\n"
	start := strings.LastIndex(code[:m[0]], head)
	if start < 0 || identUses(code, x) != 3 || !strings.HasSuffix(code[:start], "\nvar "+x+" = {};") {
		return code, nil
	}
	body := code[start+len(head) : m[0]]
	if !strings.HasSuffix(body, "\n});\n") {
		return code, nil
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n});\n"), "\n")
	names := make([]string, len(lines))
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s = require(\"jsload:exports\")((%s) => { switch (%s) {\n", x, exportParam, exportParam)
	for i, l := range lines {
		lm := exportLine.FindStringSubmatch(l)
		if lm == nil {
			return code, nil
		}
		names[i] = lm[1] + lm[2]
		if names[i] == "" || strings.Trim(names[i], "0123456789") == "" {
			return code, nil // an index-like name sorts differently on a plain object
		}
		fmt.Fprintf(&b, "  case %d: return %s;\n", i, lm[3])
	}
	b.WriteString("} });\n")
	return code[:start] + b.String() + code[m[0]:], names
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
		eachIdent(code, name, func(j int) {
			for _, h := range hs {
				if j >= h.start && j < h.end && (h.dropped || h.name == name) {
					return
				}
			}
			n++
		})
		return n
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

// identUses counts the occurrences of the identifier name in code.
func identUses(code, name string) int {
	n := 0
	eachIdent(code, name, func(int) { n++ })
	return n
}

// eachIdent calls f with the offset of every occurrence of the identifier
// name in code (not as a part of a longer identifier; in strings and
// comments too, which only errs on the side of keeping code).
func eachIdent(code, name string, f func(at int)) {
	for i := 0; ; {
		j := strings.Index(code[i:], name)
		if j < 0 {
			return
		}
		j += i
		i = j + len(name)
		if (j == 0 || !isIdentByte(code[j-1])) && (i == len(code) || !isIdentByte(code[i])) {
			f(j)
		}
	}
}
