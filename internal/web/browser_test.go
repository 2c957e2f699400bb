package web_test

// The panel in a real browser: headless Chromium driven over the DevTools
// protocol on a pipe (--remote-debugging-pipe), so that the test needs no
// WebDriver and no Go dependency. Skipped when Chromium is not installed
// (.ci/run installs it; Debian's package is "chromium").
//
// Set JSLOAD_SCREENSHOTS=DIR to keep the screenshots (else they go to a
// temporary directory) and JSLOAD_CHROMIUM=PATH to choose the browser.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/web"
)

func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("JSLOAD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("headless browser test skipped: no chromium in PATH (apt-get install chromium, or set JSLOAD_CHROMIUM)")
	return ""
}

// browser is one headless Chromium with one page, spoken to in the
// DevTools protocol: JSON messages separated by NUL bytes on fds 3 and 4.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	w       io.WriteCloser
	mu      sync.Mutex
	next    int
	pending map[int]chan cdpMsg
	session string
	shots   string
	dead    chan struct{}
	errs    []string // exceptions and error log entries of the page
}

type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    any             `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// startBrowser starts headless Chromium with one page attached. A Chromium
// that dies while starting (it has crashed at start when the machine is
// loaded by the other packages' tests) is started again, up to 3 times.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin := findChromium(t)
	var (
		b      *browser
		target struct {
			TargetID string `json:"targetId"`
		}
		err error
	)
	for attempt := 1; ; attempt++ {
		b = launchBrowser(t, bin)
		if err = b.try("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err == nil {
			break
		}
		if attempt == 3 || !b.exited() {
			t.Fatalf("Target.createTarget: %v", err)
		}
		t.Logf("chromium exited while starting (attempt %d): starting it again", attempt)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.callIn("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	b.session = att.SessionID
	b.call("Page.enable", nil, nil)
	b.call("Runtime.enable", nil, nil)
	b.call("Log.enable", nil, nil)
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": false}, nil)

	b.shots = os.Getenv("JSLOAD_SCREENSHOTS")
	if b.shots == "" {
		b.shots = t.TempDir()
	} else if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// launchBrowser starts one Chromium process speaking the DevTools
// protocol over pipes; it is stopped when the test ends.
func launchBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	toChrome, chromeIn, err := os.Pipe() // chrome reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	chromeOut, fromChrome, err := os.Pipe() // chrome writes fd 4
	if err != nil {
		t.Fatal(err)
	}
	_ = toChrome
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-first-run", "--mute-audio",
		"--hide-scrollbars", "--force-color-profile=srgb", "--lang=en-US",
		"--user-data-dir="+t.TempDir(), "--window-size=1400,1000", "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("headless browser test skipped: starting %s: %v", bin, err)
	}
	toChrome.Close()
	fromChrome.Close()
	b := &browser{t: t, cmd: cmd, w: chromeIn, pending: map[int]chan cdpMsg{}, dead: make(chan struct{})}
	go b.read(chromeOut)
	t.Cleanup(func() {
		b.w.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("chromium's stderr:\n%s", tail(stderr.String(), 3000))
		}
	})

	return b
}

// exited reports whether the Chromium process has ended.
func (b *browser) exited() bool {
	select {
	case <-b.dead:
		return true
	default:
		return false
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (b *browser) read(r io.ReadCloser) {
	defer close(b.dead)
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMsg
		if json.Unmarshal(line[:len(line)-1], &m) != nil {
			continue
		}
		if m.ID == 0 {
			b.event(line[:len(line)-1])
			continue
		}
		b.mu.Lock()
		ch := b.pending[m.ID]
		delete(b.pending, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// event keeps the page's uncaught exceptions and error log entries (CSP
// violations and failed loads among them).
func (b *browser) event(raw []byte) {
	var ev struct {
		Method string `json:"method"`
		Params struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
			Entry struct {
				Level string `json:"level"`
				Text  string `json:"text"`
				URL   string `json:"url"`
			} `json:"entry"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return
	}
	var msg string
	switch ev.Method {
	case "Runtime.exceptionThrown":
		d := ev.Params.ExceptionDetails
		msg = "exception: " + d.Text + " " + d.Exception.Description
	case "Log.entryAdded":
		if ev.Params.Entry.Level != "error" {
			return
		}
		msg = "log: " + ev.Params.Entry.Text + " " + ev.Params.Entry.URL
	default:
		return
	}
	b.mu.Lock()
	b.errs = append(b.errs, msg)
	b.mu.Unlock()
}

