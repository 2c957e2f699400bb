package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jsload/jsload/js"
)

// starterScript is the script `jsload init` writes; TypeScript only adds
// types to it.
const starterScript = `// A jsload load test. Run it against your site with:
//   jsload run %[1]s --host http://localhost:8080 --headless -u 10 -r 2 -t 30s
// or open the web panel with: jsload run %[1]s --host http://localhost:8080
import { HttpUser, task, between, check, params } from "jsload";

// Custom parameters: --page-size 20, JSLOAD_PAGE_SIZE=20, or page-size = 20
// in jsload.conf. "jsload run %[1]s --help" lists them.
export const parameters = {
  pageSize: { type: "int", default: 10, help: "items asked for per page" },
};

export class WebsiteUser extends HttpUser {
  waitTime = between(1, 3);

  onStart()%[2]s {
    this.client.get("/", { name: "home (onStart)" });
  }

  @task(3)
  home()%[2]s {
    const res = this.client.get("/");
    check(res, { "status is 200": (r%[3]s) => r.status === 200 });
  }

  @task(1)
  page()%[2]s {
    this.client.get("/", { query: { page: __ITER, size: params.pageSize }, name: "/?page" });
  }
}
`

const jsconfig = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "lib": ["ES2022"],
    "checkJs": true,
    "noEmit": true
  },
  "include": ["*.js", "**/*.js", "jsload.d.ts"]
}
`

const tsconfig = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "lib": ["ES2022"],
    "strict": true,
    "noEmit": true
  },
  "include": ["*.ts", "**/*.ts"]
}
`

const starterConf = `# jsload reads this file when run from this folder (or give --config FILE).
# Keys are jsload run's long flag names, and the script's parameters;
# flags and JSLOAD_* variables win over it, and it wins over the script's options.
# host = http://localhost:8080
# users = 10
# spawn-rate = 2
# run-time = 30s
# headless = true
# page-size = 10
`

func newInitCmd(st *State) *cobra.Command {
	ts := false
	cmd := &cobra.Command{
		Use:   "init [FOLDER]",
		Short: "Write a starter script, editor configuration and type declarations",
		Long: `Write a starter load test into FOLDER (default: the current folder): loadtest.js
(loadtest.ts with --typescript), jsconfig.json (tsconfig.json) so that editors resolve
the "jsload" module, jsload.d.ts with its types, and a commented jsload.conf.
Existing files are never overwritten.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("init takes at most one folder, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return writeStarter(st, dir, ts)
		},
	}
	cmd.Flags().BoolVar(&ts, "typescript", false, "write a TypeScript script (loadtest.ts) and tsconfig.json")
	return cmd
}

// writeStarter writes the starter files into dir, or none of them when
// any exists.
func writeStarter(st *State, dir string, ts bool) error {
	name, cfgName, cfg := "loadtest.js", "jsconfig.json", jsconfig
	types := [3]string{}
	if ts {
		name, cfgName, cfg = "loadtest.ts", "tsconfig.json", tsconfig
		types = [3]string{"", ": void", ": any"}
	}
	files := []struct{ name, text string }{
		{name, fmt.Sprintf(starterScript, name, types[1], types[2])},
		{cfgName, cfg},
		{"jsload.d.ts", js.TypeDeclarations},
		{"jsload.conf", starterConf},
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return usageError{fmt.Errorf("%s is a file, not a folder", dir)}
	}
	var exist []string
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, f.name)); err == nil {
			exist = append(exist, filepath.Join(dir, f.name))
		}
	}
	if len(exist) > 0 {
		it := "it"
		if len(exist) > 1 {
			it = "them"
		}
		return usageError{fmt.Errorf("not overwriting %s: move %s away or pick another folder (nothing was written)", strings.Join(exist, ", "), it)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError{fmt.Errorf("making %s: %v", dir, pathError(err))}
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		// O_EXCL: a file made meanwhile is not overwritten either.
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = fh.WriteString(f.text)
			if cerr := fh.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return usageError{fmt.Errorf("not overwriting %s", p)}
			}
			return usageError{fmt.Errorf("writing %s: %v", p, pathError(err))}
		}
		fmt.Fprintf(st.Stdout, "wrote %s\n", p)
	}
	fmt.Fprintf(st.Stdout, "\nNext: jsload run %s --host http://localhost:8080 --headless -u 10 -r 2 -t 30s\n", filepath.Join(dir, name))
	return nil
}
