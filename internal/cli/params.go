package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/js"
)

// `jsload run` parses its command line in two steps, as Locust does: the
// built-in flags and the script first, then, once the script is loaded and
// its declared parameters are known, the parameters' flags.

// scriptExts are the extensions splitRunArgs takes for the script when it
// guesses whether an unknown flag's next argument is its value.
var scriptExts = []string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"}

// splitRunArgs splits a run's raw arguments into those of the built-in
// flags (fs) with the positional arguments, and the unknown long flags with
// their values (the script's parameters, checked once it is loaded). An
// unknown flag without =value takes the next argument as its value unless
// that is a flag (a negative number is a value) or looks like a script file
// (a boolean parameter given alone).
func splitRunArgs(fs *pflag.FlagSet, args []string) (builtin, params []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(builtin, args[i:]...), params
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, _, hasVal := strings.Cut(a[2:], "=")
			f := fs.Lookup(name)
			if f == nil {
				params = append(params, a)
				if !hasVal && i+1 < len(args) {
					next := args[i+1]
					if (!strings.HasPrefix(next, "-") || isNegative(next)) && !isScriptName(next) {
						params = append(params, next)
						i++
					}
				}
				continue
			}
			builtin = append(builtin, a)
			if !hasVal && f.NoOptDefVal == "" && i+1 < len(args) {
				builtin = append(builtin, args[i+1])
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			builtin = append(builtin, a)
			// Shorthands: -u 10, -u10, and -vu 10 (booleans then one
			// taking a value).
			for j := 1; j < len(a); j++ {
				f := fs.ShorthandLookup(a[j : j+1])
				if f == nil || f.NoOptDefVal != "" {
					continue
				}
				if j == len(a)-1 && i+1 < len(args) {
					builtin = append(builtin, args[i+1])
					i++
				}
				break
			}
		default:
			builtin = append(builtin, a)
		}
	}
	return builtin, params
}

// isNegative tells whether s is a negative number: an unknown flag's value
// (--offset -5), not a flag.
func isNegative(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.HasPrefix(s, "-")
}

func isScriptName(s string) bool {
	ext := strings.ToLower(filepath.Ext(s))
	for _, e := range scriptExts {
		if ext == e {
			return true
		}
	}
	return false
}

// paramFlag is the pflag.Value of a script parameter: it checks the value
// against the parameter's type and keeps its text.
type paramFlag struct {
	p    js.Param
	vals map[string]string
}

func (v paramFlag) String() string {
	if s, ok := v.vals[v.p.Name]; ok {
		return s
	}
	return v.p.Default
}
func (v paramFlag) Type() string { return v.p.Type }
func (v paramFlag) Set(s string) error {
	if _, err := v.p.Parse(s); err != nil {
		return err
	}
	v.vals[v.p.Name] = s
	return nil
}

// paramFlags declares the script's parameters as flags on a new flag set
// whose values go to vals. A parameter named like a built-in flag of
// builtin is an error.
func paramFlags(script *js.Script, builtin *pflag.FlagSet, vals map[string]string) (*pflag.FlagSet, error) {
	fs := pflag.NewFlagSet("parameters", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	for _, p := range script.Params {
		if builtin.Lookup(p.Flag) != nil || p.Flag == "config" || p.Flag == "help" {
			return nil, fmt.Errorf("%s: export parameters: %s would be --%s, which is a built-in flag of jsload run: choose another name", script.Path, p.Name, p.Flag)
		}
		f := fs.VarPF(paramFlag{p: p, vals: vals}, p.Flag, "", p.Help)
		f.DefValue = p.Default
		if p.Type == "bool" {
			f.NoOptDefVal = "true"
		}
	}
	return fs, nil
}

// resolveParams sets cfg.Params from the script's parameters' flags (in
// st.paramArgs), JSLOAD_* variables and the configuration file, in that
// order of precedence; parameters none of them sets keep their defaults.
func resolveParams(builtin *pflag.FlagSet, st *State, script *js.Script, file *config.File, cfg *config.Run) error {
	vals := map[string]string{}
	fs, err := paramFlags(script, builtin, vals)
	if err != nil {
		return err
	}
	if err := fs.Parse(st.paramArgs); err != nil {
		return paramParseError(err, builtin, fs)
	}
	if rest := fs.Args(); len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q: run takes one script", rest[0])
	}
	for _, p := range script.Params {
		if _, given := vals[p.Name]; given {
			continue
		}
		if v := st.Getenv(envName(p.Flag)); v != "" {
			if _, err := p.Parse(v); err != nil {
				return fmt.Errorf("%s=%q: --%s %v", envName(p.Flag), v, p.Flag, err)
			}
			vals[p.Name] = v
			continue
		}
		if e, ok := file.Lookup(p.Flag); ok {
			v := e.Value
			if e.Bare && p.Type == "bool" {
				v = "true"
			}
			if _, err := p.Parse(v); err != nil {
				return fmt.Errorf("%s: %s %v", file.Where(e), p.Flag, err)
			}
			vals[p.Name] = v
		}
	}
	cfg.Params = vals
	if len(vals) == 0 {
		cfg.Params = nil
	}
	_, err = script.ParamValues(cfg.Params)
	return err
}

// noParams rejects flags that are not built in where there is no script
// whose parameters they could be (a worker, or a run without a script).
func noParams(builtin *pflag.FlagSet, st *State) error {
	if len(st.paramArgs) == 0 {
		return nil
	}
	fs := pflag.NewFlagSet("none", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(st.paramArgs); err != nil {
		return usageError{paramParseError(err, builtin, fs)}
	}
	return nil
}

// paramParseError turns pflag's errors about the parameters' flags into
// jsload's: an unknown flag with the closest known one, a bad value naming
// its flag.
func paramParseError(err error, builtin, params *pflag.FlagSet) error {
	var names []string
	for _, fs := range []*pflag.FlagSet{builtin, params} {
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, "--"+f.Name)
			}
		})
	}
	var nf *pflag.NotExistError
	if errors.As(err, &nf) {
		name := "--" + nf.GetSpecifiedName()
		return fmt.Errorf("unknown flag: %s%s", name, config.DidYouMean(name, names))
	}
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		return fmt.Errorf("--%s %v", iv.GetFlag().Name, errors.Unwrap(iv))
	}
	return plainValueError(err)
}

// printParams lists the script's parameters after the help of `jsload run`.
func printParams(w io.Writer, script *js.Script) {
	if len(script.Params) == 0 {
		fmt.Fprintf(w, "\n%s declares no parameters.\n", script.Path)
		return
	}
	fs, err := paramFlags(script, pflag.NewFlagSet("none", pflag.ContinueOnError), map[string]string{})
	if err != nil {
		fmt.Fprintf(w, "\n%v\n", err)
		return
	}
	fmt.Fprintf(w, "\nParameters of %s (also JSLOAD_<NAME> variables and configuration file keys):\n%s", script.Path, fs.FlagUsages())
	var choices []string
	for _, p := range script.Params {
		if len(p.Choices) > 0 {
			choices = append(choices, fmt.Sprintf("  --%s: one of %s", p.Flag, strings.Join(p.Choices, ", ")))
		}
	}
	sort.Strings(choices)
	if len(choices) > 0 {
		fmt.Fprintf(w, "%s\n", strings.Join(choices, "\n"))
	}
}
