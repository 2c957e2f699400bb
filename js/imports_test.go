package js

import (
	"context"
	"strings"
	"testing"
)

func TestImportsOfJsloadAreChecked(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"missing export", "import { task, group } from \"jsload\";\nexport const a = task(() => group());\n",
			`main.js:1:16: "jsload" has no export named "group"; it exports task, tag,`},
		{"did you mean", "import {\n  tsak } from \"jsload\";\nexport const a = 1;\n",
			`main.js:2:3: "jsload" has no export named "tsak" (did you mean "task"?)`},
		{"namespace read", "import * as j from \"jsload\";\nexport const a = j.task(() => j.slep(1));\n",
			`main.js:2:33: "jsload" has no export named "slep" (did you mean "sleep"?)`},
		{"submodule export", "import { task } from \"jsload\";\nimport { gte } from \"jsload/http\";\nexport const a = task(() => gte(\"/\"));\n",
			`main.js:2:10: "jsload/http" has no export named "gte" (did you mean "get"?)`},
		{"unknown submodule", "import { task } from \"jsload\";\nimport ws from \"jsload/wss\";\nexport const a = task(() => ws);\n",
			`main.js:2:16: there is no module "jsload/wss"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(context.Background(), writeScript(t, "main.js", c.src), LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load error = %v, want %q", err, c.want)
			}
			if _, ok := err.(*ScriptError); !ok {
				t.Errorf("error is %T, want *ScriptError", err)
			}
		})
	}
	// Every name jsload exports, default imports, reserved-word names and
	// type-only imports in TypeScript load.
	ok := []struct{ file, src string }{
		{"main.js", "import jsload, { task, sleep, http, events, HttpUser, FastHttpUser, check } from \"jsload\";\n" +
			"import h, { get, post, del, delete as remove, request, client } from \"jsload/http\";\nimport ev, { fire, measure } from \"jsload/events\";\n" +
			"export const a = task(() => [jsload, sleep, http, events, HttpUser, FastHttpUser, check, h, get, post, del, remove, request, client, ev, fire, measure]);\n"},
		{"main.ts", "import { task } from \"jsload\";\nimport type { Whatever } from \"jsload\";\nlet w: Whatever | undefined;\nexport const a = task(() => w);\n"},
	}
	for _, c := range ok {
		if _, err := Load(context.Background(), writeScript(t, c.file, c.src), LoadOptions{}); err != nil {
			t.Errorf("%s: %v", c.file, err)
		}
	}
}
