package js

import (
	"context"
	"strings"
	"testing"
)

// The module is built lazily, part by part (part.go): these tests check that
// it looks and behaves as one object made at once, whatever a script reads
// first, and that a script gets only what it reads.

// moduleKeys are the module's keys, in order.
const moduleKeys = "task,tag,transition,transitions,initial,between,constant,constantPacing,constantThroughput," +
	"User,HttpUser,FastHttpUser,TaskSet,SequentialTaskSet,MarkovTaskSet,taskSet,sequence," +
	"rescheduleTask,stopUser,http,events,sleep,check,run,waitForSpawningComplete,open,csv,json,sharedArray,counter,queue,params"

func TestModuleKeysAndIdentities(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `import * as all from "jsload";
import jsload, { task, HttpUser, FastHttpUser, http } from "jsload";
import h from "jsload/http";
import ev from "jsload/events";
const m = require("jsload");
globalThis.keys = Object.keys(m).join(",");
globalThis.same = [
  m.task === task, m.task === m.task, all.task === task, jsload.task === task,
  FastHttpUser === HttpUser, h === http, m.http === http, ev === m.events,
  typeof m.sleep === "function", typeof m.check === "function",
].join(",");
export const t = task(() => {});
`)
	vu := newVU(t, s, env, 1, 0)
	if got := global(vu, "keys").String(); got != moduleKeys {
		t.Errorf("module keys:\n got %s\nwant %s", got, moduleKeys)
	}
	if got := global(vu, "same").String(); strings.Contains(got, "false") {
		t.Errorf("identities: %s", got)
	}
}

// A class made from a base the script reads before the classes it extends
// (MarkovTaskSet, then TaskSet) is still one of them.
func TestLazyClassesKeepTheirHierarchy(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `import { MarkovTaskSet, SequentialTaskSet, TaskSet, HttpUser, User, task, transition, taskSet, sequence } from "jsload";
class Walk extends MarkovTaskSet {
  @transition("b") @task a() { log.push("a"); }
  @transition("a") @task b() { log.push("b"); }
}
const Seq = taskSet({ one: task(() => log.push("1")) }, { sequential: true });
globalThis.log = [];
globalThis.checks = [
  Walk.prototype instanceof TaskSet, Seq.prototype instanceof SequentialTaskSet,
  sequence(() => {}).prototype instanceof SequentialTaskSet, HttpUser.prototype instanceof User,
  TaskSet.name, SequentialTaskSet.name, MarkovTaskSet.name, HttpUser.name, User.name,
].join(",");
export class U extends HttpUser { static tasks = [Walk]; }
`)
	if len(s.Sets) != 2 || s.Sets[1].Kind != "markov" {
		t.Fatalf("sets = %+v", s.Sets)
	}
	vu := runTasks(t, s, env, 4)
	if got := global(vu, "checks").String(); got != "true,true,true,true,TaskSet,SequentialTaskSet,MarkovTaskSet,HttpUser,User" {
		t.Errorf("checks = %s", got)
	}
	if got := logOf(vu); got != "a b a b" {
		t.Errorf("log = %q", got)
	}
	noExceptions(t, env)
}

// A script that uses no task sets, decorators or classes does not build
// them in its runtime.
func TestScriptGetsOnlyWhatItReads(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `import { task, http, constant } from "jsload";
export const options = { waitTime: constant(1) };
export const root = task(() => http.get("/echo"));
`)
	vu := runTasks(t, s, env, 1)
	var made []string
	for i, p := range preludeParts {
		if vu.parts != nil && vu.parts[i] != nil {
			made = append(made, p)
		}
	}
	if got := strings.Join(made, ","); got != "" || vu.makePart != nil {
		t.Errorf("parts made in a VU: %q, want none", got)
	}
	noExceptions(t, env)
}

// The module's properties can be replaced and deleted as on a plain object.
func TestModuleIsWritable(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `import * as m from "jsload";
const j = require("jsload");
j.extra = 1;
j.tag = "mine";
delete j.stopUser;
delete j.extra;
j.added = 2;
globalThis.seen = [Object.keys(j).join(","), j.tag, typeof j.stopUser, "stopUser" in j, j.added].join(" ");
export const t = m.task(() => {});
`)
	vu := newVU(t, s, env, 1, 0)
	want := strings.Replace(moduleKeys, ",stopUser", "", 1) + ",added mine undefined false 2"
	if got := global(vu, "seen").String(); got != want {
		t.Errorf("after changes:\n got %s\nwant %s", got, want)
	}
}

