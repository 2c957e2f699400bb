#!/usr/bin/env bash
# demo.sh: build jsload and the demo server, start the server, and run the
# demo script (scripts/locustfile.js) against it for 20 seconds, headless.
#
#   scripts/demo.sh                 # from anywhere; needs only Go and bash
#   scripts/demo.sh -u 50 -t 1m     # extra arguments go to `jsload run` and
#                                   # override the defaults (-u 10 -r 5 -t 20s)
#
# Environment:
#   DEMO_ADDR           address to try first for the server (default 127.0.0.1:8080);
#                       if it is busy, a free port is used instead
#   DEMO_LATENCY_SCALE  multiply the server's artificial delays (default 1)
#
# The exit code is jsload's. The demo script has a task that always fails
# (GET /shujie), so it is normally 1.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

addr_first=${DEMO_ADDR:-127.0.0.1:8080}
latency_scale=${DEMO_LATENCY_SCALE:-1}

say() { printf '==> %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
	echo "demo.sh: Go is not installed (or not on PATH); see https://go.dev/doc/install" >&2
	exit 1
fi

mkdir -p bin
say "building bin/jsload"
go build -o bin/jsload ./cmd/jsload
say "building bin/example_server"
(cd demo && go build -o ../bin/example_server ./golang)

workdir=$(mktemp -d "${TMPDIR:-/tmp}/jsload-demo.XXXXXX")
server_pid=""

cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server ADDR: start the server in the background and wait for its first
# stdout lines, "example_server listening on http://HOST:PORT" and "example_server
# grpc registry on HOST:PORT (...)". On success it sets server_pid, server_url
# and registry_grpc; it fails if the server exits first (for
# example because the port is busy) or says nothing for 10 seconds.
start_server() {
	: >"$workdir/server.out"
	: >"$workdir/server.err"
	bin/example_server -addr "$1" -latency-scale "$latency_scale" -quiet -cert-dir "$workdir/certs" \
		>"$workdir/server.out" 2>"$workdir/server.err" &
	server_pid=$!
	local i line grpc_line
	for ((i = 0; i < 100; i++)); do
		line=$(head -n 1 "$workdir/server.out")
		grpc_line=$(sed -n 2p "$workdir/server.out")
		if [[ $grpc_line =~ grpc\ registry\ on\ ([^[:space:]]+) ]]; then
			registry_grpc=${BASH_REMATCH[1]}
			if [[ $line =~ listening\ on\ (http://[^[:space:]]+) ]]; then
				server_url=${BASH_REMATCH[1]}
				return 0
			fi
		fi
		if ! kill -0 "$server_pid" 2>/dev/null; then
			wait "$server_pid" 2>/dev/null || true
			server_pid=""
			return 1
		fi
		sleep 0.1
	done
	kill -TERM "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
	return 1
}

# ready URL: true once GET URL/ answers 200. Uses bash's /dev/tcp, so it needs
# neither curl nor wget.
ready() (
	hostport=${1#http://}
	host=${hostport%:*}
	port=${hostport##*:}
	host=${host#[}
	host=${host%]}
	exec 3<>"/dev/tcp/$host/$port" || exit 1
	printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$hostport" >&3
	IFS= read -r -t 2 status <&3 || status=""
	[[ $status == *" 200 "* ]]
)

say "starting the demo server"
server_url=""
if ! start_server "$addr_first"; then
	if [[ -s "$workdir/server.err" ]]; then
		sed 's/^/    /' "$workdir/server.err" >&2
	fi
	say "$addr_first is not available; using a free port instead"
	if ! start_server 127.0.0.1:0; then
		echo "demo.sh: the demo server did not start:" >&2
		cat "$workdir/server.err" >&2
		exit 1
	fi
fi

for ((i = 0; ; i++)); do
	if ready "$server_url" 2>/dev/null; then
		break
	fi
	if ((i >= 50)); then
		echo "demo.sh: the demo server at $server_url does not answer" >&2
		exit 1
	fi
	sleep 0.1
done
say "demo server listening on $server_url; gRPC model registry on $registry_grpc (mutual TLS)"
# The demo script's registry client talks gRPC with the certificate the
# server made at start (scripts/lib/registry.js).
export REGISTRY_GRPC=$registry_grpc REGISTRY_CERTS=$workdir/certs

say "bin/jsload run scripts/locustfile.js --host $server_url --headless -u 10 -r 5 -t 20s $*"
rc=0
bin/jsload run scripts/locustfile.js --host "$server_url" --headless -u 10 -r 5 -t 20s "$@" || rc=$?

if ((rc == 1)); then
	echo
	echo "exit code 1: the demo includes a task that always fails (GET /shujie), so failures are expected."
fi
exit "$rc"
