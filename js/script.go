// Package js turns a user's script into virtual users: it bundles the script
// with esbuild, compiles it once, and gives every VU its own goja runtime
// with the "jsload" module, an HTTP client and a stats recorder.
package js

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"
	"github.com/go-sourcemap/sourcemap"

	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/shared"
	"github.com/jsload/jsload/internal/stats"
)

// TaskInfo describes one task of a user class or a task set.
type TaskInfo struct {
	Name        string       `json:"name"`
	Weight      int          `json:"weight"`
	Tags        []string     `json:"tags"`
	Set         int          `json:"set"` // the task set this task enters, or -1 for a function
	Transitions []Transition `json:"transitions,omitempty"`
	Src         taskSrc      `json:"src"`
}

// Transition is a weighted successor of a task in a Markov task set.
type Transition struct {
	To     string `json:"to"`
	Weight int    `json:"weight"`
}

// taskSrc says where a VU finds a task's function (see VU.resolveTask).
type taskSrc struct {
	Kind  string `json:"kind"`
	Key   string `json:"key,omitempty"`
	Index int    `json:"index,omitempty"`
}

// SetInfo describes a set of tasks: a user class's own tasks (its root
// set), or a TaskSet class. Kind is "random", "sequential" or "markov".
type SetInfo struct {
	ID             int        `json:"id"`
	Name           string     `json:"name"`
	Kind           string     `json:"kind"`
	Tasks          []TaskInfo `json:"tasks"`
	Initial        int        `json:"initial"` // a Markov walk's first task
	AbortOnFailure *bool      `json:"abortOnFailure"`

	order []int // sequential: task indexes in run order, weights expanded
	cum   []int // random: cumulative weights
	total int
	succ  [][]int // markov: per task, cumulative transition weights
	to    [][]int // markov: per task, successor indexes
}

// ClassInfo describes one user class. Scripts in the exported-tasks style
// have one class named "default".
type ClassInfo struct {
	Name       string `json:"name"`
	Key        string `json:"key"` // the export's name; "" for exported tasks
	Weight     int    `json:"weight"`
	FixedCount int    `json:"fixedCount"`
	Host       string `json:"host"`
	HTTP       bool   `json:"http"`
	Root       int    `json:"root"` // index of the class's own task set in Script.Sets
	// WaitTime is the class's wait time as written (between(1, 5)), ""
	// for none: what inspect shows.
	WaitTime string     `json:"waitTime,omitempty"`
	Tasks    []TaskInfo `json:"tasks"` // the root set's tasks
}

// DefaultClass is the name of the user class of exported-tasks scripts.
const DefaultClass = "default"

// Script is a loaded, compiled script. It is immutable and shared by all VUs.
type Script struct {
	Path    string
	Classes []ClassInfo
	Sets    []SetInfo // every task set the classes reach, by ID
	// Options are the script's exported options, as JSON-like values
	// (waitTime is kept by the script itself and left out).
	Options     map[string]any
	HasSetup    bool
	HasTeardown bool
	HasShape    bool // the script exports shape(ctx), Locust's LoadTestShape
	// HasHandleSummary: the script exports k6's handleSummary(data)
	// (summary.go).
	HasHandleSummary bool
	// K6 is set when the script imports k6 or a k6/... module (k6.go):
	// its default function is then its task, and options are k6's.
	K6 bool
	// Metrics are the custom metrics (k6/metrics) the script's top level
	// declares, by name.
	Metrics map[string]MetricInfo
	// HasLifecycle: the script's top level adds listeners of testStart,
	// testStop, spawningComplete or quitting, which run in the process
	// runtime (Lifecycle), where setup() and teardown() then run too.
	HasLifecycle bool
	// Params are the custom parameters the script declares (export
	// parameters), sorted by flag.
	Params []Param
	// Files are the source files bundled into the script (absolute paths):
	// what --watch watches.
	Files []string

	prog  *goja.Program
	k6    atomic.Bool // a k6 module was required (K6 after loading)
	funcs []string    // the exported functions' names (ExportedFunctions)
	// exported are the options as the script exported them, whatever
	// the cli makes of Options (k6's exec.test.options).
	exported map[string]any
	// metrics are the custom metrics declared by any runtime (Metrics
	// after loading).
	metrics metricDecls
	// exportNames are the entry module's export names when lighten made
	// its exports a Go object (exportsObject), with their indexes.
	exportNames []string
	exportIndex map[string]int
	code        string // the bundle
	// readsIter: the bundle names __ITER, so each task sets it (a boxed
	// number per task otherwise spent for nothing).
	readsIter bool
	smapJSON  []byte // its source map
	name      string // the bundle's name, beside the entry file
	dir       string
	smap      *sourcemap.Consumer
	// d holds the data files and the shared counters and queues (data.go).
	d dataState
	// files caches the TLS files clients read (path -> contents), and the
	// key pairs found good, for all VUs.
	files sync.Map

	lifeOnce sync.Once
	life     *Lifecycle
	// protos are the .proto files grpc.load compiled (grpc.go).
	protos protoStore
}

