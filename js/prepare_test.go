package js

import (
	"context"
	"testing"
)

// A script whose one user class is its exports is bound when prepared:
// Ready, at spawn, then has nothing left to resolve (no allocation), and
// the user runs its task and keeps its wait time.
func TestPrepareBindsTheExportsUser(t *testing.T) {
	s := load(t, "t.js", `import { task, constant } from "jsload";
export const options = { waitTime: constant(2) };
export const root = task(() => { globalThis.ran = (globalThis.ran || 0) + 1; });
`)
	env := testEnv("")
	const runs = 20
	vus := make([]*VU, runs+1)
	for i := range vus {
		vu, err := s.PrepareVU(context.Background(), env, i+1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(vu.Close)
		vus[i] = vu
	}
	next := 0
	allocs := testing.AllocsPerRun(runs, func() {
		if err := vus[next].Ready(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		next++
	})
	if allocs != 0 {
		t.Errorf("Ready after PrepareVU allocated %.0f times; want 0 (bound when prepared)", allocs)
	}
	vu := vus[0]
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := vu.rt.Get("ran").ToInteger(); got != 1 {
		t.Errorf("the task ran %d times, want 1", got)
	}
	if got := vu.WaitTime(0).Seconds(); got != 2 {
		t.Errorf("wait time %vs, want 2s", got)
	}
}

// A user class is constructed at spawn (Ready), not when its runtime is
// prepared before the test, as Locust makes its users when they spawn.
func TestPrepareLeavesClassesUnconstructed(t *testing.T) {
	s := load(t, "t.js", `import { HttpUser, task } from "jsload";
export class Shopper extends HttpUser {
  constructor() { super(); globalThis.made = (globalThis.made || 0) + 1; }
  @task(1) browse() { globalThis.browsed = true; }
}
`)
	vu, err := s.PrepareVU(context.Background(), testEnv(""), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer vu.Close()
	if v := vu.rt.Get("made"); !isNullish(v) {
		t.Fatalf("the class was constructed %v time(s) when prepared; want at spawn", v)
	}
	if err := vu.Ready(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if got := vu.rt.Get("made").ToInteger(); got != 1 {
		t.Fatalf("constructed %d times after Ready, want 1", got)
	}
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !vu.rt.Get("browsed").ToBoolean() {
		t.Error("the class's task did not run")
	}
}
