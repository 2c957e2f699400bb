package js

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/jsload/jsload/internal/config"
)

// The "jsload" module comes from Go, so esbuild, which leaves it external,
// cannot see which names it exports: `import { group } from "jsload"`
// would give undefined and a TypeError at run time. checkImports bundles
// the script a second time with "jsload" and its submodules as ES modules
// that export exactly the names the VU's require gives, so that esbuild's
// own check of named imports reports a missing one at the import.

// moduleNamespace is the esbuild namespace of the stand-in modules.
const moduleNamespace = "jsload-module"

// builtinModules are the modules require gives scripts, with the names
// each exports (a default import is always allowed).
func builtinModules() map[string][]string {
	mods := map[string][]string{}
	for _, e := range moduleTable {
		mods["jsload"] = append(mods["jsload"], e.name)
	}
	for _, m := range clientMembers {
		mods["jsload/http"] = append(mods["jsload/http"], m.name)
	}
	mods["jsload/http"] = append(mods["jsload/http"], "headers", "auth", "baseURL")
	for _, e := range eventsTable {
		mods["jsload/events"] = append(mods["jsload/events"], e.name)
	}
	mods["jsload/ws"] = []string{"connect"}  // ws.go
	mods["jsload/tcp"] = []string{"connect"} // tcp.go
	for _, e := range encodingTable {
		mods["jsload/encoding"] = append(mods["jsload/encoding"], e.name)
	}
	for _, e := range cryptoTable {
		mods["jsload/crypto"] = append(mods["jsload/crypto"], e.name)
	}
	mods["jsload/grpc"] = grpcExports // grpc.go
	for m, names := range k6Modules() {
		mods[m] = names
	}
	return mods
}

var (
	noExportRE  = regexp.MustCompile(`No matching export in "` + moduleNamespace + `:([^"]+)" for import "([^"]+)"`)
	undefinedRE = regexp.MustCompile(`Import "([^"]+)" will always be undefined because there is no matching export in "` + moduleNamespace + `:([^"]+)"`)
)

// checkImports reports the first import of a name the jsload module (or a
// submodule) does not export, or of a submodule that does not exist, with
// the importing file:line:column. opts are the options the script was
// bundled with.
func checkImports(opts api.BuildOptions) error {
	mods := builtinModules()
	var names []string
	for m := range mods {
		names = append(names, m)
	}
	slices.Sort(names)
	var k6Names []string
	for m := range k6Modules() {
		k6Names = append(k6Names, m)
	}
	slices.Sort(k6Names)
	opts.External = nil
	opts.Sourcemap = api.SourceMapNone
	opts.Metafile = false
	opts.Plugins = []api.Plugin{{
		Name: "jsload",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `^(jsload|k6)(/|$)`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				if _, ok := mods[a.Path]; !ok && (a.Path == "k6" || strings.HasPrefix(a.Path, "k6/")) {
					return api.OnResolveResult{}, fmt.Errorf("%s", k6UnsupportedMessage(a.Path, k6Names))
				}
				if _, ok := mods[a.Path]; !ok {
					return api.OnResolveResult{}, fmt.Errorf("there is no module %q%s: jsload's modules are %s", a.Path, config.DidYouMean(a.Path, names), strings.Join(names, ", "))
				}
				return api.OnResolveResult{Path: a.Path, Namespace: moduleNamespace}, nil
			})
			b.OnResolve(api.OnResolveOptions{Filter: `^https?://`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				if !k6SummaryURL.MatchString(a.Path) {
					return api.OnResolveResult{}, fmt.Errorf("%s", remoteImportMessage(a.Path))
				}
				return api.OnResolveResult{Path: a.Path, Namespace: moduleNamespace}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: moduleNamespace}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				// Aliases, as some names ("delete") are reserved words.
				var b strings.Builder
				b.WriteString("let x;\nexport default x;\nexport {")
				for i, n := range exportsOf(mods, a.Path) {
					if i > 0 {
						b.WriteString(",")
					}
					b.WriteString(" x as " + n)
				}
				b.WriteString(" };\n")
				src := b.String()
				return api.OnLoadResult{Contents: &src, Loader: api.LoaderJS}, nil
			})
		},
	}}
	res := api.Build(opts)
	for i, m := range append(res.Errors, res.Warnings...) {
		var mod, name string
		if g := noExportRE.FindStringSubmatch(m.Text); g != nil {
			mod, name = g[1], g[2]
		} else if g := undefinedRE.FindStringSubmatch(m.Text); g != nil {
			mod, name = g[2], g[1]
		} else if m.PluginName == "jsload" {
			return esbuildError(m, 1)
		} else if i < len(res.Errors) {
			// The script bundled without the stand-ins: this is jsload's fault.
			return fmt.Errorf("checking the script's imports of jsload: %s", m.Text)
		} else {
			continue // a warning not about jsload's modules
		}
		exp := exportsOf(mods, mod)
		m.Text = fmt.Sprintf("%q has no export named %q%s; it exports %s", mod, name, config.DidYouMean(name, exp), strings.Join(exp, ", "))
		return esbuildError(m, 1)
	}
	return nil
}

// exportsOf is the names module path exports: a built-in module's, or
// those of k6's jslib summary module (any version).
func exportsOf(mods map[string][]string, path string) []string {
	if k6SummaryURL.MatchString(path) {
		names := make([]string, len(k6SummaryTable))
		for i, e := range k6SummaryTable {
			names[i] = e.name
		}
		return names
	}
	return mods[path]
}
