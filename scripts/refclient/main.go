//go:build linux

// Command refclient is the reference of scripts/bench's users10k and
// users18k scenarios: a plain Go HTTP/1.1 client, no JavaScript, that
// runs their users the way jsload runs them (one connection per user,
// GET / in a loop with Locust's constant wait or constant pacing) and
// measures them the same way (a response ends when the kernel received
// its last bytes). What it gets is what the machine and the target allow
// without jsload's own work, as wrk is for the throughput scenario.
//
//	refclient -users 10000 -wait 1s -duration 15s http://127.0.0.1:8080/
//	refclient -users 18000 -spawn-rate 6000 -pacing 1s -duration 30s -from 10s http://127.0.0.1:8080/
//
// It prints one JSON object: users, requests (responses read within the
// duration), failures, first_all_s (when the last user's first response
// was read, from the start of the spawn; -1 when some user never got
// one), rate_from (responses a second from -from to the end) and
// median_ms (of all responses). It only reads responses with a
// Content-Length (the demo server's GET / answers "ok\n") and stops a
// user at its first failure. Linux only (receive stamps).
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type config struct {
	addr, host string
	users      int
	spawnRate  float64       // users started a second; 0: all at once
	wait       time.Duration // after each response (Locust's constant)
	pacing     time.Duration // between request starts (constantPacing); used when > 0
	duration   time.Duration
	from       time.Duration // rate_from counts responses from here on
	iterations int           // requests per user; 0: until the end
}

