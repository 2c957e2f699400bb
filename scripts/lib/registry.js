// RegistryClient: a tiny client for the demo server's model registry, written
// the way you would wrap any protocol jsload does not know about (a database
// driver, a gRPC stub, an SDK...).
//
// The idea, as in Locust's "custom client" recipe:
//   1. make the call yourself, without letting jsload record it
//      (here: http.get(url, { record: false }));
//   2. time it and decide whether it succeeded;
//   3. report one sample with events.fire(). It appears in the statistics
//      as its own row, "<type> <name>", here "coeus registry".
//
// The client keeps no per-user state, so one instance can be shared by all
// the tasks of a script.

import { http, events } from "jsload";

export class RegistryClient {
  // base: where the registry lives. A path ("/registry") is resolved against
  // the host given with --host or options.host, like any other relative URL.
  constructor(base = "/registry", { type = "coeus", name = "registry" } = {}) {
    this.base = base.replace(/\/+$/, "");
    this.type = type; // the row's "type" column (an HTTP method for HTTP rows)
    this.name = name; // the row's name
  }

  // list() returns every registered model, or [] on failure.
  list() {
    const res = this._call("GET", "/models");
    return res ? res.json() : [];
  }

  // get(name) returns { name, version, size }, or null when the model does
  // not exist (reported as a failure) or the call failed.
  get(name) {
    const res = this._call("GET", "/models/" + encodeURIComponent(name));
    return res ? res.json() : null;
  }

  // register(name, version) adds or updates a model and returns it, or null
  // on failure.
  register(name, version) {
    const res = this._call("POST", "/models", { json: { name, version } });
    return res ? res.json() : null;
  }

  // _call makes one request, reports it with events.fire() and returns the
  // response when it succeeded, null otherwise. It never throws, so one bad
  // call does not abort the rest of the task.
  _call(method, path, params = {}) {
    const start = Date.now();
    let res = null;
    let exception = null;
    try {
      // record: false keeps this call out of the HTTP rows; we report it
      // ourselves below.
      res = http.request(method, this.base + path, { ...params, record: false });
      if (res.error) {
        exception = res.error; // connection refused, timeout, ...
      } else if (res.status < 200 || res.status >= 300) {
        exception = `${res.status}: ${errorMessage(res)}`;
      }
    } catch (e) {
      exception = String((e && e.message) || e);
    }
    events.fire({
      type: this.type,
      name: this.name,
      responseTime: Date.now() - start, // milliseconds
      // body is a string: its length counts characters, which equals bytes
      // for the server's ASCII JSON.
      responseLength: res && res.body ? res.body.length : 0,
      exception, // null means success; any message means failure
    });
    return exception === null ? res : null;
  }
}

// errorMessage extracts the server's {"error": "..."} message if there is one.
function errorMessage(res) {
  try {
    const body = res.json();
    if (body && typeof body.error === "string") return body.error;
  } catch (_) {
    // not JSON: fall through
  }
  return (res.body || "").slice(0, 100) || "empty response";
}

// GrpcRegistryClient: the same registry over gRPC, as the demo server also
// serves it (demo/golang/registry.proto), with TLS that requires a client
// certificate. The jsload/grpc module records every call itself, as rows of
// type "gRPC" named after the method, e.g. "gRPC
// /registry.v1.ModelRegistry/GetModel"; a status other than OK (NOT_FOUND
// for an unknown model) is a failure with the code and message.
//
// Make it at the script's top level: grpc.load reads the .proto file once,
// before the test starts (and sends it to the workers of a distributed
// run); the connection belongs to the user and closes when it stops.
import grpc from "jsload/grpc";

const METHOD = "registry.v1.ModelRegistry/";

export class GrpcRegistryClient {
  // target: "host:port"; certDir: the folder with ca.pem, client.pem and
  // client-key.pem (the demo server writes them at start).
  constructor(target, certDir) {
    // .proto paths are relative to the entry script (scripts/locustfile.js).
    const protos = grpc.load("registry.proto", { importPaths: ["../demo/golang"] });
    this.conn = grpc.connect(target, {
      protos,
      timeout: "5s",
      tls: { cert: `${certDir}/client.pem`, key: `${certDir}/client-key.pem`, ca: `${certDir}/ca.pem` },
    });
  }

  list() {
    const res = this.conn.serverStream(METHOD + "ListModels", {});
    return res.ok ? res.messages : [];
  }

  get(name) {
    const res = this.conn.invoke(METHOD + "GetModel", { name });
    return res.ok ? res.message : null;
  }

  register(name, version) {
    const res = this.conn.invoke(METHOD + "RegisterModel", { name, version });
    return res.ok ? res.message : null;
  }
}