// Load bundles, compiles and evaluates the script once to learn its user
// classes, tasks and options. Problems in the script are *ScriptError values
// with the user's own file:line:column.
func Load(ctx context.Context, path string, opt LoadOptions) (*Script, error) {
	b, err := bundle(path)
	if err != nil {
		return nil, err
	}
	return loadBundled(ctx, path, b, opt)
}

// Bundle is a script bundled into one program, with its source map: what
// a cluster's master sends its workers, which need no copy of the files.
type Bundle struct {
	Path      string `json:"path"` // the entry script, as the user named it
	Name      string `json:"name"` // the program's name, which the source map's paths are relative to
	Code      string `json:"code"`
	SourceMap []byte `json:"sourceMap,omitempty"`
	// Files are the data files the script read at load time (open(),
	// csv(), json()), by the name its code finds them under: a worker
	// reads these, not its disk (Script.DataFiles fills them).
	Files map[string][]byte `json:"files,omitempty"`
	// Protos are the .proto files grpc.load read at load time, by path
	// relative to the script's directory.
	Protos map[string]string `json:"protos,omitempty"`
}

// Bundle returns the program the script was loaded from.
func (s *Script) Bundle() Bundle {
	return Bundle{Path: s.Path, Name: s.name, Code: s.code, SourceMap: s.smapJSON, Protos: s.protos.sources()}
}

// LoadBundle is Load for a script bundled elsewhere (Script.Bundle).
// Positions in errors still name the user's own files.
func LoadBundle(ctx context.Context, b Bundle, opt LoadOptions) (*Script, error) {
	files := b.Files
	if files == nil {
		files = map[string][]byte{}
	}
	return loadBundled(ctx, b.Path, &bundled{name: b.Name, code: b.Code, smap: b.SourceMap, given: files, protos: b.Protos}, opt)
}

