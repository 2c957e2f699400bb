package js

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// ScriptError is a problem in the user's script, with its place in the
// user's own source. Its Error() is "file:line:column: message".
type ScriptError struct {
	File   string // relative to the working directory when possible
	Line   int    // 1-based, 0 when unknown
	Column int    // 1-based, 0 when unknown
	Msg    string
	Stack  string // the JS stack for exceptions, in source positions
}

// GroupKey is what exceptions are grouped by: their kind ("TypeError")
// and position when the position is known, else the message (as the
// statistics group them).
func (e *ScriptError) GroupKey() string {
	if e.File == "" {
		return e.Msg
	}
	kind, _, _ := strings.Cut(e.Msg, ":")
	return fmt.Sprintf("%s:%d:%d %s", e.File, e.Line, e.Column, kind)
}

func (e *ScriptError) Error() string {
	if e.File == "" {
		return e.Msg
	}
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// bundled is a script turned into one CommonJS program.
type bundled struct {
	name  string // the program's name: beside the entry file, so that source map paths resolve to it
	code  string
	smap  []byte            // the source map (JSON)
	files []string          // every source file that went into the bundle
	given map[string][]byte // data files sent by a cluster's master (Bundle.Files)
	// protos are .proto sources that came with a bundle from a cluster's
	// master (Bundle.Protos); nil for a script read from disk.
	protos map[string]string
}

// bundle runs esbuild on the entry file: ES modules and TypeScript become
// one CommonJS program with an inline source map; "jsload" and "jsload/..."
// stay external and are provided by the VU's require.
func bundle(path string) (*bundled, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil {
		if os.IsNotExist(err) {
			return nil, &ScriptError{Msg: fmt.Sprintf("script %s not found", path)}
		}
		return nil, &ScriptError{File: path, Msg: err.Error()}
	} else if st.IsDir() {
		return nil, &ScriptError{File: path, Msg: "is a directory, not a script"}
	}
	outfile := strings.TrimSuffix(abs, filepath.Ext(abs)) + ".jsload-bundle.js"
	opts := api.BuildOptions{
		EntryPoints:   []string{abs},
		Bundle:        true,
		Write:         false,
		Format:        api.FormatCommonJS,
		Platform:      api.PlatformNeutral,
		MainFields:    []string{"module", "main"},
		Target:        api.ES2020,
		External:      []string{"jsload", "jsload/*", "k6", "k6/*"},
		Sourcemap:     api.SourceMapExternal,
		Outfile:       outfile,
		AbsWorkingDir: cwd,
		Charset:       api.CharsetUTF8,
		KeepNames:     true,
		Metafile:      true,
		LogLevel:      api.LogLevelSilent,
		Loader: map[string]api.Loader{
			".js": api.LoaderJS, ".mjs": api.LoaderJS, ".cjs": api.LoaderJS,
			".ts": api.LoaderTS, ".mts": api.LoaderTS, ".cts": api.LoaderTS,
			".jsx": api.LoaderJSX, ".tsx": api.LoaderTSX, ".json": api.LoaderJSON,
			".txt": api.LoaderText,
		},
	}
	res := api.Build(opts)
	if len(res.Errors) > 0 {
		return nil, esbuildError(res.Errors[0], len(res.Errors))
	}
	if err := checkImports(opts); err != nil {
		return nil, err
	}
	b := &bundled{name: outfile}
	if rel, err := filepath.Rel(cwd, outfile); err == nil && !strings.HasPrefix(rel, "..") {
		b.name = rel
	}
	for _, f := range res.OutputFiles {
		if strings.HasSuffix(f.Path, ".map") {
			b.smap = f.Contents
		} else {
			b.code = string(f.Contents)
		}
	}
	if b.code == "" && len(res.OutputFiles) == 0 {
		return nil, &ScriptError{File: path, Msg: "bundling produced no output"}
	}
	var meta struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if json.Unmarshal([]byte(res.Metafile), &meta) == nil {
		for in := range meta.Inputs {
			if !filepath.IsAbs(in) {
				in = filepath.Join(cwd, in)
			}
			b.files = append(b.files, in)
		}
		sort.Strings(b.files)
	}
	return b, nil
}

func esbuildError(m api.Message, n int) error {
	msg := m.Text
	if n > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", n-1)
	}
	if m.Location == nil {
		return &ScriptError{Msg: msg}
	}
	return &ScriptError{File: m.Location.File, Line: m.Location.Line, Column: m.Location.Column + 1, Msg: msg}
}
