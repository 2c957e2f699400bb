package js

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// declaredExports returns the values (functions, constants, classes) that
// jsload.d.ts declares in `declare module "name"`.
func declaredExports(t *testing.T, module string) []string {
	t.Helper()
	head := "declare module \"" + module + "\" {\n"
	i := strings.Index(TypeDeclarations, head)
	if i < 0 {
		t.Fatalf("jsload.d.ts does not declare module %q", module)
	}
	body := TypeDeclarations[i+len(head):]
	body = body[:strings.Index(body, "\n}\n")]
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  export (?:declare )?(?:function|const|let|var|class) (\w+)`).FindAllStringSubmatch(body, -1) {
		seen[m[1]] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The declarations name every export of the built-in modules, and nothing
// they lack: the runtime's own list (Object.keys of the module) against
// the d.ts file's. jsload/http and jsload/events are the module's http and
// events objects (their members are the HttpClient and Events interfaces);
// every other module is compared here, and a module the import check knows
// but this test does not is an error.
func TestTypeDeclarationsMatchTheModules(t *testing.T) {
	t.Parallel()
	s := load(t, "main.js", `import { task } from "jsload";
globalThis.keys = {};
for (const m of ["jsload", "jsload/ws", "jsload/tcp", "jsload/encoding", "jsload/crypto", "jsload/grpc"]) globalThis.keys[m] = Object.keys(require(m));
export const a = task(() => {});
`)
	vu := newVU(t, s, testEnv(""), 1, 0)
	keys := global(vu, "keys").Export().(map[string]any)
	for _, m := range []string{"jsload", "jsload/ws", "jsload/tcp", "jsload/encoding", "jsload/crypto", "jsload/grpc"} {
		var runtime []string
		for _, k := range keys[m].([]any) {
			runtime = append(runtime, k.(string))
		}
		sort.Strings(runtime)
		if len(runtime) == 0 {
			t.Fatalf("module %s has no exports at run time", m)
		}
		declared := declaredExports(t, m)
		for _, k := range runtime {
			if !slices.Contains(declared, k) {
				t.Errorf("jsload.d.ts lacks %s's export %q", m, k)
			}
		}
		for _, k := range declared {
			if !slices.Contains(runtime, k) {
				t.Errorf("jsload.d.ts declares %q in %s, which has no such export", k, m)
			}
		}
	}
	for m := range builtinModules() {
		if m == "k6" || strings.HasPrefix(m, "k6/") {
			continue // k6's modules are typed by k6's own declarations (@types/k6); see TestK6ModulesExportWhatTheCheckAllows
		}
		if m != "jsload/http" && m != "jsload/events" && !slices.Contains([]string{"jsload", "jsload/ws", "jsload/tcp", "jsload/encoding", "jsload/crypto", "jsload/grpc"}, m) {
			t.Errorf("module %s is not compared with jsload.d.ts: add it to this test and to the declarations", m)
		}
	}
	for _, g := range []string{"__VU", "__ITER", "__ENV", "console", "TextEncoder", "TextDecoder"} {
		if !regexp.MustCompile(`(?m)^declare (?:const|var|class) ` + g + `\b`).MatchString(TypeDeclarations) {
			t.Errorf("jsload.d.ts does not declare the global %s", g)
		}
	}
}
