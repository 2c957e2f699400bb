package httpc

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestFusedWriteSocketFull sends a request on a kept-alive connection
// whose socket buffers are full because the server stopped reading: the
// request cannot go out from inside the read (the fused write
// fails with EAGAIN), so the rest of it is written the usual way once the
// server reads again, and the response is read. A second request on a
// connection the server never drains times out, as a stalled write does.
func TestFusedWriteSocketFull(t *testing.T) {
	for _, drain := range []bool{true, false} {
		name := "server reads again"
		if !drain {
			name = "server never reads"
		}
		t.Run(name, func(t *testing.T) {
			// Small buffers (no autotuning) so that they stay full.
			lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
				var serr error
				err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
				return errors.Join(err, serr)
			}}
			ln, err := lc.Listen(testCtx(t), "tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			release := make(chan struct{})
			got := make(chan string, 1)
			go func() {
				sc, err := ln.Accept()
				if err != nil {
					return
				}
				defer sc.Close()
				select {
				case <-release:
				case <-time.After(10 * time.Second):
					return
				}
				// Skip the filler, then take the request's head.
				br := bufio.NewReader(sc)
				for {
					_, err := br.ReadSlice('G')
					if err == nil {
						break
					}
					if err != bufio.ErrBufferFull {
						return
					}
				}
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "ET /full ") {
						got <- "G" + strings.TrimRight(line, "\r\n")
						break
					}
				}
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(sc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}()

			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if err := nc.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
				t.Fatal(err)
			}
			// Fill the socket buffers: write until a write stalls.
			filler := bytes.Repeat([]byte("x"), 512)
			for total := 0; ; total += len(filler) {
				if total > 64<<20 {
					t.Fatal("64 MB written and no write stalled")
				}
				nc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
				if _, err := nc.Write(filler); err != nil {
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						t.Fatal(err)
					}
					break
				}
			}
			c := New(Options{})
			defer c.CloseIdle()
			u := mustURL(t, "http://"+ln.Addr().String()+"/full")
			c.h1.put(&http1Conn{nc: nc, key: connKey(u)})
			if drain {
				time.AfterFunc(100*time.Millisecond, func() { close(release) })
			} else {
				defer close(release)
			}
			tr := &Trace{}
			start := time.Now()
			resp := c.Do(testCtx(t), &Request{URL: u.String(), Timeout: 2 * time.Second, Trace: tr})
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("took %v", el)
			}
			if !drain {
				if resp.Err == nil || resp.ErrText != "timeout after 2s" {
					t.Fatalf("status %d, Err %v (%q), want a timeout", resp.Status, resp.Err, resp.ErrText)
				}
				return
			}
			if resp.Err != nil || resp.Status != 200 || string(resp.Body) != "ok" {
				t.Fatalf("status %d body %q Err %v", resp.Status, resp.Body, resp.Err)
			}
			if line := <-got; line != "GET /full HTTP/1.1" {
				t.Errorf("server read %q", line)
			}
			if !tr.Reused || tr.Sending <= 0 {
				t.Errorf("trace: Reused %v, Sending %v; want a reused connection and the time the write waited", tr.Reused, tr.Sending)
			}
		})
	}
}