func loadBundled(ctx context.Context, path string, b *bundled, opt LoadOptions) (*Script, error) {
	s := &Script{Path: path, name: b.name, dir: filepath.Dir(b.name), Files: b.files, code: b.code, smapJSON: b.smap,
		readsIter: strings.Contains(b.code, "__ITER")}
	s.d.given = b.given
	if b.protos != nil {
		s.protos.src, s.protos.fromBundle = b.protos, true
	}
	if len(b.smap) > 0 {
		if sm, err := sourcemap.Parse(b.name, b.smap); err == nil {
			s.smap = sm
		}
	}
	// goja's own source-map support is off: it looks columns up one off,
	// so positions are mapped here (mapPosition).
	code, names := lighten(b.code)
	if len(names) > 0 {
		s.exportNames, s.exportIndex = names, make(map[string]int, len(names))
		for i, n := range names {
			s.exportIndex[n] = i
		}
	}
	ast, err := goja.Parse(b.name, wrapModule(code), parser.WithDisableSourceMaps)
	if err != nil {
		return nil, s.compileError(err)
	}
	prog, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, s.compileError(err)
	}
	s.prog = prog
	probe, err := s.newVU(ctx, &Env{Host: opt.Host, Vars: opt.Vars, Out: io.Discard, Registry: stats.NewRegistry(1), HTTP: opt.HTTP}, 0)
	if err != nil {
		return nil, err
	}
	defer probe.Close()
	s.Files = append(s.Files, s.protos.diskFiles()...) // --watch watches the .proto files too
	if err := s.inspect(probe); err != nil {
		var se *ScriptError
		if errors.As(err, &se) && se.File == "" {
			se.File = path
		}
		return nil, err
	}
	s.Files = append(s.Files, s.dataPaths()...) // --watch reloads when data changes
	// Make one user of each class now, so that a constructor or a bad
	// waitTime is reported before the test starts; parameters have their
	// defaults there.
	if probe.env.Params, err = s.ParamValues(nil); err != nil {
		return nil, &ScriptError{File: path, Msg: err.Error()}
	}
	for i := range s.Classes {
		vu, err := s.newVU(ctx, probe.env, 0)
		if err != nil {
			return nil, err
		}
		err = vu.Bind(ctx, i)
		if err == nil {
			s.Classes[i].WaitTime = vu.frames[0].wait.String()
		}
		vu.Close()
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Script) compileError(err error) error {
	var ce *goja.CompilerSyntaxError
	if errors.As(err, &ce) {
		p := s.mapPosition(ce.File.Position(ce.Offset))
		return &ScriptError{File: p.Filename, Line: p.Line, Column: p.Column, Msg: "syntax error: " + ce.Message}
	}
	var pe parser.ErrorList
	if errors.As(err, &pe) && len(pe) > 0 {
		p := s.mapPosition(pe[0].Position)
		return &ScriptError{File: p.Filename, Line: p.Line, Column: p.Column, Msg: "syntax error: " + pe[0].Message}
	}
	return &ScriptError{File: s.Path, Msg: err.Error()}
}

// mapPosition turns a position in the bundle into one in the user's own
// files (1-based line and column), relative to the working directory.
func (s *Script) mapPosition(p file.Position) file.Position {
	if s.smap == nil || p.Filename != s.name {
		return p
	}
	col := p.Column
	if p.Line == 1 {
		col = max(col-len(moduleHead), 1) // see wrapModule
	}
	src, _, line, col, ok := s.smap.Source(p.Line, col-1)
	if !ok || src == "" {
		return p
	}
	return file.Position{Filename: filepath.ToSlash(filepath.Join(s.dir, filepath.FromSlash(src))), Line: line, Column: col + 1}
}

