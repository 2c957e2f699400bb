// response.json(selector) with k6's GJSON path syntax; json() the whole
// body; a path that matches nothing is undefined.
// expect: check "count" 1 0
// expect: check "nested" 1 0
// expect: check "all ids" 1 0
// expect: check "query" 1 0
// expect: check "missing is undefined" 1 0
// expect: check "whole body" 1 0
import http from "k6/http";
import { check } from "k6";

const BASE = __ENV.BASE_URL;

export default function () {
  const res = http.get(`${BASE}/json`);
  check(res, {
    count: (r) => r.json("items.#") === 2,
    nested: (r) => r.json("items.1.name") === "b",
    "all ids": (r) => JSON.stringify(r.json("items.#.id")) === "[1,2]",
    query: (r) => r.json('items.#(name=="b").id') === 2,
    "missing is undefined": (r) => r.json("nothing.here") === undefined,
    "whole body": (r) => r.json().total === 2,
  });
}
