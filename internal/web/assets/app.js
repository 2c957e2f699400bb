// jsload web panel: polls the REST API every second and renders the
// header, the statistics table, charts (uPlot), failures, exceptions and
// the user classes' ratio; drives the test with POST /swarm, /stop and
// /stats/reset. No framework, no build step: this file is served as is.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var $ = function (id) { return document.getElementById(id); };

  // ---- formatting ----
  var intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  function fmtInt(v) { return v == null ? "\u2013" : intFmt.format(v); }
  function fmtFixed(v, d) {
    if (v == null || !isFinite(v)) return "\u2013";
    return v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  // fmtMS shows whole milliseconds, with one decimal below 10 ms when the
  // value has a fraction (averages, sub-millisecond percentiles).
  function fmtMS(v) {
    if (v == null || !isFinite(v)) return "\u2013";
    return Math.abs(v) < 10 && v !== Math.round(v) ? fmtFixed(v, 1) : fmtInt(Math.round(v));
  }
  function pad2(n) { return (n < 10 ? "0" : "") + n; }
  function fmtClock(sec) {
    var d = new Date(sec * 1000);
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
  }
  function fmtPct(ratio) {
    var p = ratio * 100;
    if (!isFinite(p) || p === 0) return "0%";
    if (p < 10) return fmtFixed(p, p < 1 ? 2 : 1) + "%";
    return fmtFixed(p, 0) + "%";
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function setText(id, text) {
    var e = $(id);
    if (e.textContent !== text) e.textContent = text;
  }

  // ---- HTTP ----
  // api resolves a path of the API against the page's address without the
  // user name and password that address may carry (http://user:pass@host/):
  // fetch() refuses URLs with credentials, and the browser sends the basic
  // authentication it already has for this origin anyway. Relative, so a
  // panel behind a reverse proxy's path prefix keeps working.
  function api(path) {
    var u = new URL(path, location.href);
    u.username = "";
    u.password = "";
    return u.href;
  }
  function getJSON(url) {
    url = api(url);
    return fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(url + ": HTTP " + r.status);
        return r.json();
      });
  }
  // post sends a form (Locust's field names) and resolves with the JSON
  // answer's message, or rejects with it.
  function post(url, fields) {
    var body = new URLSearchParams();
    (fields || []).forEach(function (kv) { body.append(kv[0], kv[1]); });
    return fetch(api(url), { method: "POST", body: body, credentials: "same-origin" }).then(function (r) {
      return r.text().then(function (t) {
        var msg = t;
        try { var j = JSON.parse(t); if (j && j.message) msg = j.message; } catch (e) { /* "ok" */ }
        if (!r.ok) throw new Error(msg || "HTTP " + r.status);
        return msg;
      });
    });
  }

  var toastTimer = 0;
  function toast(msg, bad) {
    var t = $("toast");
    t.textContent = msg;
    t.className = "toast" + (bad ? " bad" : "");
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, bad ? 6000 : 2500);
  }

  // ---- tabs ----
  var current = "stats";
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".tabs [data-tab]"));
  function showTab(name) {
    if (!$("view-" + name)) name = "stats";
    current = name;
    tabs.forEach(function (b) {
      var on = b.getAttribute("data-tab") === name;
      b.setAttribute("aria-selected", on ? "true" : "false");
      $("view-" + b.getAttribute("data-tab")).hidden = !on;
    });
    if (history.replaceState) history.replaceState(null, "", name === "stats" ? location.pathname : "#" + name);
    if (name === "charts") drawCharts(true);
    if (name === "exceptions") pollExceptions();
    if (name === "ratio") pollTasks().catch(function () { /* the next poll retries */ });
    if (name === "logs") pollLogs().catch(function () { /* the next poll retries */ });
  }
  tabs.forEach(function (b) {
    b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
  });

  // ---- state and header ----
  var state = "ready", info = null, lastStart = null, formOpenedFor = "";

  function applyState(s) {
    if (state === "ready" && s !== "ready" && formOpenedFor === "ready") {
      $("start-modal").hidden = true; // started from elsewhere (--autostart, POST /swarm)
    }
    state = s;
    var st = $("h-state");
    st.setAttribute("data-state", s);
    setText("h-state", s);
    var running = s === "spawning" || s === "running";
    $("b-new").hidden = !(s === "stopped" || s === "ready");
    $("b-edit").hidden = !running || scripted();
    $("b-stop").hidden = !(running || s === "stopping");
    $("b-stop").disabled = s === "stopping";
    if (s === "ready" && formOpenedFor !== "ready" && $("edit-modal").hidden) {
      formOpenedFor = "ready";
      openStart();
    }
    if (s !== "ready") formOpenedFor = s;
    if (!running && !$("edit-modal").hidden) $("edit-modal").hidden = true;
  }

  // ---- statistics table ----
  var cols = [
    { key: "method", label: "Type", cls: "type" },
    { key: "name", label: "Name", cls: "name" },
    { key: "num_requests", label: "# Requests", n: true, f: fmtInt },
    { key: "num_failures", label: "# Fails", n: true, fails: true },
    { key: "median_response_time", label: "Median", title: "median response time, ms", n: true, f: fmtMS },
    { key: "response_time_percentile_0.95", label: "95%ile", title: "95th percentile response time, ms", n: true, f: fmtMS },
    { key: "ninety_ninth_response_time", label: "99%ile", title: "99th percentile response time, ms", n: true, f: fmtMS },
    { key: "avg_response_time", label: "Average", title: "mean response time, ms", n: true, f: fmtMS },
    { key: "min_response_time", label: "Min", title: "fastest response, ms", n: true, f: fmtMS },
    { key: "max_response_time", label: "Max", title: "slowest response, ms", n: true, f: fmtMS },
    { key: "avg_content_length", label: "Avg size (B)", title: "mean content size, bytes", n: true, f: function (v) { return fmtInt(Math.round(v)); } },
    { key: "current_rps", label: "Current RPS", title: "requests per second, last 10 seconds", n: true, f: function (v) { return fmtFixed(v, 1); } },
    { key: "current_fail_per_sec", label: "Current failures/s", title: "failures per second, last 10 seconds", n: true, f: function (v) { return fmtFixed(v, 1); } }
  ];
  var sort = { key: null, dir: 1 };
  var lastRows = [], lastTotal = null;

  (function buildHead() {
    var tr = $("stats-head");
    cols.forEach(function (c) {
      var th = el("th", c.n ? "n" : "", c.label);
      th.setAttribute("data-key", c.key);
      th.title = (c.title ? c.title.charAt(0).toUpperCase() + c.title.slice(1) + ". " : "") + "Click to sort.";
      th.addEventListener("click", function () {
        if (sort.key === c.key) {
          if (sort.dir === (c.n ? -1 : 1)) sort.dir = -sort.dir;
          else sort.key = null; // third click: back to the server's order
        } else {
          sort.key = c.key;
          sort.dir = c.n ? -1 : 1; // numbers: largest first
        }
        renderStats();
      });
      tr.appendChild(th);
    });
  })();

  function statCells(tr, row) {
    cols.forEach(function (c) {
      var v = row[c.key];
      var td = el("td", (c.cls || "") + (c.n ? " n" : ""));
      if (c.fails) {
        td.textContent = fmtInt(v);
        if (v > 0) {
          td.classList.add("bad");
          td.appendChild(el("span", "pct", "(" + fmtPct(v / row.num_requests) + ")"));
        }
      } else if (c.f) {
        td.textContent = row.num_requests === 0 && /response_time|percentile/.test(c.key) ? "\u2013" : c.f(v);
      } else {
        td.textContent = v == null ? "" : String(v);
      }
      tr.appendChild(td);
    });
  }

  function renderStats() {
    var rows = lastRows.slice();
    if (sort.key) {
      var k = sort.key, d = sort.dir;
      rows.sort(function (a, b) {
        var x = a[k], y = b[k];
        if (typeof x === "string" || typeof y === "string") return d * String(x).localeCompare(String(y));
        return d * ((x || 0) - (y || 0));
      });
    }
    Array.prototype.forEach.call($("stats-head").children, function (th) {
      if (th.getAttribute("data-key") === sort.key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    var body = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = el("tr");
      statCells(tr, r);
      body.appendChild(tr);
    });
    $("stats-body").replaceChildren(body);
    var foot = $("stats-foot");
    if (lastTotal && rows.length) {
      var tr = el("tr");
      statCells(tr, Object.assign({}, lastTotal, { method: "" }));
      foot.replaceChildren(tr);
    } else {
      foot.replaceChildren();
    }
    $("stats-empty").hidden = rows.length > 0;
    $("stats-wrap").hidden = rows.length === 0;
  }

  function renderFailures(errors) {
    var body = document.createDocumentFragment();
    errors.forEach(function (e) {
      var tr = el("tr");
      tr.appendChild(el("td", "n bad", fmtInt(e.occurrences)));
      tr.appendChild(el("td", "type", e.method));
      tr.appendChild(el("td", "name", e.name));
      tr.appendChild(el("td", "msg", e.error));
      body.appendChild(tr);
    });
    $("failures-body").replaceChildren(body);
    $("failures-empty").hidden = errors.length > 0;
    $("failures-wrap").hidden = errors.length === 0;
    badge("n-failures", errors.reduce(function (s, e) { return s + e.occurrences; }, 0));
  }

  // ---- workers (distributed tests) ----
  // renderThresholds shows the thresholds' live results.
  function renderThresholds(list) {
    $("tab-thresholds").hidden = !list || !list.length;
    if (!list || !list.length) return;
    var body = document.createDocumentFragment(), failing = 0, noData = 0;
    list.forEach(function (t) {
      var tr = el("tr"), res = t.no_data ? "no data" : t.passed ? "pass" : "fail";
      if (res === "fail") failing++;
      if (t.no_data) noData++;
      var td = el("td", "verdict");
      td.appendChild(el("span", "pill " + res.replace(" ", "-"), res));
      tr.appendChild(td);
      tr.appendChild(el("td", "name", t.name));
      tr.appendChild(el("td", "mono", t.expr + (t.abort_on_fail ? " (abort)" : "")));
      tr.appendChild(el("td", "n", t.measured));
      body.appendChild(tr);
    });
    $("thresholds-body").replaceChildren(body);
    // Before any data there is nothing to say; some without data yet: the
    // others pass so far.
    setText("n-thresholds", failing ? failing + " failing" : noData === list.length ? "no data" : noData ? "passing" : "all pass");
    $("n-thresholds").className = "badge " + (failing ? "bad" : noData === list.length ? "" : "good");
  }

  function renderWorkers(list) {
    $("tab-workers").hidden = !list;
    if (!list) return;
    var body = document.createDocumentFragment();
    list.forEach(function (w) {
      var tr = el("tr");
      tr.appendChild(el("td", "name", w.id));
      tr.appendChild(el("td", "", w.host));
      tr.appendChild(el("td", w.state === "missing" ? "bad" : "", w.state));
      tr.appendChild(el("td", "n", fmtInt(w.user_count)));
      tr.appendChild(el("td", "n", fmtFixed(w.cpu_usage, 0)));
      body.appendChild(tr);
    });
    $("workers-body").replaceChildren(body);
    setText("n-workers", fmtInt(list.filter(function (w) { return w.state !== "missing"; }).length));
  }

  function badge(id, n) {
    var b = $(id);
    b.hidden = !n;
    setText(id, n ? fmtInt(n) : "");
  }

  // ---- exceptions ----
  var excCount = -1, excSig = "";
  function pollExceptions() {
    return getJSON("exceptions").then(function (j) {
      var list = j.exceptions || [];
      var sig = JSON.stringify(list);
      if (sig === excSig) return; // unchanged: keep open tracebacks open
      excSig = sig;
      var open = {};
      Array.prototype.forEach.call(document.querySelectorAll("#exceptions-body details[open]"), function (d) {
        open[d.getAttribute("data-key")] = true;
      });
      var body = document.createDocumentFragment();
      list.forEach(function (x) {
        var tr = el("tr");
        tr.appendChild(el("td", "n bad", fmtInt(x.count)));
        var msg = el("td", "msg");
        msg.appendChild(el("div", "m", x.msg));
        if (x.traceback && x.traceback !== x.position) {
          var det = el("details"), key = x.position + "\n" + x.msg;
          det.setAttribute("data-key", key);
          det.open = !!open[key];
          det.appendChild(el("summary", "", "traceback"));
          det.appendChild(el("pre", "", x.traceback));
          msg.appendChild(det);
        }
        tr.appendChild(msg);
        tr.appendChild(el("td", "pos", x.position || "\u2013"));
        body.appendChild(tr);
      });
      $("exceptions-body").replaceChildren(body);
      $("exceptions-empty").hidden = list.length > 0;
      $("exceptions-wrap").hidden = list.length === 0;
      badge("n-exceptions", list.reduce(function (s, x) { return s + x.count; }, 0));
    }).catch(function () { /* the next poll retries */ });
  }

  // ---- charts ----
  // hist holds the charts' points: those of earlier tests of this page's
  // session (kept, as Locust keeps them, each test's start marked), then
  // the current test's from GET /api/history from index base on.
  var hist = null;
  function emptyHist() { return { first: null, count: 0, base: 0, marks: [], t: [], rps: [], fail: [], p50: [], p95: [], users: [] }; }
  hist = emptyHist();
  var SERIES = ["rps", "fail", "p50", "p95", "users"];
  function pushPoint(t, p) {
    hist.t.push(t);
    SERIES.forEach(function (k) { hist[k].push(p ? p[k] : null); });
  }
  // loadEarlier puts the earlier tests the server kept (GET
  // /api/history/earlier) before the current one's points, each after a
  // marker, so that a reload keeps them too.
  function loadEarlier() {
    return getJSON("api/history/earlier").then(function (j) {
      if (hist.t.length) return; // already polling: the page keeps its own
      (j.runs || []).forEach(function (run) {
        if (!run.length) return;
        if (hist.t.length) hist.marks.push(run[0].time - 1);
        if (run[0].users > 0) pushPoint(run[0].time - 1, { rps: null, fail: null, p50: null, p95: null, users: 0 });
        run.forEach(function (p) {
          pushPoint(p.time, { rps: p.rps, fail: p.failures_per_s, p50: p.p50_ms, p95: p.p95_ms, users: p.users });
        });
        pushPoint(run[run.length - 1].time + 0.001, null);
      });
      hist.base = hist.t.length;
    }).catch(function () { /* the charts start with the current test */ });
  }

  // MAX_POINTS bounds what the page keeps of earlier tests.
  var MAX_POINTS = 20000;

  function pollHistory() {
    var n = hist.t.length - hist.base;
    var url = "api/history" + (n ? "?after=" + encodeURIComponent(String(hist.t[hist.t.length - 1])) : "");
    return getJSON(url).then(function (j) {
      if (n && j.first !== hist.first) {
        if (!j.count) return; // the new test has no point yet
        // A new test: keep the earlier ones' points, with a gap, and mark
        // where this one starts.
        pushPoint(hist.t[hist.t.length - 1] + 0.001, null);
        hist.base = hist.t.length;
        hist.first = null;
        hist.count = 0;
        return pollHistory();
      }
      if (n && j.count !== hist.count + j.points.length) {
        // A reset or thinned-out history: this test's points start over.
        hist.t.length = hist.base;
        SERIES.forEach(function (k) { hist[k].length = hist.base; });
        hist.count = 0;
        hist.first = null;
        return pollHistory();
      }
      if (!n && j.points.length) {
        var p0 = j.points[0];
        // Kept points must come before this test's (a clock set back).
        while (hist.base > 0 && hist.t[hist.base - 1] >= p0.time - 1) {
          hist.t.length = --hist.base;
          SERIES.forEach(function (k) { hist[k].length = hist.base; });
        }
        hist.marks = hist.marks.filter(function (m) { return m < p0.time - 1; });
        if (hist.base > 0 && hist.markedBase !== hist.base) {
          hist.marks.push(p0.time - 1);
          hist.markedBase = hist.base;
        }
        if (p0.users > 0) {
          // The users chart starts from 0 at the test's start.
          pushPoint(p0.time - 1, { rps: null, fail: null, p50: null, p95: null, users: 0 });
        }
      }
      hist.first = j.first;
      hist.count = j.count;
      j.points.forEach(function (p) {
        pushPoint(p.time, { rps: p.rps, fail: p.failures_per_s, p50: p.p50_ms, p95: p.p95_ms, users: p.users });
      });
      if (hist.base > 0 && hist.t.length > MAX_POINTS) {
        var cut = Math.min(hist.base, hist.t.length - MAX_POINTS);
        hist.t.splice(0, cut);
        SERIES.forEach(function (k) { hist[k].splice(0, cut); });
        hist.base -= cut;
        hist.marks = hist.marks.filter(function (m) { return m >= hist.t[0]; });
      }
      if (current === "charts") drawCharts(false);
    });
  }

  var charts = [], zoom = null, syncing = false, updating = false;
  var chartDefs = [
    { id: "chart-rps", title: "Total requests per second", series: [
      { label: "RPS", stroke: "#1a9e75", fill: "rgba(26,158,117,.08)", key: "rps", fmt: function (v) { return fmtFixed(v, 1); } },
      { label: "Failures/s", stroke: "#d93025", fill: "rgba(217,48,37,.08)", key: "fail", fmt: function (v) { return fmtFixed(v, 1); } }] },
    { id: "chart-rt", title: "Response times (ms)", series: [
      { label: "Median", stroke: "#2f6fde", key: "p50", fmt: fmtMS },
      { label: "95th percentile", stroke: "#e08a00", key: "p95", fmt: fmtMS }] },
    { id: "chart-users", title: "Number of users", series: [
      { label: "Users", stroke: "#7c3aed", fill: "rgba(124,58,237,.08)", key: "users", fmt: fmtInt, stepped: true }] }
  ];

  function chartData(def) {
    return [hist.t].concat(def.series.map(function (s) { return hist[s.key]; }));
  }

  var CHART_H = 190;
  // Whole seconds to whole hours between the time axis's ticks.
  var TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  // niceMax is a round top for a y axis whose data reach max.
  function niceMax(max) {
    if (!(max > 0)) return 1;
    var m = max * 1.05, p = Math.pow(10, Math.floor(Math.log10(m)));
    var steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= m) return steps[i] * p;
    return 10 * p;
  }
  function chartWidth(div) { return Math.max(300, div.clientWidth - 20); }
  // legendValue shows the value under the cursor, or the latest one shown
  // (the last one in the zoomed range while zoomed).
  function legendValue(fmt) {
    return function (u, v, si, idx) {
      if (idx == null) {
        var d = u.data[si], xs = u.data[0], i = d ? d.length - 1 : -1;
        if (zoom) while (i > 0 && xs[i] > zoom.max) i--;
        while (i > 0 && d[i] == null) i--;
        v = i >= 0 ? d[i] : null;
      }
      return v == null ? "\u2013" : fmt(v);
    };
  }
  // drawMarks draws a dashed line where each later test started.
  function drawMarks(u) {
    if (!hist.marks.length) return;
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
    ctx.save();
    ctx.strokeStyle = "#98a2b3";
    ctx.fillStyle = "#667085";
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 4]);
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.font = Math.round(11 * devicePixelRatio) + "px system-ui, sans-serif";
    hist.marks.forEach(function (m) {
      var x = Math.round(u.valToPos(m, "x", true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + h);
      ctx.stroke();
      ctx.fillText("new test", x + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
    });
    ctx.restore();
  }
  // saveChart downloads a chart as a PNG: its title, plot and legend values.
  function saveChart(i) {
    var u = charts[i];
    if (!u) return;
    var src = u.ctx.canvas, pad = 40 * devicePixelRatio;
    var c = document.createElement("canvas");
    c.width = src.width;
    c.height = src.height + pad;
    var ctx = c.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.fillStyle = "#1d2330";
    ctx.font = "600 " + Math.round(14 * devicePixelRatio) + "px system-ui, sans-serif";
    ctx.fillText(chartDefs[i].title + " \u00b7 " + (info && info.script || "jsload"), 10 * devicePixelRatio, 24 * devicePixelRatio);
    ctx.drawImage(src, 0, pad);
    c.toBlob(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "jsload_" + chartDefs[i].id.replace("chart-", "") + "_" + new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19) + ".png";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    }, "image/png");
  }
  window.jsloadSaveChart = saveChart;

  function makeChart(def) {
    var div = $(def.id);
    var axis = { stroke: "#667085", grid: { stroke: "#eef0f3", width: 1 }, ticks: { stroke: "#e3e6eb", width: 1 } };
    var opts = {
      title: def.title,
      width: chartWidth(div),
      height: CHART_H,
      cursor: { sync: { key: "jsload" }, drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, niceMax(max)]; } } },
      series: [{ label: "Time", value: legendValue(fmtClock) }].concat(def.series.map(function (s) {
        var o = { label: s.label, stroke: s.stroke, width: 2, points: { show: false }, value: legendValue(s.fmt) };
        if (s.fill) o.fill = s.fill;
        if (s.stepped) o.paths = uPlot.paths.stepped({ align: 1 });
        return o;
      })),
      axes: [Object.assign({}, axis, { size: 34, space: 80, incrs: TIME_STEPS, values: function (u, vals) { return vals.map(fmtClock); } }), Object.assign({}, axis, { size: 56, values: function (u, vals) { return vals.map(function (v) { return fmtInt(v); }); } })],
      hooks: { draw: [drawMarks], setScale: [function (u, key) {
        if (key !== "x" || updating || syncing) return;
        var xs = u.data[0], min = u.scales.x.min, max = u.scales.x.max;
        zoom = xs.length && (min > xs[0] || max < xs[xs.length - 1]) ? { min: min, max: max } : null;
        syncing = true;
        charts.forEach(function (c) {
          if (c === u) return;
          if (zoom) c.setScale("x", zoom);
          else c.setData(c.data, true);
        });
        syncing = false;
      }] }
    };
    return new uPlot(opts, chartData(def), div);
  }

  function drawCharts(resize) {
    if (typeof uPlot === "undefined" || current !== "charts") return;
    if (!charts.length) {
      chartDefs.forEach(function (d, i) {
        charts.push(makeChart(d));
        var b = el("button", "btn ghost save", "Save as PNG");
        b.type = "button";
        b.title = "Download this chart as an image";
        b.addEventListener("click", function () { saveChart(i); });
        $(d.id).appendChild(b);
      });
      resize = true; // the page may have grown a scroll bar meanwhile
    }
    updating = true;
    charts.forEach(function (c, i) {
      if (resize) c.setSize({ width: chartWidth($(chartDefs[i].id)), height: CHART_H });
      c.setData(chartData(chartDefs[i]), !zoom);
    });
    updating = false;
  }
  // For the browser test and the curious: the charts and the zoom.
  window.jsloadPanel = { charts: charts, zoom: function () { return zoom; }, marks: function () { return hist.marks; } };

  var resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { drawCharts(true); }, 150);
  });

  // ---- current ratio ----
  function selectedClasses() {
    var boxes = document.querySelectorAll("#f-class-list input");
    if (!boxes.length) return null;
    var on = {};
    Array.prototype.forEach.call(boxes, function (b) { if (b.checked) on[b.value] = true; });
    return on;
  }

  // ---- logs ----
  var logCount = -1;
  function pollLogs() {
    return getJSON("logs").then(function (j) {
      var lines = j.master || [];
      var warn = lines.filter(function (l) { return /\] (WARNING|ERROR|CRITICAL): /.test(l); }).length;
      $("n-warnings").hidden = warn === 0;
      setText("n-warnings", String(warn));
      $("logs-empty").hidden = lines.length > 0;
      if (lines.length === logCount && lines.length < 500) return;
      logCount = lines.length;
      var box = $("logs");
      var atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
      box.replaceChildren();
      lines.forEach(function (l) {
        var m = /\] (WARNING|ERROR|CRITICAL): /.exec(l);
        box.appendChild(el("div", m ? "line " + m[1].toLowerCase() : "line", l));
      });
      if (atEnd) box.scrollTop = box.scrollHeight;
    });
  }

  // tasksNow is the last GET /tasks answer: the users running per class.
  var tasksNow = null;
  function pollTasks() {
    return getJSON("tasks").then(function (j) { tasksNow = j; renderRatio(); });
  }

  // renderRatio shows, as Locust does, each class's share of the users
  // actually running and its tasks' shares; before any user runs, the
  // shares the classes' weights give.
  function renderRatio() {
    if (!info) return;
    var box = $("ratio");
    box.replaceChildren();
    var classes = info.user_classes || [];
    var counts = (tasksNow && tasksNow.user_counts) || {};
    var running = Object.keys(counts).reduce(function (s, k) { return s + counts[k]; }, 0);
    var on = (lastStart && lastStart.classes) || selectedClasses();
    var used = classes.filter(function (c) { return !on || on[c.name]; });
    var weightSum = used.reduce(function (s, c) { return s + (c.fixed_count ? 0 : c.weight); }, 0);
    var fixed = used.some(function (c) { return c.fixed_count; });
    setText("ratio-note", !classes.length ? "No user classes." : running > 0
      ? "Share of the " + fmtInt(running) + " running users each class has, and of the tasks each user of a class picks. Total is the task's share of all task runs."
      : "No users are running: the share of the users each class gets by its weight" + (fixed ? " (classes with a fixed count get exactly that many users first)" : "") +
        ", and of the tasks each user of a class picks. Total is the task's share of all task runs.");
    classes.forEach(function (c) {
      var active = running > 0 ? counts[c.name] > 0 || !on || on[c.name] : !on || on[c.name];
      var share, label, sub;
      if (running > 0) {
        var n = counts[c.name] || 0;
        share = n / running;
        label = fmtPct(share);
        sub = fmtInt(n) + (n === 1 ? " user" : " users") + " of " + fmtInt(running) +
          (c.fixed_count ? " (fixed count " + c.fixed_count + ")" : " (weight " + c.weight + ")");
      } else {
        share = active && !c.fixed_count && weightSum > 0 ? c.weight / weightSum : 0;
        label = c.fixed_count ? c.fixed_count + (c.fixed_count === 1 ? " user" : " users") : fmtPct(share);
        sub = !active ? "not selected for this test" : c.fixed_count ? "fixed count" : "weight " + c.weight + " of " + weightSum;
      }
      var card = el("div", "klass" + (active ? "" : " off"));
      var h = el("h3", "", c.name);
      h.appendChild(el("span", "share", label));
      card.appendChild(h);
      card.appendChild(el("p", "sub", sub));
      var meter = el("div", "meter"), bar = el("span");
      bar.style.width = (running === 0 && c.fixed_count ? 100 : share * 100).toFixed(1) + "%";
      meter.appendChild(bar);
      card.appendChild(meter);
      var t = el("table"), head = el("tr");
      ["Task", "Weight", "Share", "Total"].forEach(function (l, i) { head.appendChild(el("th", i ? "n" : "", l)); });
      t.appendChild(head);
      (c.tasks || []).forEach(function (k) {
        var tr = el("tr");
        tr.appendChild(el("td", "", k.name));
        tr.appendChild(el("td", "n", String(k.weight)));
        tr.appendChild(el("td", "n", fmtPct(k.share / 100)));
        tr.appendChild(el("td", "n", running === 0 && c.fixed_count ? "\u2013" : fmtPct(share * k.share / 100)));
        t.appendChild(tr);
      });
      card.appendChild(t);
      box.appendChild(card);
    });
  }

  // ---- forms ----
  function fillStart() {
    if (!info) return;
    var prev = lastStart;
    $("f-users").value = prev ? prev.users : info.users;
    $("f-rate").value = prev ? prev.rate : info.spawn_rate;
    $("f-host").value = prev ? prev.host : info.host || "";
    $("f-runtime").value = prev ? prev.runTime : info.run_time || "";
    setText("f-script", info.script || "");
  }

  // scripted tells whether the script sets its own load (shape(), stages,
  // arrival rate): the form then shows the plan instead of users and rate.
  function scripted() { return !!(info && info.plan && info.plan.kind !== "users"); }

  function buildPlan() {
    var s = scripted();
    $("f-plan").hidden = !s;
    $("f-users-row").hidden = s;
    $("f-rate-row").hidden = s;
    if (s) {
      setText("f-plan-title", info.plan.title);
      $("f-plan-steps").replaceChildren.apply($("f-plan-steps"), (info.plan.steps || []).map(function (l) { return el("li", "", l); }));
    }
    var ths = info.thresholds || [];
    $("f-thresholds").hidden = !ths.length;
    $("f-threshold-list").replaceChildren.apply($("f-threshold-list"), ths.map(function (t) {
      return el("li", "mono", t.name + ": " + t.expr + (t.abort_on_fail ? " (abort)" : ""));
    }));
  }

  function openStart() {
    fillStart();
    $("start-error").hidden = true;
    $("start-cancel").hidden = false; // before the first test too: New test opens it again
    $("start-modal").hidden = false;
    $("f-users").focus();
  }

  function buildClasses() {
    var classes = info.user_classes || [];
    var list = $("f-class-list");
    list.replaceChildren();
    classes.forEach(function (c) {
      var lab = el("label"), box = el("input");
      box.type = "checkbox";
      box.name = "user_classes";
      box.value = c.name;
      box.checked = true;
      box.addEventListener("change", renderRatio);
      lab.appendChild(box);
      lab.appendChild(document.createTextNode(c.name));
      list.appendChild(lab);
    });
    $("f-classes").hidden = classes.length < 2 || scripted();
  }

  // buildParams adds a field per custom parameter the script declares
  // (export const parameters), named as declared, as Locust's form sends
  // custom arguments; in a distributed run they are shown, not editable.
  function buildParams() {
    var params = info.parameters || [];
    var list = $("f-param-list");
    list.replaceChildren();
    params.forEach(function (p) {
      var lab = el("label", "", p.name + " ");
      if (p.help) lab.appendChild(el("small", "", "(" + p.help + ")"));
      var input;
      var choices = p.type === "bool" ? ["true", "false"] : (p.choices || []);
      if (choices.length) {
        input = el("select");
        choices.forEach(function (c) {
          var o = el("option", "", c);
          o.value = c;
          input.appendChild(o);
        });
      } else {
        input = el("input");
        input.type = p.type === "int" || p.type === "float" ? "number" : "text";
        if (p.type === "int") input.step = "1";
        if (p.type === "float") input.step = "any";
        input.spellcheck = false;
      }
      input.name = p.name;
      input.id = "f-param-" + p.name;
      input.value = p.value;
      input.disabled = !!info.parameters_fixed;
      input.title = "--" + p.flag + " (" + p.type + ")";
      lab.appendChild(input);
      list.appendChild(lab);
    });
    $("f-params").hidden = !params.length;
    $("f-params-fixed").hidden = !info.parameters_fixed;
    setText("f-params-fixed", info.parameters_fixed ? "Shown, not editable: " + info.parameters_fixed + "." : "");
  }

  // formMessage names the form's fields as the form labels them, not as
  // the API does: "Number of users must be 0 or more", not "user_count".
  var FIELD_LABELS = { user_count: "Number of users", spawn_rate: "Ramp up", run_time: "Run time", host: "Host", user_classes: "User classes" };
  function formMessage(msg) {
    return msg.replace(/,? e\.g\. (user_count|spawn_rate)=\S+/g, "")
      .replace(/\b(user_count|spawn_rate|run_time|user_classes)\b/g, function (k) { return FIELD_LABELS[k]; })
      .replace(/^host\b/, "Host");
  }

  function formFields(form) {
    var out = [];
    new FormData(form).forEach(function (v, k) { out.push([k, String(v)]); });
    return out;
  }

  $("start-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var fields = formFields(this);
    if ($("f-classes").hidden) fields = fields.filter(function (kv) { return kv[0] !== "user_classes"; });
    var submit = $("start-submit");
    submit.disabled = true;
    post("swarm", fields).then(function () {
      var on = selectedClasses();
      lastStart = { users: $("f-users").value, rate: $("f-rate").value, host: $("f-host").value.trim(),
        runTime: $("f-runtime").value.trim(), classes: on };
      $("start-modal").hidden = true;
      formOpenedFor = "started";
      toast("Test started");
      renderRatio();
      tick();
    }).catch(function (e) {
      $("start-error").textContent = formMessage(e.message);
      $("start-error").hidden = false;
    }).then(function () { submit.disabled = false; });
  });
  $("start-cancel").addEventListener("click", function () { $("start-modal").hidden = true; });
  $("b-new").addEventListener("click", openStart);

  $("b-edit").addEventListener("click", function () {
    $("e-users").value = lastStart ? lastStart.users : lastUserCount;
    $("e-rate").value = lastStart ? lastStart.rate : info ? info.spawn_rate : 1;
    $("edit-error").hidden = true;
    $("edit-modal").hidden = false;
    $("e-users").focus();
  });
  $("edit-cancel").addEventListener("click", function () { $("edit-modal").hidden = true; });
  $("edit-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var fields = formFields(this);
    post("swarm", fields).then(function () {
      if (lastStart) { lastStart.users = $("e-users").value; lastStart.rate = $("e-rate").value; }
      $("edit-modal").hidden = true;
      toast("Now going to " + $("e-users").value + " users");
      tick();
    }).catch(function (e) {
      $("edit-error").textContent = formMessage(e.message);
      $("edit-error").hidden = false;
    });
  });

  $("b-stop").addEventListener("click", function () {
    $("b-stop").disabled = true;
    applyState("stopping");
    post("stop").then(function () { toast("Test stopped"); tick(); })
      .catch(function (e) { toast(e.message, true); $("b-stop").disabled = false; });
  });
  $("b-reset").addEventListener("click", function () {
    post("stats/reset").then(function () { toast("Statistics reset"); tick(); })
      .catch(function (e) { toast(e.message, true); });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    $("edit-modal").hidden = true;
    $("start-modal").hidden = true;
  });

  // ---- polling ----
  var lastUserCount = 0, timer = 0, inflight = false, tickN = 0;

  function renderRequests(j) {
    lastUserCount = j.user_count;
    setText("h-users", fmtInt(j.user_count));
    setText("h-rps", fmtFixed(j.total_rps, 1));
    setText("h-fail", fmtPct(j.fail_ratio));
    $("h-fail").classList.toggle("bad", j.fail_ratio > 0);
    if (j.host != null) {
      setText("h-host", j.host || "\u2013");
      $("h-host").title = j.host || "";
    }
    var rows = j.stats || [];
    lastTotal = rows.length ? rows[rows.length - 1] : null;
    lastRows = rows.slice(0, -1);
    renderStats();
    renderFailures(j.errors || []);
    renderWorkers(j.workers);
    renderThresholds(j.thresholds);
    if (j.exception_count !== excCount || current === "exceptions") {
      excCount = j.exception_count;
      pollExceptions();
    }
    applyState(j.state);
    document.title = "jsload \u00b7 " + j.state + (j.state === "running" || j.state === "spawning" ? " \u00b7 " + fmtInt(j.user_count) + " users" : "");
  }

  function tick() {
    clearTimeout(timer);
    if (inflight) { timer = setTimeout(tick, POLL_MS); return; }
    inflight = true;
    Promise.all([getJSON("stats/requests").then(renderRequests), pollHistory(),
      current === "ratio" ? pollTasks() : null, current === "logs" || logCount < 0 || tickN++ % 5 === 0 ? pollLogs() : null])
      .then(function () { $("conn").hidden = true; })
      .catch(function () {
        $("conn").hidden = false;
        $("h-state").setAttribute("data-state", "offline");
        setText("h-state", "offline");
      })
      .then(function () {
        inflight = false;
        timer = setTimeout(tick, POLL_MS);
      });
  }

  getJSON("api/info").then(function (j) {
    info = j;
    if (j.version) setText("version", j.version);
    $("dl-full-history").hidden = !j.full_history;
    setText("h-host", j.host || "\u2013");
    buildClasses();
    buildParams();
    buildPlan();
    fillStart();
    renderRatio();
  }).catch(function (e) { toast("Could not read the script's details: " + e.message, true); })
    .then(function () {
      var hash = location.hash.replace(/^#/, "");
      if (hash) showTab(hash);
      return loadEarlier();
    }).then(function () {
      tick();
    });
})();