// inspect reads the classes and options from a freshly evaluated runtime.
func (s *Script) inspect(vu *VU) error {
	var d struct {
		Classes []ClassInfo `json:"classes"`
		Sets    []SetInfo   `json:"sets"`
	}
	describe, err := vu.partFn(partDescribe)
	if err != nil {
		return fmt.Errorf("starting the jsload module: %w", err)
	}
	s.K6 = s.k6.Load()
	s.Metrics = s.metrics.copy()
	v, err := describe(goja.Undefined(), vu.exports, vu.rt.ToValue(s.K6))
	if err != nil {
		return s.describeError(vu, err)
	}
	txt, err := vu.jsonStr(goja.Undefined(), v)
	if err != nil {
		return vu.scriptError(err, "describing the script")
	}
	if err := json.Unmarshal([]byte(txt.String()), &d); err != nil {
		return &ScriptError{File: s.Path, Msg: "reading the script's exports: " + err.Error()}
	}
	if len(d.Classes) == 0 {
		msg := "the script has no tasks: export task(fn) / task(weight, fn) functions, or a class extending HttpUser or User with @task methods"
		if s.K6 {
			msg = "the k6 script has no default function: export default function () { ... } (the iteration each user runs)"
		}
		return &ScriptError{File: s.Path, Msg: msg}
	}
	for i := range d.Sets {
		if err := d.Sets[i].prepare(); err != nil {
			return &ScriptError{File: s.Path, Msg: err.Error()}
		}
	}
	anyUsers := false
	for i := range d.Classes {
		d.Classes[i].Tasks = d.Sets[d.Classes[i].Root].Tasks
		anyUsers = anyUsers || d.Classes[i].Weight > 0 || d.Classes[i].FixedCount > 0
	}
	if !anyUsers {
		return &ScriptError{File: s.Path, Msg: "every user class has static weight 0 and no fixedCount: no user would start"}
	}
	s.Classes, s.Sets = d.Classes, d.Sets
	s.HasSetup = isFunc(vu.exports.Get("setup"))
	s.HasTeardown = isFunc(vu.exports.Get("teardown"))
	s.HasShape = isFunc(vu.exports.Get("shape"))
	for _, k := range vu.exports.Keys() {
		if isFunc(vu.exports.Get(k)) {
			s.funcs = append(s.funcs, k)
		}
	}
	s.HasHandleSummary = isFunc(vu.exports.Get("handleSummary"))
	s.HasLifecycle = vu.lis.lifecycleListeners()
	if err := s.readParams(vu); err != nil {
		return err
	}
	if ov := vu.exports.Get("options"); ov != nil && !goja.IsUndefined(ov) && !goja.IsNull(ov) {
		obj, ok := ov.(*goja.Object)
		if !ok {
			return &ScriptError{File: s.Path, Msg: "export options must be an object"}
		}
		s.Options = map[string]any{}
		for _, k := range obj.Keys() {
			if k == "waitTime" {
				continue
			}
			s.Options[k] = obj.Get(k).Export()
		}
		s.exported = s.Options
	}
	return nil
}

// prepare precomputes what picking a task needs.
func (st *SetInfo) prepare() error {
	idx := map[string]int{}
	for i, t := range st.Tasks {
		idx[t.Name] = i
	}
	switch st.Kind {
	case "sequential":
		for i, t := range st.Tasks {
			for k := 0; k < t.Weight; k++ {
				st.order = append(st.order, i)
			}
		}
	case "markov":
		st.succ = make([][]int, len(st.Tasks))
		st.to = make([][]int, len(st.Tasks))
		for i, t := range st.Tasks {
			sum := 0
			for _, tr := range t.Transitions {
				j, ok := idx[tr.To]
				if !ok || tr.Weight <= 0 {
					continue
				}
				sum += tr.Weight
				st.succ[i] = append(st.succ[i], sum)
				st.to[i] = append(st.to[i], j)
			}
		}
	default:
		for _, t := range st.Tasks {
			st.total += max(t.Weight, 0)
			st.cum = append(st.cum, st.total)
		}
	}
	if st.total == 0 && len(st.order) == 0 && st.Kind != "markov" {
		return fmt.Errorf("%s: every task has weight 0", st.Name)
	}
	return nil
}

func isFunc(v goja.Value) bool {
	_, ok := goja.AssertFunction(v)
	return ok
}

// LoadOptions are what loading a script needs from the command line: its
// top-level code runs once at load, and may make requests.
type LoadOptions struct {
	Host string
	HTTP httpc.Options
	Vars map[string]string // __ENV while loading; nil means the process environment
}

