package js

import (
	"context"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

func TestK6MetricsRecordIntoTheUsersShard(t *testing.T) {
	s := load(t, "main.js", `
import { Counter, Gauge, Rate, Trend } from "k6/metrics";
import { group } from "k6";
const c = new Counter("c"), g = new Gauge("g"), r = new Rate("r"), tt = new Trend("tt", true), n = new Trend("n");
const again = new Counter("c"); // the same name and kind: the same metric, as in k6
export default function () {
  c.add(2, { team: "blue" }); again.add(1);
  g.add(4); g.add(2);
  r.add(true); r.add(false); r.add(0.5);
  group("g1", () => tt.add(12.5));
  n.add(-3);
  globalThis.names = [c.name, g.name, r.name, tt.name].join(",");
  for (const [what, fn] of [["nan", () => c.add(NaN)], ["string", () => c.add("3")], ["none", () => c.add()],
                            ["tags", () => c.add(1, "x")], ["late", () => new Counter("late")]]) {
    try { fn(); globalThis[what] = "no error"; } catch (e) { globalThis[what] = String(e); }
  }
}
`)
	if len(s.Metrics) != 5 || s.Metrics["tt"] != (MetricInfo{Kind: stats.KindTrend, IsTime: true}) || s.Metrics["n"].IsTime || s.Metrics["c"].Kind != stats.KindCounter {
		t.Fatalf("declared metrics: %+v", s.Metrics)
	}
	env := testEnv("")
	env.Registry.Want(stats.Wants{Metrics: map[string][]stats.Filter{
		"c":  {stats.NewFilter(map[string]string{"team": "blue"})},
		"tt": {stats.NewFilter(map[string]string{"group": "::g1"})},
	}})
	vu := newVU(t, s, env, 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"names":  "c,g,r,tt",
		"nan":    `TypeError: Counter "c": add(value): value must be a finite number, got NaN`,
		"string": `TypeError: Counter "c": add(value): value must be a number or a boolean, got "3"`,
		"none":   `TypeError: Counter "c": add(value): value must be a number or a boolean, got undefined`,
		"tags":   `TypeError: Counter "c": add(value, tags): tags must be an object, got x`,
		"late":   `TypeError: new Counter(...): custom metrics are made in the script's top level (k6's init context), not in the default function, setup or teardown`,
	} {
		if got := global(vu, k).String(); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	for name, want := range map[string]float64{"c": 3, "c{team:blue}": 2, "g": 2, "r": 2.0 / 3, "tt": 12.5, "tt{group:::g1}": 12.5, "n": -3} {
		m := snap.Metric(name)
		if m == nil {
			t.Errorf("no metric %s", name)
			continue
		}
		var got float64
		switch m.Kind {
		case stats.KindCounter:
			got = m.Sum
		case stats.KindGauge:
			got = m.Last
		case stats.KindRate:
			got = m.Rate()
		case stats.KindTrend:
			got = m.Avg()
		}
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if g := snap.Metric("g"); g.Min != 2 || g.Max != 4 {
		t.Errorf("gauge min %v max %v", g.Min, g.Max)
	}
}

func TestK6IterationsAndHTTPTags(t *testing.T) {
	srv := server(t)
	s := load(t, "main.js", `
import http from "k6/http";
import { group } from "k6";
export default function () {
  group("shop", () => http.get("`+srv.URL+`/status/404", { tags: { team: "red", name: "missing" } }));
  http.get("`+srv.URL+`/status/200");
}
`)
	env := testEnv("")
	env.Registry.Want(stats.Wants{
		HTTP: []stats.Filter{
			stats.NewFilter(map[string]string{"team": "red", "group": "::shop", "status": "404", "name": "missing", "method": "GET", "scenario": "default"}),
			stats.NewFilter(map[string]string{"status": "200"}),
			nil,
		},
		Metrics: map[string][]stats.Filter{"iterations": {nil}, "iteration_duration": {nil}},
	})
	vu := newVU(t, s, env, 1, 0)
	for range 2 {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	for f, want := range map[string]int64{"{group:::shop,method:GET,name:missing,scenario:default,status:404,team:red}": 2, "{status:200}": 2, "": 4} {
		if r := snap.HTTPSubs[f]; r == nil || r.Requests != want {
			t.Errorf("HTTP sub-metric %q: %+v, want %d requests", f, r, want)
		}
	}
	if m := snap.Metric("iterations"); m == nil || m.Sum != 2 {
		t.Errorf("iterations: %+v", m)
	}
	if m := snap.Metric("iteration_duration"); m == nil || m.Count != 2 || !m.IsTime {
		t.Errorf("iteration_duration: %+v", m)
	}
}
