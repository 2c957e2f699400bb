package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The demo's WebSocket endpoint, GET /ws: it echoes every message (text or
// binary) after a short delay (1-5 ms times the latency scale), and answers
// the text message "notify N" (1 <= N <= 100) with N notifications, JSON
// text messages {"type":"notification","n":1..N}. Messages are limited to
// 64 KiB.

const wsMaxMessage = 64 << 10

var wsUpgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferPool: &sync.Pool{}, // write buffers are lent only while writing
	// The demo accepts connections from any origin, as an API would.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *server) handleWS(w http.ResponseWriter, r *http.Request) {
	c, err := wsUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered with the error
	}
	defer c.Close()
	c.SetReadLimit(wsMaxMessage)
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.TextMessage {
			if n, ok := strings.CutPrefix(string(msg), "notify "); ok {
				count, err := strconv.Atoi(n)
				if err != nil || count < 1 || count > 100 {
					_ = c.WriteMessage(websocket.TextMessage, []byte(`{"type":"error","error":"notify takes a count from 1 to 100"}`))
					continue
				}
				for i := 1; i <= count; i++ {
					if !s.delay(r, uniform(time.Millisecond, 5*time.Millisecond)) {
						return
					}
					if c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"type":"notification","n":%d}`, i))) != nil {
						return
					}
				}
				continue
			}
		}
		if !s.delay(r, uniform(time.Millisecond, 5*time.Millisecond)) {
			return
		}
		if c.WriteMessage(typ, msg) != nil {
			return
		}
	}
}
