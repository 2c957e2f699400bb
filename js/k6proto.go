package js

import "github.com/dop251/goja"

// k6's protocol modules and timers: k6/ws (k6ws.go), k6/websockets
// (k6websockets.go), k6/net/grpc (k6grpc.go) and k6/timers (k6loop.go).

// k6ProtoModules adds the modules' exports to mods (for the import check).
func k6ProtoModules(mods map[string][]string) {
	mods["k6/ws"] = []string{"connect"}
	mods["k6/websockets"] = []string{"WebSocket"}
	for _, e := range k6TimersTable {
		mods["k6/timers"] = append(mods["k6/timers"], e.name)
	}
	mods["k6/net/grpc"] = k6GRPCExports()
}

// k6ProtoRequire is require(name) of one of the modules.
func (vu *VU) k6ProtoRequire(name string) goja.Value {
	switch name {
	case "k6/ws":
		return vu.k6WSModule()
	case "k6/websockets":
		o := vu.rt.NewObject()
		must(o.Set("WebSocket", vu.k6WebSocketCtor()))
		return o
	case "k6/timers":
		return vu.newLazy(k6TimersTable)
	case "k6/net/grpc":
		return vu.k6GRPCModule()
	}
	return nil
}