// forget drops the first logged problem that contains s.
func (b *browser) forget(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, e := range b.errs {
		if strings.Contains(e, s) {
			b.errs = append(b.errs[:i], b.errs[i+1:]...)
			return
		}
	}
}

func (b *browser) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

func (b *browser) call(method string, params, result any) {
	b.t.Helper()
	b.callIn(b.session, method, params, result)
}

func (b *browser) callIn(session, method string, params, result any) {
	b.t.Helper()
	if err := b.try(session, method, params, result); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
}

func (b *browser) try(session, method string, params, result any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpMsg, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(cdpMsg{ID: id, Method: method, Params: params, SessionID: session})
	if err != nil {
		return err
	}
	if _, err := b.w.Write(append(msg, 0)); err != nil {
		return err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-b.dead:
		return errors.New("chromium exited")
	case <-time.After(30 * time.Second):
		return errors.New("no answer in 30 s")
	}
}

// eval runs expr in the page (awaiting a promise) and returns its value.
func (b *browser) eval(expr string) any {
	b.t.Helper()
	v, err := b.tryEval(expr)
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func (b *browser) tryEval(expr string) (any, error) {
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.try(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return nil, err
	}
	if r.Exception != nil {
		return nil, fmt.Errorf("%s %s", r.Exception.Text, r.Exception.Exception.Description)
	}
	return r.Result.Value, nil
}

// waitFor waits until the JavaScript condition cond is true.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, err := b.tryEval(cond)
		if err == nil && v == true {
			return
		}
		if time.Now().After(deadline) {
			b.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
			b.t.Fatalf("waiting for %s (%s): %v %v", what, cond, v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	b.call("Page.navigate", map[string]any{"url": url}, nil)
	b.waitFor("the page to load", `document.readyState === "complete"`)
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	if err := b.try(b.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	p := filepath.Join(b.shots, "panel-"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}

// text returns the trimmed text of the first element matching selector.
func (b *browser) text(selector string) string {
	b.t.Helper()
	v := b.eval(fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.trim()`, selector))
	s, _ := v.(string)
	return s
}

func (b *browser) click(selector string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`document.querySelector(%q).click()`, selector))
}

// typeInto replaces an input's value, as typing would.
func (b *browser) typeInto(selector, value string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.focus(); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); })()`, selector, value))
}

// TestPanelInBrowser starts a test from the panel, watches it fill,
// changes its users, stops it and downloads the CSV, taking screenshots.
func TestPanelInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("headless browser test skipped in -short mode")
	}
	b := startBrowser(t)
	f := newFake()
	f.fillOnStart = true
	s, err := web.New(f, web.Options{Version: "0.9.0"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	// Ready: the start form is open, filled in from Info.
	b.navigate(ts.URL + "/")
	b.waitFor("the start form", `!document.getElementById("start-modal").hidden && document.getElementById("f-users").value === "10"`)
	if got := b.eval(`[document.getElementById("f-users").value, document.getElementById("f-rate").value,
		document.getElementById("f-host").value, document.getElementById("f-runtime").value,
		document.querySelectorAll("#f-class-list input:checked").length].join("|")`); got != "10|2|http://localhost:8080|1m30s|3" {
		t.Errorf("start form prefilled with %v", got)
	}
	if st := b.text("#h-state"); st != "ready" {
		t.Errorf("state %q before the start", st)
	}
	b.screenshot("start")

	// The start form can be closed before the first test; New test opens
	// it again.
	b.click("#start-cancel")
	b.waitFor("the form to close", `document.getElementById("start-modal").hidden && !document.getElementById("b-new").hidden`)
	b.screenshot("ready-closed")
	b.click("#b-new")
	b.waitFor("the start form again", `!document.getElementById("start-modal").hidden`)

	// A bad value is refused with the server's message, and nothing starts.
	b.typeInto("#f-users", "-1")
	b.eval(`document.getElementById("start-form").requestSubmit()`)
	b.waitFor("the error message", `!document.getElementById("start-error").hidden`)
	if msg := b.text("#start-error"); !strings.Contains(msg, "Number of users must be 0 or more") {
		t.Errorf("error shown: %q", msg)
	}
	if _, n := f.lastStart(); n != 0 {
		t.Fatal("a refused form started a test")
	}

	// Start 20 users at 5/s against another host, without the Admin class.
	b.typeInto("#f-users", "20")
	b.typeInto("#f-rate", "5")
	b.typeInto("#f-host", "http://127.0.0.1:9999")
	b.typeInto("#f-runtime", "5m")
	b.eval(`document.querySelector('#f-class-list input[value="Admin"]').click()`)
	b.eval(`document.getElementById("start-form").requestSubmit()`)
	b.waitFor("the form to close", `document.getElementById("start-modal").hidden`)
	req, n := f.lastStart()
	if n != 1 || req.Users != 20 || req.SpawnRate != 5 || req.Host != "http://127.0.0.1:9999" ||
		req.RunTime != 5*time.Minute || strings.Join(req.UserClasses, ",") != "Shopper,Visitor" {
		t.Fatalf("Start(%+v) x%d", req, n)
	}

	// The statistics table fills, the header follows.
	b.waitFor("the statistics rows", `document.querySelectorAll("#stats-body tr").length === 3`)
	b.waitFor("the running state", `document.getElementById("h-state").textContent === "running"`)
	if got := b.eval(`[...document.querySelectorAll("#stats-body td.name")].map(e => e.textContent).join(",")`); got != "/api/users,/entries,/shujie" {
		t.Errorf("rows %v", got)
	}
	if got := b.text("#stats-foot td.name"); got != "Aggregated" {
		t.Errorf("footer row %q", got)
	}
	if got := b.text("#h-users"); got != "20" {
		t.Errorf("header users %q", got)
	}
	if got := b.text("#h-fail"); got != "3.2%" {
		t.Errorf("header failures %q, want 3.2%%", got)
	}
	if got := b.text("#n-failures"); got != "10" {
		t.Errorf("failures badge %q", got)
	}
	if got := b.text("#h-host"); got != "http://127.0.0.1:9999" {
		t.Errorf("header host %q", got)
	}
	b.screenshot("statistics")

	// Sorting by a column header: # Requests, largest first.
	b.click(`#stats-head th[data-key="num_requests"]`)
	if got := b.eval(`[...document.querySelectorAll("#stats-body td.name")].map(e => e.textContent).join(",")`); got != "/entries,/api/users,/shujie" {
		t.Errorf("sorted by requests: %v", got)
	}
	if got := b.eval(`document.querySelector('#stats-head th[data-key="num_requests"]').getAttribute("aria-sort")`); got != "descending" {
		t.Errorf("aria-sort %v", got)
	}

	// Charts draw (uPlot canvases with the history's points).
	b.click(`.tabs [data-tab="charts"]`)
	b.waitFor("three charts", `document.querySelectorAll("#view-charts .uplot canvas").length === 3`)
	b.waitFor("chart data", `document.querySelector("#chart-rps .u-legend") !== null`)
	// The users chart starts from 0 users at the test's start.
	if got := b.eval(`(() => { const u = jsloadPanel.charts[2].data; return [u[1][0], u[1][1] > 0, u[0][1] - u[0][0]].join("|"); })()`); got != "0|true|1" {
		t.Errorf("the users chart begins with %v, want 0 users a second before the first point", got)
	}
	b.screenshot("charts")

	// Save as PNG downloads the chart.
	dl := t.TempDir()
	b.callIn("", "Browser.setDownloadBehavior", map[string]any{"behavior": "allow", "downloadPath": dl}, nil)
	b.click("#chart-rps .save")
	var png []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && png == nil; time.Sleep(100 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(dl, "jsload_rps_*.png")); len(m) == 1 {
			png, _ = os.ReadFile(m[0])
		}
	}
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Errorf("the chart's PNG: %d bytes", len(png))
	}

	// Zoom by dragging across the first chart: all three follow, and the
	// next polls keep the zoom; a double-click zooms out.
	var box struct{ X, Y, W, H float64 }
	raw := b.eval(`(() => { const r = document.querySelector("#chart-rps .u-over").getBoundingClientRect();
		return JSON.stringify({X: r.left, Y: r.top, W: r.width, H: r.height}); })()`).(string)
	json.Unmarshal([]byte(raw), &box)
	y := box.Y + box.H/2
	mouse := func(typ string, x float64, buttons, clicks int) {
		b.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": x, "y": y, "button": "left",
			"buttons": buttons, "clickCount": clicks}, nil)
	}
	mouse("mouseMoved", box.X+box.W*0.3, 0, 0)
	mouse("mousePressed", box.X+box.W*0.3, 1, 1)
	mouse("mouseMoved", box.X+box.W*0.45, 1, 0)
	mouse("mouseMoved", box.X+box.W*0.6, 1, 0)
	mouse("mouseReleased", box.X+box.W*0.6, 0, 1)
	b.waitFor("the zoom", `jsloadPanel.zoom() !== null`)
	time.Sleep(2200 * time.Millisecond) // two polls redraw the charts
	if got := b.eval(`(() => { const z = jsloadPanel.zoom(), c = jsloadPanel.charts;
		return z !== null && c.every(u => u.scales.x.min === z.min && u.scales.x.max === z.max) &&
			z.max - z.min < (c[0].data[0].at(-1) - c[0].data[0][0]) * 0.5; })()`); got != true {
		t.Errorf("after zooming and two polls, the charts' x ranges do not all match the zoom: %v",
			b.eval(`JSON.stringify([jsloadPanel.zoom(), jsloadPanel.charts.map(u => [u.scales.x.min, u.scales.x.max])])`))
	}
	// With the pointer off the charts, the legend shows the last values
	// inside the zoom, not the latest.
	b.call("Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": 5, "y": 5, "button": "none"}, nil)
	b.waitFor("the cursor to leave", `jsloadPanel.charts[0].cursor.idx == null`)
	if got := b.eval(`(() => { const u = jsloadPanel.charts[0], z = jsloadPanel.zoom(), xs = u.data[0];
		let i = xs.length - 1; while (i > 0 && xs[i] > z.max) i--;
		const d = new Date(xs[i] * 1000), p = n => String(n).padStart(2, "0");
		const want = p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
		const shown = document.querySelector("#chart-rps .u-legend .u-series .u-value").textContent;
		return shown === want && i < xs.length - 1 ? "ok" : shown + " != " + want; })()`); got != "ok" {
		t.Errorf("the zoomed chart's legend: %v", got)
	}
	b.screenshot("charts-zoomed")
	mouse("mousePressed", box.X+box.W*0.5, 1, 1)
	mouse("mouseReleased", box.X+box.W*0.5, 0, 1)
	mouse("mousePressed", box.X+box.W*0.5, 1, 2)
	mouse("mouseReleased", box.X+box.W*0.5, 0, 2)
	b.waitFor("the zoom to reset", `jsloadPanel.zoom() === null`)

	// Failures, exceptions, ratio.
	b.click(`.tabs [data-tab="failures"]`)
	if got := b.text("#failures-body td.msg"); got != "404 Client Error: Not Found" {
		t.Errorf("failure message %q", got)
	}
	b.screenshot("failures")
	b.click(`.tabs [data-tab="exceptions"]`)
	b.waitFor("the exception", `document.querySelectorAll("#exceptions-body tr").length === 1`)
	b.click("#exceptions-body details summary")
	if got := b.eval(`["td.n", "td.msg .m", "td.pos"].map(s => document.querySelector("#exceptions-body " + s).textContent).join("|")`); got !=
		"1|TypeError: Cannot read property 'id' of undefined|scripts/locustfile.js:12:5" {
		t.Errorf("exception row %v", got)
	}
	time.Sleep(1500 * time.Millisecond) // a poll or two: the traceback stays open
	if open := b.eval(`document.querySelector("#exceptions-body details").open`); open != true {
		t.Error("the open traceback closed on the next poll")
	}
	b.screenshot("exceptions")
	b.click(`.tabs [data-tab="ratio"]`)
	if got := b.eval(`[...document.querySelectorAll("#ratio .klass h3")].map(e => e.textContent).join("|")`); got != "Admin1 user|Shopper75%|Visitor25%" {
		t.Errorf("ratio headings %v", got)
	}
	// Once users run, the shares are the running users', as Locust shows
	// them: 1 of 10 users is of the fixed-count class.
	f.mu.Lock()
	f.counts = map[string]int{"Admin": 1, "Shopper": 6, "Visitor": 3}
	f.mu.Unlock()
	b.waitFor("the running users' shares", `[...document.querySelectorAll("#ratio .klass h3")].map(e => e.textContent).join("|") === "Admin10%|Shopper60%|Visitor30%"`)
	if got := b.text("#ratio .klass .sub"); got != "1 user of 10 (fixed count 1)" {
		t.Errorf("Admin's line %q", got)
	}
	b.screenshot("ratio")

	// Edit: 40 users, applied live.
	b.click("#b-edit")
	b.waitFor("the edit form", `!document.getElementById("edit-modal").hidden`)
	if got := b.eval(`document.getElementById("e-users").value`); got != "20" {
		t.Errorf("edit form users %v", got)
	}
	b.typeInto("#e-users", "40")
	b.screenshot("edit")
	b.eval(`document.getElementById("edit-form").requestSubmit()`)
	b.waitFor("the new user count", `document.getElementById("h-users").textContent === "40"`)
	if req, n := f.lastStart(); n != 2 || req.Users != 40 || req.SpawnRate != 5 {
		t.Errorf("edit: Start(%+v) x%d", req, n)
	}
	if f.State() != engine.Running {
		t.Errorf("state %s after the edit", f.State())
	}

	// Stop: the state changes, New test appears.
	b.click(`.tabs [data-tab="stats"]`)
	b.click("#b-stop")
	b.waitFor("the stopped state", `document.getElementById("h-state").textContent === "stopped" && !document.getElementById("b-new").hidden`)
	if f.stops != 1 {
		t.Errorf("%d stops", f.stops)
	}
	if !b.eval(`document.getElementById("b-edit").hidden && document.getElementById("b-stop").hidden`).(bool) {
		t.Error("Edit or Stop still shown after the stop")
	}
	b.screenshot("stopped")

	// Download the CSV through the panel's link.
	b.click(`.tabs [data-tab="download"]`)
	got := b.eval(`fetch(document.querySelector('#view-download a[href="stats/requests/csv"]').href)
		.then(r => r.text().then(t => r.headers.get("Content-Disposition") + "\n" + t))`).(string)
	if !strings.HasPrefix(got, `attachment; filename="jsload_requests_`) || !strings.Contains(got, "\nType,Name,Request Count,") ||
		!strings.Contains(got, "GET,/entries,200,") {
		t.Errorf("CSV download:\n%s", got)
	}
	b.screenshot("download")

	// New test: the form opens again with the last values (the edited
	// user count).
	b.click("#b-new")
	b.waitFor("the start form", `!document.getElementById("start-modal").hidden`)
	if got := b.eval(`document.getElementById("f-users").value + "|" + document.getElementById("f-host").value`); got != "40|http://127.0.0.1:9999" {
		t.Errorf("new test form %v", got)
	}

	// The second test: the charts keep the first one's points before a
	// marker where the second starts.
	b.eval(`document.getElementById("start-form").requestSubmit()`)
	b.waitFor("the second test", `document.getElementById("h-state").textContent === "running"`)
	b.click(`.tabs [data-tab="charts"]`)
	b.waitFor("the marker of the second test", `jsloadPanel.marks().length === 1`)
	if got := b.eval(`(() => { const x = jsloadPanel.charts[0].data[0], m = jsloadPanel.marks()[0];
		return x[0] < m && x.at(-1) > m && x.every((v, i) => i === 0 || v > x[i - 1]); })()`); got != true {
		t.Errorf("the kept points and the marker: %v", b.eval(`JSON.stringify([jsloadPanel.marks(), jsloadPanel.charts[0].data[0]])`))
	}
	b.screenshot("charts-two-tests")

	// After a reload the first test comes from the server's earlier runs.
	b.navigate("about:blank")
	b.navigate(ts.URL + "/#charts")
	b.waitFor("the marker after a reload", `jsloadPanel.marks().length === 1 && jsloadPanel.charts.length === 3 && jsloadPanel.charts[0].data[0].at(-1) > jsloadPanel.marks()[0]`)
	if got := b.eval(`(() => { const x = jsloadPanel.charts[0].data[0], m = jsloadPanel.marks()[0];
		return x[0] < m && x.every((v, i) => i === 0 || v > x[i - 1]); })()`); got != true {
		t.Errorf("after a reload, the kept points and the marker: %v", b.eval(`JSON.stringify([jsloadPanel.marks(), jsloadPanel.charts[0].data[0]])`))
	}
	b.screenshot("charts-after-reload")

	// The page's script raised no errors and the CSP blocked nothing; the
	// one refused start is logged by Chromium as a failed load.
	b.forget("status of 400 (Bad Request) " + ts.URL + "/swarm")
	if errs := b.problems(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// A distributed test's panel shows a Workers tab with one row per worker;
// a local test's panel does not.
func TestWorkersTabInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("headless browser test skipped in -short mode")
	}
	b := startBrowser(t)
	c := clusterFake{newFake().running(), []web.Worker{
		{ID: "a_1", Host: "h1", State: "running", UserCount: 13, CPUUsage: 41.5},
		{ID: "b_2", Host: "h2", State: "missing", UserCount: 12},
	}}
	for _, ctl := range []web.Controller{newFake().running(), c} {
		s, err := web.New(ctl, web.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		defer ts.Close()
		b.navigate(ts.URL + "/")
		b.waitFor("the first poll", `document.querySelectorAll("#stats-body tr").length > 0`)
		hidden := b.eval(`document.getElementById("tab-workers").hidden`)
		if _, local := ctl.(*fakeController); local {
			if hidden != true {
				t.Error("a local test shows a Workers tab")
			}
			continue
		}
		if hidden != false {
			t.Fatal("no Workers tab in a distributed test")
		}
		b.click(`.tabs [data-tab="workers"]`)
		got := b.eval(`[...document.querySelectorAll("#workers-body tr")].map(r => [...r.cells].map(c => c.textContent).join(" ")).join("|")`)
		if got != "a_1 h1 running 13 42|b_2 h2 missing 12 0" {
			t.Errorf("workers table %q", got)
		}
		if n := b.text("#n-workers"); n != "1" {
			t.Errorf("workers badge %q, want 1 (one missing)", n)
		}
	}
	if errs := b.problems(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// seen wraps the panel's handler to record what reached it: the path, the
// Sec-Fetch-Site header and the status answered.
type seen struct {
	mu   sync.Mutex
	reqs []string // "path site status"
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		s.mu.Lock()
		s.reqs = append(s.reqs, fmt.Sprintf("%s %s %d", r.URL.Path, r.Header.Get("Sec-Fetch-Site"), rec.status))
		s.mu.Unlock()
	})
}

