package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestWebSocketEchoAndNotifications(t *testing.T) {
	ts := newTestServer(t, 0)
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, m := range []struct {
		typ  int
		data string
	}{{websocket.TextMessage, "hello"}, {websocket.BinaryMessage, "\x00\x01"}} {
		if err := c.WriteMessage(m.typ, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
		typ, b, err := c.ReadMessage()
		if err != nil || typ != m.typ || string(b) != m.data {
			t.Fatalf("echo of %q = %d %q %v", m.data, typ, b, err)
		}
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("notify 3")); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		_, b, err := c.ReadMessage()
		if want := `{"type":"notification","n":` + string(rune('0'+i)) + `}`; err != nil || string(b) != want {
			t.Fatalf("notification %d = %q %v, want %q", i, b, err, want)
		}
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("notify 1000")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.ReadMessage(); err != nil || !strings.Contains(string(b), "notify takes a count from 1 to 100") {
		t.Fatalf("bad notify = %q %v", b, err)
	}
	// A plain GET is not an upgrade.
	res, err := ts.Client().Get(ts.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("GET /ws without an upgrade = %d", res.StatusCode)
	}
}
