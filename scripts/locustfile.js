// locustfile.js: the jsload demo script. Start here.
//
// A jsload script is an ordinary JavaScript (ES module) file. jsload starts
// many "virtual users" (VUs); each one runs onStart() once, then loops:
// pick one of the exported tasks at random (weighted), run it, wait
// (options.waitTime), repeat, until the test ends. Every HTTP request is timed
// and shows up in the statistics as one row per (method, name).
//
// Try it against the demo server (demo/golang/example_server.go):
//
//   scripts/demo.sh                       # builds everything, runs 20 s headless
//
// or by hand:
//
//   cd demo && go build -o example_server ./golang && ./example_server &
//   jsload run scripts/locustfile.js --headless -u 10 -r 5 -t 30s
//
// -u is the number of users, -r how many users start per second, -t how long
// the test runs.

// Everything jsload provides comes from the "jsload" module.
import { task, between, http } from "jsload";

// Other files are imported with relative paths, like any ES module.
// RegistryClient shows how to load test something that is not plain
// recorded HTTP; see lib/registry.js.
import { RegistryClient, GrpcRegistryClient } from "./lib/registry.js";

// ---------------------------------------------------------------------------
// Options

export const options = {
  // Base URL for relative URLs like "/login". --host on the command line
  // overrides it.
  host: "http://localhost:8080",

  // After each task a user waits a random 0.5 to 2 seconds, like a person
  // reading a page. Other choices: constant(s), constantPacing(s) (start a
  // task every s seconds), constantThroughput(n) (n tasks per second).
  waitTime: between(0.5, 2),

  // users, spawnRate and runTime can be set here too (the same as the -u, -r
  // and -t flags).
};

// ---------------------------------------------------------------------------
// Per-user setup

// onStart runs once for every user, before its first task. Each user logs in
// with its own name; __VU is the user's number (1, 2, 3, ...). The server
// answers with a "session" cookie, which the user's HTTP client keeps and
// sends with every later request, as a browser would.
//
// (There is also onStop(), run once when a user stops; this demo needs none.)
export function onStart() {
  http.post("/login", { form: { user: `user${__VU}` } });
}

// ---------------------------------------------------------------------------
// Tasks
//
// Every export made with task() is a task. The optional first argument is the
// weight: a task of weight 5 is picked five times as often as one of weight 1.
// The weights here add up to 2 + 3 + 5 + 1 + 2 + 2 = 15, so "profile" is
// about 5/15 of all tasks.

const NAMES = ["ada", "grace", "edsger", "barbara", "ken", "radia"];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

// Slow write (the server takes 200-400 ms). `json` sends the object as a JSON
// body with Content-Type: application/json.
export const createUser = task(2, () => {
  http.post("/api/users", { json: { name: pick(NAMES) } });
});

// Slow, variable read (100-600 ms): compare its median and its 95th/99th
// percentiles in the results.
export const entries = task(3, () => {
  http.get("/entries");
});

// Fast read (a few ms). A 200 status is not always enough: with
// catchResponse: true the task decides itself whether the request succeeded,
// and res.failure(message) makes it count as a failure with that message.
export const profile = task(5, () => {
  const res = http.get("/profile", { catchResponse: true });
  if (res.status !== 200) {
    res.failure(`unexpected status ${res.status}`);
  } else if (!res.json().loggedIn) {
    res.failure("not logged in: the session cookie from onStart was not sent");
  } else {
    res.success();
  }
});

// A task that always fails: the server has no /shujie, so every request gets a
// 404 and counts as a failure. It is here so the demo's statistics show what
// failures look like (the "Failures" column and the error list). Because of
// it, jsload exits with code 1 after the demo.
export const shujie = task(1, () => {
  http.get("/shujie");
});

// A custom client. RegistryClient makes its own HTTP calls without recording
// them and reports each call as a "coeus registry" sample. When the demo
// server's gRPC registry is given (scripts/demo.sh sets REGISTRY_GRPC and
// REGISTRY_CERTS), GrpcRegistryClient talks gRPC with a client certificate
// instead, and its calls are the "gRPC" rows. One of the names below does not
// exist, so those rows show both successes and failures.
const registry = __ENV.REGISTRY_GRPC
  ? new GrpcRegistryClient(__ENV.REGISTRY_GRPC, __ENV.REGISTRY_CERTS)
  : new RegistryClient("/registry");
const MODELS = ["bert-base", "mobilenet-v3", "resnet-50", "tiny-llama", "whisper-small", "no-such-model"];

export const lookupModel = task(2, () => {
  registry.get(pick(MODELS));

  // Now and then, also register a model and list them all. These calls are
  // reported under the same row.
  if (Math.random() < 0.1) {
    registry.register(`demo-model-${__VU}`, `1.0.${__ITER}`);
    registry.list();
  }
});

// ---------------------------------------------------------------------------
// WebSocket

// jsload/ws is a WebSocket client that records itself (type WS). Each user
// opens one connection on its first chat and keeps it across tasks (it is
// closed when the user stops). conn.request() sends a message and times the
// reply: the "WS /ws" row. "notify 3" asks the demo server for three
// notifications, which the handler receives while conn.wait() runs: the
// "WS recv /ws" row counts them; returning false ends the wait.
import ws from "jsload/ws";

let conn;

export const chat = task(2, () => {
  if (!conn || conn.closed) {
    conn = ws.connect("/ws"); // recorded as "WS connect /ws"
    if (!conn.ok) return; // the failure is recorded; try again next time
  }
  conn.request(`hello from user ${__VU}`);
  let notes = 0;
  conn.on("message", () => ++notes < 3);
  conn.send("notify 3");
  conn.wait(2);
});
