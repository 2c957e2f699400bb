// A script of scenarios only needs the functions its scenarios exec: no
// default function. Both scenarios start at once, with their own VUs.
// expect: row GET reads 6 0
// expect: row POST writes 2 0
// expect: served /ok 6
// expect: served /echo 2
// expect: check "own VU ids" 8 0
// expect: check "options as exported" 2 0
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    reads: { executor: "per-vu-iterations", exec: "read", vus: 2, iterations: 3 },
    writes: { executor: "shared-iterations", exec: "write", vus: 1, iterations: 2 },
  },
};

export function read() {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "reads" } });
  check(exec.vu, { "own VU ids": (v) => v.idInTest >= 1 && v.idInTest <= 3 });
}

export function write() {
  http.post(`${__ENV.BASE_URL}/echo`, "w", { tags: { name: "writes" } });
  check(exec.test.options, { "options as exported": (o) => o.scenarios.reads.executor === "per-vu-iterations" && o.scenarios.writes.iterations === 2 });
  check(exec.vu, { "own VU ids": (v) => v.idInTest >= 1 && v.idInTest <= 3 });
}
