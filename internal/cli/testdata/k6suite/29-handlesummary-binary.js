// handleSummary may return an ArrayBuffer; a remote module other than
// k6-summary is not downloaded (see the unit tests): this one is served.
// expect: file raw.bin ^k6\x00sum$
// expect: file text.txt ^reqs=2$
import http from "k6/http";

export const options = { iterations: 2 };

export default function () {
  http.get(`${__ENV.BASE_URL}/bytes/16`);
}

export function handleSummary(data) {
  const bytes = new Uint8Array([0x6b, 0x36, 0x00, 0x73, 0x75, 0x6d]);
  return {
    [`${__ENV.OUT_DIR}/raw.bin`]: bytes.buffer,
    [`${__ENV.OUT_DIR}/text.txt`]: `reqs=${data.metrics.http_reqs.values.count}`,
  };
}
