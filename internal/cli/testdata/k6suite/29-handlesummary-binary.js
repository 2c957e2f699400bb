// handleSummary may return an ArrayBuffer; it runs after scenarios too,
// and vus_max counts every scenario's users.
// expect: file raw.bin ^k6\x00sum$
// expect: file text.txt ^reqs=4 vus_max=3$
import http from "k6/http";

export const options = {
  scenarios: {
    pool: { executor: "shared-iterations", vus: 2, iterations: 2 },
    each: { executor: "per-vu-iterations", vus: 1, iterations: 2 },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/bytes/16`);
}

export function handleSummary(data) {
  const bytes = new Uint8Array([0x6b, 0x36, 0x00, 0x73, 0x75, 0x6d]);
  return {
    [`${__ENV.OUT_DIR}/raw.bin`]: bytes.buffer,
    [`${__ENV.OUT_DIR}/text.txt`]: `reqs=${data.metrics.http_reqs.values.count} vus_max=${data.metrics.vus_max.values.value}`,
  };
}