func (s *seen) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// A page served from another port of the same host (same site, another
// origin) tries to stop the test and reset its statistics with images, as
// in the issue, and to change it with a no-cors POST: the browser sends the
// requests, and the panel refuses all three.
func TestSameSiteForgeryRefusedInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("headless browser test skipped in -short mode")
	}
	b := startBrowser(t)
	f := newFake().running()
	s, err := web.New(f, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got seen
	ts := httptest.NewServer(got.wrap(s.Handler()))
	defer ts.Close()
	page := `<!doctype html><title>elsewhere</title>
<img referrerpolicy="no-referrer" src="` + ts.URL + `/stop">
<img referrerpolicy="no-referrer" src="` + ts.URL + `/stats/reset">
<script>
const body = new URLSearchParams({user_count: "1000", spawn_rate: "100"});
fetch("` + ts.URL + `/swarm", {method: "POST", mode: "no-cors", body, referrerPolicy: "no-referrer"}).catch(() => {});
</script>`
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	defer other.Close()
	if strings.Split(other.URL, ":")[1] != strings.Split(ts.URL, ":")[1] {
		t.Fatalf("the two servers are not on the same host: %s, %s", other.URL, ts.URL)
	}
	b.navigate(other.URL + "/")
	deadline := time.Now().Add(15 * time.Second)
	for len(got.list()) < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	reqs := got.list()
	sort.Strings(reqs)
	want := []string{"/stats/reset same-site 403", "/stop same-site 403", "/swarm same-site 403"}
	if strings.Join(reqs, "|") != strings.Join(want, "|") {
		t.Errorf("the panel got %q, want %q", reqs, want)
	}
	if _, n := f.lastStart(); n != 0 || f.stops != 0 || f.resets != 0 || f.State() != engine.Running {
		t.Errorf("the other page changed the test: %d starts, %d stops, %d resets, state %s", n, f.stops, f.resets, f.State())
	}
}

