package httpc

import (
	"bufio"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// probeConn records, at each read the client makes, which of its
// connection's buffers it holds (the reads run in the client's goroutine).
type probeConn struct {
	net.Conn
	cn    *http1Conn
	reads []string
}

func (p *probeConn) Read(b []byte) (int, error) {
	held := ""
	if p.cn.br != nil {
		held += "r"
	}
	if p.cn.bw != nil {
		held += "w"
	}
	p.reads = append(p.reads, held)
	return p.Conn.Read(b)
}

// scriptedServer answers each request on a connection with the next of
// answers (raw bytes, written at once); after the last it closes the
// connection. It counts the connections it accepted.
func scriptedServer(t *testing.T, answers ...string) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for _, a := range answers {
					for { // the request's head (the tests send no body)
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						if line == "\r\n" {
							break
						}
					}
					if _, err := c.Write([]byte(a)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/", &accepted
}

// probed puts a connection to rawURL's server, probed, in c's idle list,
// as if a request had left it there.
func probed(t *testing.T, c *Client, rawURL string) *probeConn {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	p := &probeConn{Conn: nc}
	p.cn = &http1Conn{nc: p, key: connKey(u)}
	c.h1.put(p.cn)
	return p
}

// TestConnectionBuffers: a connection borrows its read and write buffers
// only for an exchange (the write buffer only until the request is sent),
// so that an idle keep-alive connection holds none; what a server does
// wrong still has the same outcome as before the buffers were lent.
func TestConnectionBuffers(t *testing.T) {
	ctx := testCtx(t)
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	idle := func(c *Client) []*http1Conn {
		c.h1.mu.Lock()
		defer c.h1.mu.Unlock()
		return append([]*http1Conn(nil), c.h1.idle...)
	}

	t.Run("an idle connection holds no buffer", func(t *testing.T) {
		srvURL, accepted := scriptedServer(t, ok, ok)
		c := New(Options{})
		defer c.CloseIdle()
		p := probed(t, c, srvURL)
		for i := 0; i < 2; i++ {
			resp := c.Do(ctx, &Request{URL: srvURL})
			if resp.Err != nil || string(resp.Body) != "ok" {
				t.Fatalf("request %d: status %d, err %v", i, resp.Status, resp.Err)
			}
			l := idle(c)
			if len(l) != 1 || l[0] != p.cn {
				t.Fatalf("request %d: idle connections %v, want the probed one", i, l)
			}
			if p.cn.br != nil || p.cn.bw != nil {
				t.Errorf("request %d: the idle connection holds buffers (reader %v, writer %v)", i, p.cn.br != nil, p.cn.bw != nil)
			}
		}
		if len(p.reads) == 0 {
			t.Fatal("the probed connection was not read")
		}
		for i, h := range p.reads {
			if h != "r" {
				t.Errorf("read %d: the client held %q, want only the read buffer (r)", i, h)
			}
		}
		if n := accepted.Load(); n != 1 {
			t.Errorf("%d connections, want the probed one only", n)
		}
	})

	t.Run("bytes after the response close the connection", func(t *testing.T) {
		srvURL, accepted := scriptedServer(t, ok+"HTTP/1.1 200 OK\r\n", ok)
		c := New(Options{})
		defer c.CloseIdle()
		p := probed(t, c, srvURL)
		resp := c.Do(ctx, &Request{URL: srvURL})
		if resp.Err != nil || string(resp.Body) != "ok" {
			t.Fatalf("status %d, err %v", resp.Status, resp.Err)
		}
		if l := idle(c); len(l) != 0 {
			t.Errorf("a connection with unread bytes was kept: %d idle", len(l))
		}
		if p.cn.br != nil || p.cn.bw != nil {
			t.Error("the closed connection kept its buffers")
		}
		resp = c.Do(ctx, &Request{URL: srvURL})
		if resp.Err != nil || string(resp.Body) != "ok" {
			t.Fatalf("second request: status %d, err %v", resp.Status, resp.Err)
		}
		if n := accepted.Load(); n != 2 {
			t.Errorf("%d connections, want 2 (the second request on a new one)", n)
		}
	})

	t.Run("headers that fill the read buffer, and more", func(t *testing.T) {
		for _, size := range []int{4096 - 100, 4096 - 40, 3 * 4096} {
			pad := "X-Pad: " + strings.Repeat("p", size) + "\r\n"
			big := "HTTP/1.1 200 OK\r\n" + pad + "Content-Length: 2\r\n\r\nok"
			srvURL, _ := scriptedServer(t, big, big)
			c := New(Options{})
			p := probed(t, c, srvURL)
			for i := 0; i < 2; i++ {
				resp := c.Do(ctx, &Request{URL: srvURL})
				if resp.Err != nil || string(resp.Body) != "ok" || len(resp.Header.Get("X-Pad")) != size {
					t.Fatalf("header of %d bytes, request %d: status %d, err %v, X-Pad of %d bytes", size, i, resp.Status, resp.Err, len(resp.Header.Get("X-Pad")))
				}
			}
			if l := idle(c); len(l) != 1 || l[0] != p.cn || p.cn.br != nil || p.cn.bw != nil {
				t.Errorf("header of %d bytes: the connection is not idle without buffers", size)
			}
			c.CloseIdle()
		}
	})

	t.Run("a response cut off", func(t *testing.T) {
		srvURL, accepted := scriptedServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
		c := New(Options{})
		defer c.CloseIdle()
		p := probed(t, c, srvURL)
		resp := c.Do(ctx, &Request{URL: srvURL})
		if resp.Err == nil || resp.ErrText != "server closed connection (unexpected EOF)" {
			t.Fatalf("status %d, err %v, ErrText %q", resp.Status, resp.Err, resp.ErrText)
		}
		if l := idle(c); len(l) != 0 {
			t.Errorf("the broken connection was kept: %d idle", len(l))
		}
		if p.cn.br != nil || p.cn.bw != nil {
			t.Error("the broken connection kept its buffers")
		}
		if n := accepted.Load(); n != 1 {
			t.Errorf("%d connections, want 1 (no retry once a response began)", n)
		}
	})
}
