package js

import (
	"strings"
	"testing"
)

// The module is built lazily, part by part (part.go): these tests check that
// it looks and behaves as one object made at once, whatever a script reads
// first, and that a script gets only what it reads.

// moduleKeys are the module's keys, in order.
const moduleKeys = "task,tag,transition,transitions,initial,between,constant,constantPacing,constantThroughput," +
	"User,HttpUser,FastHttpUser,TaskSet,SequentialTaskSet,MarkovTaskSet,taskSet,sequence," +
	"rescheduleTask,stopUser,http,events,sleep,check"

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
	if got := strings.Join(made, ","); got != "task,seconds,constant" {
		t.Errorf("parts made in a VU: %s, want task,seconds,constant", got)
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