// The panel opened as http://user:password@host:port/ with a login works:
// its requests go to the page's origin without the credentials (fetch()
// refuses URLs that carry them), the browser authenticates them, and the
// panel shows the running test, not "connection lost"; Stop works.
func TestCredentialsInURLInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("headless browser test skipped in -short mode")
	}
	b := startBrowser(t)
	f := newFake().running()
	s, err := web.New(f, web.Options{Login: "ada:s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	b.navigate(strings.Replace(ts.URL, "http://", "http://ada:s3cret@", 1) + "/")
	b.waitFor("the statistics rows", `document.querySelectorAll("#stats-body tr").length === 3`)
	b.waitFor("the running state", `document.getElementById("h-state").textContent === "running"`)
	if hidden := b.eval(`document.getElementById("conn").hidden`); hidden != true {
		t.Error("the panel shows the connection as lost")
	}
	b.screenshot("credentials-url")
	b.click("#b-stop")
	b.waitFor("the stopped state", `document.getElementById("h-state").textContent === "stopped"`)
	if f.stops != 1 {
		t.Errorf("%d stops", f.stops)
	}
	if errs := b.problems(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// A script that sets its own load (here shape()) with thresholds: the start
// form shows the plan and the thresholds instead of users and spawn rate,
// starts the test without them, offers no Edit, and the Thresholds tab
// follows the live results; Stop stops it.
func TestShapeAndThresholdsInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("headless browser test skipped in -short mode")
	}
	b := startBrowser(t)
	f := newFake()
	f.fillOnStart = true
	f.info.Plan = web.PlanInfo{Kind: "shape", Title: "The script's shape() sets the users, spawn rate and classes",
		Steps: []string{"asked once a second, with the time since the start; the test ends when it returns null"}}
	f.info.Thresholds = []web.ThresholdInfo{{Name: "Aggregated", Expr: "p(95) < 250"}, {Name: "GET /entries", Expr: "failRate < 0.01", AbortOnFail: true}}
	s, err := web.New(f, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	b.navigate(ts.URL + "/")
	b.waitFor("the start form", `!document.getElementById("start-modal").hidden && document.getElementById("f-plan-title").textContent !== ""`)
	if got := b.eval(`[document.getElementById("f-users-row").hidden, document.getElementById("f-rate-row").hidden,
		document.getElementById("f-classes").hidden, document.getElementById("f-plan-title").textContent,
		[...document.querySelectorAll("#f-threshold-list li")].map(e => e.textContent).join(";")].join("|")`); got !=
		"true|true|true|The script's shape() sets the users, spawn rate and classes|Aggregated: p(95) < 250;GET /entries: failRate < 0.01 (abort)" {
		t.Errorf("start form: %v", got)
	}
	b.screenshot("shape-start")
	b.eval(`document.getElementById("start-form").requestSubmit()`)
	b.waitFor("the form to close", `document.getElementById("start-modal").hidden`)
	if req, n := f.lastStart(); n != 1 || req.Users != 0 {
		t.Errorf("Start(%+v) x%d", req, n)
	}
	b.waitFor("the running state", `document.getElementById("h-state").textContent === "running"`)
	if hidden := b.eval(`document.getElementById("b-edit").hidden && !document.getElementById("b-stop").hidden`); hidden != true {
		t.Error("Edit is offered for a test whose load the script sets (or Stop is not)")
	}

	// Thresholds: one passes, then the live results change.
	f.mu.Lock()
	f.ths = []web.ThresholdResult{
		{ThresholdInfo: f.info.Thresholds[0], Measured: "240ms", Passed: true},
		{ThresholdInfo: f.info.Thresholds[1], Measured: "no data", NoData: true},
	}
	f.mu.Unlock()
	b.waitFor("the Thresholds tab", `!document.getElementById("tab-thresholds").hidden`)
	b.click(`.tabs [data-tab="thresholds"]`)
	b.waitFor("the thresholds", `document.querySelectorAll("#thresholds-body tr").length === 2`)
	if got := b.text("#n-thresholds"); got != "passing" {
		t.Errorf("badge %q with one passing and one without data", got)
	}
	f.mu.Lock()
	f.ths = []web.ThresholdResult{
		{ThresholdInfo: f.info.Thresholds[0], Measured: "260ms"},
		{ThresholdInfo: f.info.Thresholds[1], Measured: "0.0000", Passed: true},
	}
	f.mu.Unlock()
	b.waitFor("the failing threshold", `document.getElementById("n-thresholds").textContent === "1 failing"`)
	if got := b.eval(`[...document.querySelectorAll("#thresholds-body tr")].map(r => [...r.cells].map(c => c.textContent).join(" ")).join("|")`); got !=
		"fail Aggregated p(95) < 250 260ms|pass GET /entries failRate < 0.01 (abort) 0.0000" {
		t.Errorf("thresholds table %q", got)
	}
	b.screenshot("thresholds")

	b.click("#b-stop")
	b.waitFor("the stopped state", `document.getElementById("h-state").textContent === "stopped"`)
	if f.stops != 1 {
		t.Errorf("%d stops", f.stops)
	}
	if errs := b.problems(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}