// TestFuseKeepsWriteBufferUntilWritten checks that the write buffer,
// which holds a fused request until the read writes it, goes back to the
// pool only then (another connection could reuse it and overwrite the
// request), and that the request arrives whole.
func TestFuseKeepsWriteBufferUntilWritten(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		sc, err := ln.Accept()
		if err != nil {
			return
		}
		defer sc.Close()
		sc.SetDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(sc).ReadString('\n')
		got <- line
		io.WriteString(sc, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	cn := &http1Conn{nc: nc}
	cn.attach()
	defer cn.detach()
	cn.in.setBudget(unlimited)
	cn.bw.WriteString("GET /whole HTTP/1.1\r\nHost: x\r\n\r\n")
	if !cn.canFuse() {
		t.Fatal("a plain TCP connection with its request buffered cannot fuse")
	}
	cn.fuse(nil)
	if cn.bw == nil {
		t.Fatal("the write buffer went back to the pool before the request was written")
	}
	cn.lendReader()
	if _, err := cn.br.Peek(1); err != nil {
		t.Fatal(err)
	}
	if cn.bw != nil {
		t.Error("the write buffer is still held after the request was written")
	}
	if line := <-got; line != "GET /whole HTTP/1.1\r\n" {
		t.Errorf("server read %q", line)
	}
}

// While a fused exchange waits for its response, its connection holds
// neither buffer: the request is written (the write buffer went back) and
// the read buffer is lent only once the socket is readable. The response
// is then read whole, and the connection goes back idle with no buffer.
func TestAwaitResponseHoldsNoBuffer(t *testing.T) {
	srvURL, _ := scriptedServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	var waits []string
	testAwaiting = func(c *http1Conn) {
		held := ""
		if c.br != nil {
			held += "r"
		}
		if c.bw != nil {
			held += "w"
		}
		waits = append(waits, held)
	}
	defer func() { testAwaiting = nil }()
	c := New(Options{})
	defer c.CloseIdle()
	for i := 0; i < 2; i++ {
		resp := c.Do(testCtx(t), &Request{URL: srvURL})
		if resp.Err != nil || string(resp.Body) != "ok" {
			t.Fatalf("request %d: status %d, err %v", i, resp.Status, resp.Err)
		}
	}
	if len(waits) != 2 {
		t.Fatalf("%d fused waits for 2 requests, want 2", len(waits))
	}
	for i, h := range waits {
		if h != "" {
			t.Errorf("request %d waited for its response holding %q, want no buffer", i, h)
		}
	}
}

func TestArrival(t *testing.T) {
	now := time.Now()
	ns := now.UnixNano()
	cases := []struct {
		name string
		rx   int64
		want time.Time
	}{
		{"unknown", 0, time.Time{}},
		{"3 ms before now", ns - 3e6, now.Add(-3 * time.Millisecond)},
		{"in the future (the clock moved back)", ns + 1e6, time.Time{}},
		{"before the request (the clock moved on)", ns - 2e9, time.Time{}},
	}
	for _, c := range cases {
		if got := arrival(c.rx, now, time.Second); !got.Equal(c.want) {
			t.Errorf("%s: arrival = %v, want %v", c.name, got, c.want)
		}
	}
}

// A response that arrived while the client was busy elsewhere ends when
// the kernel received it, not when the client got to read it: the client
// reads 30 ms after the server wrote the whole response (and said so),
// and the response's end and duration leave those 30 ms out.
func TestResponseEndsOnArrival(t *testing.T) {
	if raceBuild {
		t.Skip("with the race detector, reads learn no receive time (rawio_race_linux.go); scripts/test runs this package without it too")
	}
	rxStampsOn(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	written := make(chan time.Time, 1)
	go func() {
		sc, err := ln.Accept()
		if err != nil {
			return
		}
		defer sc.Close()
		br := bufio.NewReader(sc)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		io.WriteString(sc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		written <- time.Now()
		io.Copy(io.Discard, sc)
	}()
	var sentAt, readAt time.Time
	testBeforeRecv = func() {
		if readAt.IsZero() {
			sentAt = <-written
			time.Sleep(30 * time.Millisecond)
			readAt = time.Now()
		}
	}
	defer func() { testBeforeRecv = nil }()
	c := New(Options{})
	resp := c.Do(testCtx(t), &Request{URL: "http://" + ln.Addr().String() + "/"})
	if resp.Err != nil || string(resp.Body) != "ok" {
		t.Fatalf("response: %d %q %v", resp.Status, resp.Body, resp.Err)
	}
	if readAt.IsZero() {
		t.Fatal("the response was not read by a fused read")
	}
	if !resp.End.Before(readAt) || resp.End.After(sentAt.Add(10*time.Millisecond)) {
		t.Errorf("response ended %v after the server wrote it, the client read it %v after; want its arrival, before the read", resp.End.Sub(sentAt), readAt.Sub(sentAt))
	}
	if resp.Timings.Duration <= 0 || resp.Timings.Waiting > resp.Timings.Duration || resp.Timings.Receiving < 0 {
		t.Errorf("timings %+v", resp.Timings)
	}
}

// rxStampsOn returns once the kernel stamps the packets it receives: the
// first socket that asks turns stamping on a moment later (a deferred
// static key), and packets received meanwhile carry no stamp. The socket
// that asks here is opened when the test binary starts (init) and stays
// open until it exits: when the last socket asking closes (a client of an
// earlier test), the kernel turns stamping off a moment later, and a test
// that had just found it on could miss its stamp (TestResponseEndsOnArrival
// did, in one run of the package in four, after a test whose client
// closed just before).
func rxStampsOn(t *testing.T) {
	t.Helper()
	s := &stamper
	s.once.Do(openStamper)
	if s.err != nil {
		t.Fatal(s.err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var fu fused
	fu.rp = make([]byte, 16)
	for deadline := time.Now().Add(5 * time.Second); ; {
		s.out.Write([]byte("x"))
		var rerr error
		s.raw.Read(func(fd uintptr) bool {
			_, e := rawRecv(fd, &fu)
			if e == syscall.EAGAIN {
				return false
			}
			if e != 0 {
				rerr = e
			}
			return true
		})
		if rerr != nil {
			t.Fatal(rerr)
		}
		if fu.rx != 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Skip("the kernel gives no receive stamps")
		}
		time.Sleep(time.Millisecond)
	}
}

// stamper is rxStampsOn's socket pair, made once.
var stamper struct {
	once    sync.Once
	mu      sync.Mutex
	out, in net.Conn
	raw     syscall.RawConn
	err     error
}

func init() { stamper.once.Do(openStamper) }

// openStamper makes stamper's socket pair, whose receiving end asks for
// receive stamps; it is never closed.
func openStamper() {
	s := &stamper
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.err = err
		return
	}
	defer ln.Close()
	if s.out, err = net.Dial("tcp", ln.Addr().String()); err != nil {
		s.err = err
		return
	}
	in, err := ln.Accept()
	if err != nil {
		s.err = err
		return
	}
	if s.raw, err = in.(*net.TCPConn).SyscallConn(); err != nil {
		s.err = err
		return
	}
	s.raw.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1) })
	s.in = in
}