// The wait-time helpers (Go functions) answer and fail as the JS ones did.
func TestWaitHelpers(t *testing.T) {
	s := load(t, "main.js", `import { task, between, constant, constantPacing, constantThroughput } from "jsload";
const w = "__jsloadWait";
const show = (f) => [typeof f, f(), f[w].kind, f[w].a, f[w].b].join(" ");
const b = between(1, 1);
globalThis.seen = [show(b), show(constant(2)), show(constantPacing(0.5)), show(constantThroughput(4)), b() >= 1 && b() <= 1].join(" | ");
const err = (f) => { try { f(); return "none"; } catch (e) { return e.name + ": " + e.message; } };
globalThis.errs = [
  err(() => between(2, 1)), err(() => between("1", 2)), err(() => between(1, Infinity)), err(() => constant(-1)),
  err(() => constantPacing(NaN)), err(() => constantThroughput(0)), err(() => constantThroughput(Infinity)), err(() => constant()),
].join(" | ");
export const t = task(() => {});
`)
	vu := newVU(t, s, testEnv("http://127.0.0.1:1"), 1, 0)
	if got, want := global(vu, "seen").String(), "function 1 between 1 1 | function 2 constant 2 0 | function 0.5 pacing 0.5 0 | function 0.25 pacing 0.25 0 | true"; got != want {
		t.Errorf("helpers:\n got %s\nwant %s", got, want)
	}
	want := "RangeError: between(min, max): max 1 is less than min 2" +
		" | TypeError: between(min, max): expected a number of seconds >= 0, got 1" +
		" | TypeError: between(min, max): expected a number of seconds >= 0, got Infinity" +
		" | TypeError: constant(seconds): expected a number of seconds >= 0, got -1" +
		" | TypeError: constantPacing(seconds): expected a number of seconds >= 0, got NaN" +
		" | TypeError: constantThroughput(tasksPerSecond): expected a number > 0, got 0" +
		" | TypeError: constantThroughput(tasksPerSecond): expected a number > 0, got Infinity" +
		" | TypeError: constant(seconds): expected a number of seconds >= 0, got undefined"
	if got := global(vu, "errs").String(); got != want {
		t.Errorf("errors:\n got %s\nwant %s", got, want)
	}
	// An error points at the script's call.
	_, err := Load(context.Background(), writeScript(t, "main.js", "import { task, constant } from \"jsload\";\nexport const options = {\n  waitTime: constant(-1) };\nexport const t = task(() => {});\n"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "main.js:3:13: TypeError: constant(seconds)") {
		t.Errorf("error = %v, want it at main.js:3:13", err)
	}
}

// task() (a Go function for its plain forms, the prelude's part for the
// rest) makes the same descriptors and errors as the prelude alone did.
func TestTaskDescriptors(t *testing.T) {
	s := load(t, "main.js", `import { task } from "jsload";
const f = function named() {};
const show = (d) => [Object.keys(d).join(","), d.fn === f, d.weight, JSON.stringify(d.tags), Object.isFrozen(d), Object.isFrozen(d.tags)].join(" ");
const err = (g) => { try { g(); return "none"; } catch (e) { return e.name + ": " + e.message; } };
globalThis.seen = [
  show(task(f)), show(task(2, f)), show(task(0, f)), show(task(f, { tags: ["a", 1] })), show(task(3, f, { tags: [] })), show(task(f, undefined)),
  err(() => task(-1, f)), err(() => task(1.5, f)), err(() => task(NaN, f)), err(() => task(Infinity, f)),
  err(() => task(2, "x")), err(() => task("x")), err(() => task()), typeof task(2),
].join(" | ");
export const t = task(() => {});
`)
	vu := newVU(t, s, testEnv("http://127.0.0.1:1"), 1, 0)
	want := "__jsloadTask,fn,weight,tags true 1 [] true true" +
		" | __jsloadTask,fn,weight,tags true 2 [] true true" +
		" | __jsloadTask,fn,weight,tags true 0 [] true true" +
		` | __jsloadTask,fn,weight,tags true 1 ["a","1"] true true` +
		" | __jsloadTask,fn,weight,tags true 3 [] true true" +
		" | __jsloadTask,fn,weight,tags true 1 [] true true" +
		" | TypeError: task: weight must be a whole number >= 0, got -1" +
		" | TypeError: task: weight must be a whole number >= 0, got 1.5" +
		" | TypeError: task: weight must be a whole number >= 0, got NaN" +
		" | TypeError: task: weight must be a whole number >= 0, got Infinity" +
		" | TypeError: task(weight, fn): fn must be a function or a TaskSet class, got string" +
		" | TypeError: task: expected task(fn), task(weight, fn) or @task on a method" +
		" | TypeError: task: expected task(fn), task(weight, fn) or @task on a method" +
		" | function"
	if got := global(vu, "seen").String(); got != want {
		t.Errorf("task():\n got %s\nwant %s", strings.ReplaceAll(got, " | ", "\n  "), strings.ReplaceAll(want, " | ", "\n  "))
	}
}