type result struct {
	Users      int     `json:"users"`
	Requests   int     `json:"requests"`
	Failures   int     `json:"failures"`
	FirstAllS  float64 `json:"first_all_s"`
	RateFrom   float64 `json:"rate_from"`
	MedianMS   float64 `json:"median_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

func main() {
	var c config
	flag.IntVar(&c.users, "users", 100, "users, one connection each")
	flag.Float64Var(&c.spawnRate, "spawn-rate", 0, "users started a second (0: all at once)")
	flag.DurationVar(&c.wait, "wait", time.Second, "wait after each response (Locust's constant)")
	flag.DurationVar(&c.pacing, "pacing", 0, "start a request this often instead (constantPacing)")
	flag.DurationVar(&c.duration, "duration", 15*time.Second, "how long to run")
	flag.DurationVar(&c.from, "from", 0, "count rate_from from this point of the run on")
	flag.IntVar(&c.iterations, "iterations", 0, "requests per user (0: until the end)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: refclient [flags] http://HOST:PORT/")
		os.Exit(2)
	}
	u, err := url.Parse(flag.Arg(0))
	if err != nil || u.Scheme != "http" || u.Host == "" {
		fmt.Fprintf(os.Stderr, "refclient: want an http:// URL with a host, got %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if c.users <= 0 || c.duration <= 0 || c.from >= c.duration {
		fmt.Fprintln(os.Stderr, "refclient: -users and -duration must be above 0, and -from below -duration")
		os.Exit(2)
	}
	c.addr, c.host = u.Host, u.Host
	r := run(c)
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(1)
	}
}

// userResult is what one user measured.
type userResult struct {
	first    time.Duration // its first response, from the start; <0: none
	lats     []time.Duration
	from     int // responses at or after config.from
	failures int
	err      error
}

// run runs c's users and sums up what they measured.
func run(c config) result {
	t0 := time.Now()
	end := t0.Add(c.duration)
	res := make([]userResult, c.users)
	var wg sync.WaitGroup
	for i := range res {
		if c.spawnRate > 0 {
			time.Sleep(time.Until(t0.Add(time.Duration(float64(i) / c.spawnRate * float64(time.Second)))))
		}
		if !time.Now().Before(end) {
			res[i].first = -1
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = user(c, t0, end)
		}()
	}
	wg.Wait()
	out := result{Users: c.users}
	var lats []time.Duration
	var last time.Duration
	for _, r := range res {
		out.Requests += len(r.lats)
		out.Failures += r.failures
		out.RateFrom += float64(r.from)
		lats = append(lats, r.lats...)
		if r.err != nil && out.FirstError == "" {
			out.FirstError = r.err.Error()
		}
		if r.first < 0 || last < 0 {
			last = -1
		} else {
			last = max(last, r.first)
		}
	}
	out.FirstAllS = -1
	if last >= 0 {
		out.FirstAllS = last.Seconds()
	}
	out.RateFrom /= (c.duration - c.from).Seconds()
	if len(lats) > 0 {
		slices.Sort(lats)
		out.MedianMS = float64(lats[len(lats)/2]) / 1e6
	}
	return out
}

// user is one user: it dials, then makes requests until end or its first
// failure.
func user(c config, t0, end time.Time) userResult {
	r := userResult{first: -1}
	d := net.Dialer{Timeout: 10 * time.Second, Control: stampControl}
	nc, err := d.Dial("tcp", c.addr)
	if err != nil {
		r.failures, r.err = 1, err
		return r
	}
	defer nc.Close()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		r.failures, r.err = 1, err
		return r
	}
	req := []byte("GET / HTTP/1.1\r\nHost: " + c.host + "\r\nUser-Agent: refclient\r\n\r\n")
	buf := make([]byte, 4096)
	oob := make([]byte, 64)
	for next := time.Now(); next.Before(end) && (c.iterations <= 0 || len(r.lats) < c.iterations); {
		time.Sleep(time.Until(next))
		start := time.Now()
		if _, err := nc.Write(req); err != nil {
			r.failures, r.err = 1, err
			return r
		}
		rx, err := readResponse(rc, buf, oob)
		done := time.Now()
		if err != nil {
			r.failures, r.err = 1, err
			return r
		}
		if !done.Before(end) {
			break
		}
		if rx.IsZero() || rx.After(done) || rx.Before(start) {
			rx = done
		}
		r.lats = append(r.lats, rx.Sub(start))
		if r.first < 0 {
			r.first = done.Sub(t0)
		}
		if done.Sub(t0) >= c.from {
			r.from++
		}
		next = c.nextStart(next, done)
	}
	return r
}

// nextStart is when a user's next request is due, the last one having
// been due at due and done at done. A constant wait counts from done. A
// constant pacing, as Locust's constant_pacing (and jsload), counts from
// when the last request was due, so that a late wake-up is caught up,
// and starts at once when the last one ended later than that.
func (c config) nextStart(due, done time.Time) time.Time {
	if c.pacing <= 0 {
		return done.Add(c.wait)
	}
	if next := due.Add(c.pacing); next.After(done) {
		return next
	}
	return done
}

// stampControl asks the kernel for the receive time of what each read
// returns (SO_TIMESTAMPNS), as jsload's client does.
func stampControl(_, _ string, rc syscall.RawConn) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); cerr != nil {
		return cerr
	}
	return err
}

// readResponse reads one response with a Content-Length from rc and
// returns the kernel's receive time of its last bytes (zero if none was
// given).
func readResponse(rc syscall.RawConn, buf, oob []byte) (time.Time, error) {
	have := 0
	want := -1 // header + body length, once the header is complete
	var rx time.Time
	for want < 0 || have < want {
		if have == len(buf) {
			return rx, errors.New("response longer than the read buffer")
		}
		var n, oobn int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf[have:], oob, 0)
			return rerr != unix.EAGAIN
		}); err != nil {
			return rx, err
		}
		if rerr != nil {
			return rx, rerr
		}
		if n == 0 {
			return rx, errors.New("connection closed before the response ended")
		}
		have += n
		if t, ok := rxTime(oob[:oobn]); ok {
			rx = t
		}
		if want < 0 {
			var err error
			if want, err = responseLength(buf[:have]); err != nil {
				return rx, err
			}
		}
	}
	if have > want {
		return rx, errors.New("more bytes than one response")
	}
	return rx, nil
}

// responseLength is the length of the response that p begins with (its
// header and its Content-Length body), -1 while the header is incomplete.
func responseLength(p []byte) (int, error) {
	head, _, ok := bytes.Cut(p, []byte("\r\n\r\n"))
	if !ok {
		return -1, nil
	}
	status, fields, _ := bytes.Cut(head, []byte("\r\n"))
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return 0, fmt.Errorf("status line %q, want HTTP/1.1 200", status)
	}
	for len(fields) > 0 {
		var line []byte
		line, fields, _ = bytes.Cut(fields, []byte("\r\n"))
		name, value, _ := bytes.Cut(line, []byte(":"))
		if bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
			return len(head) + 4 + n, nil
		}
	}
	return 0, errors.New("response without a Content-Length")
}

// rxTime is the receive time in a read's control messages.
func rxTime(oob []byte) (time.Time, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return time.Unix(sec, nsec), true
		}
	}
	return time.Time{}, false
}
