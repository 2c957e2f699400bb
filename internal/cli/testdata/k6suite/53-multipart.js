// http.file in an object body makes a multipart/form-data request: the
// files with their names and types, the other values as fields.
// expect: row POST upload 2 0
// expect: check "multipart content type" 2 0
// expect: check "file part" 2 0
// expect: check "binary file part" 2 0
// expect: check "field part" 2 0
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2 };

const BASE = __ENV.BASE_URL;
const bin = new Uint8Array([104, 105, 33]).buffer; // "hi!"

export default function () {
  const res = http.post(
    `${BASE}/echo`,
    {
      title: "report",
      doc: http.file("hello file", "a.txt", "text/plain"),
      raw: http.file(bin, "b.bin"),
    },
    { tags: { name: "upload" } },
  );
  const echo = res.json();
  check(echo, {
    "multipart content type": (e) => e.headers["Content-Type"].startsWith("multipart/form-data; boundary="),
    "file part": (e) =>
      e.body.includes('name="doc"; filename="a.txt"') && e.body.includes("Content-Type: text/plain") && e.body.includes("hello file"),
    "binary file part": (e) =>
      e.body.includes('filename="b.bin"') && e.body.includes("Content-Type: application/octet-stream") && e.body.includes("hi!"),
    "field part": (e) => e.body.includes('name="title"') && e.body.includes("report"),
  });
}