// Env is what VUs share: where requests go, where samples go, and the
// test's setup data.
type Env struct {
	Host     string            // base URL for relative URLs; "" when none was given
	Registry *stats.Registry   // where samples are recorded
	HTTP     httpc.Options     // client options for every VU
	Vars     map[string]string // __ENV; nil means the process environment
	// Params are the values of the script's parameters (the module's
	// params, read-only), from Script.ParamValues; nil while loading.
	Params map[string]any
	Out    io.Writer // console.log output; nil means os.Stderr
	// SetupData is the JSON text of setup()'s result, passed to every task,
	// onStart and onStop; "" means undefined.
	SetupData string
	// setup caches SetupData's parse for all users (setupdata.go).
	setup setupTree
	// OnHostMissing is called (once per VU) when a relative URL is used
	// without a host; it may be nil.
	OnHostMissing func()
	// OnException is called for every script exception counted in the
	// statistics (for logging); first is set for the first of its group,
	// the one whose message the exceptions table keeps. It may be nil and
	// must be safe for concurrent use.
	OnException func(vu int, where string, err *ScriptError, first bool)
	// Shared is where counters and queues live (a cluster's master, for
	// a worker); nil means the Script's own store (Script.SharedStore).
	Shared   shared.Store
	varsOnce sync.Once
	envVars  map[string]string
	// Run describes the run to scripts (`run`) and completes spawning for
	// waitForSpawningComplete(); nil means a run that has not started.
	Run     *Run
	runOnce sync.Once
	// K6 is what k6/execution reports of this process's run (k6exec.go);
	// nil means a run with no such view (setup, inspect).
	K6 *Execution

	// Verbose, when not nil, receives a line per task started, request made
	// and event fired, with headers and a body snippet for failed requests
	// (the single-user debug run). It must be safe for concurrent use.
	Verbose io.Writer
}

// vars returns the variables __ENV shows: Vars, or the process environment
// read once per Env.
func (e *Env) vars() map[string]string {
	e.varsOnce.Do(func() {
		if e.Vars != nil {
			e.envVars = e.Vars
			return
		}
		e.envVars = map[string]string{}
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				e.envVars[k] = v
			}
		}
	})
	return e.envVars
}

func (e *Env) out() io.Writer {
	if e.Out == nil {
		return os.Stderr
	}
	return e.Out
}

// RunSetup runs the script's setup() once, in a runtime that is not a
// user's (__VU is 0): the process runtime when the script has one (see
// Lifecycle), else one of its own. It returns its result as JSON text for
// Env.SetupData ("" when there is no setup or it returned undefined).
func (s *Script) RunSetup(ctx context.Context, env *Env) (string, error) {
	if !s.HasSetup {
		return "", nil
	}
	var out string
	err := s.withRuntime(ctx, env, func(vu *VU) error {
		v, err := vu.callExport(ctx, "setup")
		if err != nil {
			return err
		}
		if v == nil || goja.IsUndefined(v) {
			return nil
		}
		txt, err := vu.jsonStr(goja.Undefined(), v)
		if err != nil || txt == nil || goja.IsUndefined(txt) {
			msg := "setup() must return JSON-serialisable data"
			if err != nil {
				msg += ": " + vu.scriptError(err, "").Msg
			}
			return &ScriptError{File: s.Path, Msg: msg}
		}
		out = txt.String()
		return nil
	})
	return out, err
}

// RunTeardown runs teardown(data) once, in the process runtime when the
// script has one, else in a runtime of its own.
func (s *Script) RunTeardown(ctx context.Context, env *Env) error {
	if !s.HasTeardown {
		return nil
	}
	return s.withRuntime(ctx, env, func(vu *VU) error {
		if err := vu.setupData(); err != nil {
			return err
		}
		_, err := vu.callExport(ctx, "teardown", vu.data)
		return err
	})
}

// seconds converts a JS number of seconds to a duration.
func seconds(f float64) time.Duration {
	if math.IsNaN(f) || f <= 0 {
		return 0
	}
	if f > 1e9 {
		f = 1e9
	}
	return time.Duration(f * float64(time.Second))
}

// NewVU makes a VU with number id (1-based) of user class class, ready to
// run: the script is evaluated in its own runtime and the class instance,
// tasks, hooks and wait time are resolved. It is PrepareVU and Ready in one.
func (s *Script) NewVU(ctx context.Context, env *Env, id, class int) (*VU, error) {
	vu, err := s.PrepareVU(ctx, env, id)
	if err != nil {
		return nil, err
	}
	if err := vu.Ready(ctx, class); err != nil {
		vu.Close()
		return nil, err
	}
	return vu, nil
}

// PrepareVU does the heavy half of NewVU ahead of a test: it makes the
// runtime of user id and evaluates the script's top level in it (k6's init
// phase), which may happen before setup() has run. Ready finishes it.
//
// When the script's only user class is its exports (no class to
// construct, so no user code runs), the VU is bound to it here too:
// resolving the tasks, hooks and wait time of a fresh runtime was 7-8 us
// per user, a tenth of what starting 10,000 users at once took on the
// generator's core (scripts/bench users10k), and that is better spent
// before the test's clock starts. Classes are constructed in Ready, at
// spawn, as Locust does.
func (s *Script) PrepareVU(ctx context.Context, env *Env, id int) (*VU, error) {
	vu, err := s.newVU(ctx, env, id)
	if err != nil {
		return nil, err
	}
	if len(s.Classes) == 1 && s.Classes[0].Key == "" {
		if err := vu.Bind(ctx, 0); err != nil {
			vu.Close()
			return nil, err
		}
		vu.prebound = true
	}
	return vu, nil
}

// Ready makes a VU from PrepareVU a user of class class: it takes setup()'s
// data if the VU was made before setup() returned it, then creates the
// class instance and resolves its tasks, hooks and wait time (Bind),
// unless PrepareVU bound it to that class already.
func (vu *VU) Ready(ctx context.Context, class int) error {
	if goja.IsUndefined(vu.data) && vu.env.SetupData != "" {
		if err := vu.setupData(); err != nil {
			return err
		}
	}
	prebound := vu.prebound
	vu.prebound = false
	if prebound && class >= 0 && class < len(vu.s.Classes) && vu.class == &vu.s.Classes[class] {
		return nil
	}
	return vu.Bind(ctx, class)
}

// FilterTags keeps only the tasks selected by tags, as Locust's --tags and
// --exclude-tags do: with include, a task runs if it (or the task that
// entered its task set) has one of those tags, or if it enters a task set
// that has such a task; with exclude, a task with one of those tags never
// runs. Filtered tasks get weight 0; user classes left without tasks are
// left out. It is an error when nothing is left.
func (s *Script) FilterTags(include, exclude []string) error {
	if len(include) == 0 && len(exclude) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, t := range include {
		in[t] = true
	}
	ex := map[string]bool{}
	for _, t := range exclude {
		ex[t] = true
	}
	has := func(tags []string, set map[string]bool) bool {
		for _, t := range tags {
			if set[t] {
				return true
			}
		}
		return false
	}
	// keep decides, depth first, which tasks of set id stay, given the tags
	// inherited from the task that entered it; it reports whether any did.
	visiting := map[int]bool{}
	var keep func(id int, inherited []string) bool
	// kept[set][task] is whether any path to the task keeps it: a task set
	// reached both with and without a tag is filtered as the union.
	kept := make([][]bool, len(s.Sets))
	for i := range s.Sets {
		kept[i] = make([]bool, len(s.Sets[i].Tasks))
	}
	keep = func(id int, inherited []string) bool {
		if visiting[id] {
			return false
		}
		visiting[id] = true
		defer delete(visiting, id)
		set := &s.Sets[id]
		any := false
		for i := range set.Tasks {
			t := &set.Tasks[i]
			tags := append(append([]string(nil), inherited...), t.Tags...)
			var ok bool
			switch {
			case has(tags, ex):
			case t.Set >= 0:
				ok = keep(t.Set, tags) // a task set stays when something in it stays
			default:
				ok = len(in) == 0 || has(tags, in)
			}
			if set.Kind == "markov" {
				ok = ok || len(ex) == 0 // a Markov walk keeps its states; it is selected as a whole
			}
			kept[id][i] = kept[id][i] || ok
			any = any || ok && t.Weight > 0
		}
		return any
	}
	left := 0
	for i := range s.Classes {
		c := &s.Classes[i]
		if !keep(c.Root, nil) {
			c.Weight, c.FixedCount = 0, 0
			continue
		}
		left++
	}
	if left == 0 {
		return fmt.Errorf("no task matches the tags (--tags %v, --exclude-tags %v)", include, exclude)
	}
	for i := range s.Sets {
		st := &s.Sets[i]
		if st.Kind != "markov" {
			for j := range st.Tasks {
				if !kept[i][j] {
					st.Tasks[j].Weight = 0
				}
			}
		}
		st.order, st.cum, st.total, st.succ, st.to = nil, nil, 0, nil, nil
		_ = st.prepare() // a set left without tasks is never entered
	}
	for i := range s.Classes {
		s.Classes[i].Tasks = s.Sets[s.Classes[i].Root].Tasks
	}
	return nil
}

// ShapeStep is what a shape asks for at one moment.
type ShapeStep struct {
	Users     int
	SpawnRate float64
	Classes   []string // only these user classes; nil for all
}

// Shape calls the script's exported shape(ctx) in a runtime of its own.
type Shape struct {
	vu *VU
	fn goja.Callable
}

// NewShape prepares the script's shape function.
func (s *Script) NewShape(ctx context.Context, env *Env) (*Shape, error) {
	vu, err := s.newVU(ctx, env, 0)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(vu.exports.Get("shape"))
	if !ok {
		vu.Close()
		return nil, &ScriptError{File: s.Path, Msg: "shape is not a function"}
	}
	return &Shape{vu: vu, fn: fn}, nil
}

// Close releases the shape's runtime.
func (sh *Shape) Close() { sh.vu.Close() }

// Tick calls shape({ elapsed, users, runTime }) and reads its answer: a step,
// or end when it returned null or undefined.
func (sh *Shape) Tick(ctx context.Context, elapsed time.Duration, users int, runTime time.Duration) (step ShapeStep, end bool, err error) {
	vu := sh.vu
	arg := vu.rt.NewObject()
	must(arg.Set("elapsed", elapsed.Seconds()))
	must(arg.Set("users", users))
	must(arg.Set("runTime", runTime.Seconds()))
	v, err := vu.invoke(ctx, sh.fn, goja.Undefined(), arg)
	if err != nil {
		if isInterrupt(err) {
			return step, true, nil
		}
		return step, false, vu.scriptError(err, "shape()")
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return step, true, nil
	}
	bad := func(msg string) (ShapeStep, bool, error) {
		return step, false, &ScriptError{File: vu.s.Path, Msg: fmt.Sprintf("shape() returned %s: %s (return { users, spawnRate } or null to end the test)", vu.format(v), msg)}
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return bad("not an object")
	}
	u := o.Get("users")
	if u == nil || !goja.IsNumber(u) && !isNumberLike(u) || u.ToFloat() < 0 || u.ToFloat() != math.Trunc(u.ToFloat()) || u.ToFloat() > 1e6 {
		return bad("users must be a whole number from 0 to 1000000")
	}
	step.Users = int(u.ToInteger())
	step.SpawnRate = 1
	if r := o.Get("spawnRate"); r != nil && !goja.IsUndefined(r) {
		if f := r.ToFloat(); !(f > 0) || math.IsInf(f, 0) {
			return bad("spawnRate must be a number above 0")
		}
		step.SpawnRate = r.ToFloat()
	}
	if cs := o.Get("userClasses"); cs != nil && !goja.IsUndefined(cs) && !goja.IsNull(cs) {
		list, ok := cs.Export().([]any)
		if !ok {
			return bad("userClasses must be an array of class names")
		}
		for _, c := range list {
			name := fmt.Sprint(c)
			found := false
			for _, k := range vu.s.Classes {
				found = found || k.Name == name
			}
			if !found {
				return bad(fmt.Sprintf("no user class %q", name))
			}
			step.Classes = append(step.Classes, name)
		}
	}
	return step, false, nil
}
