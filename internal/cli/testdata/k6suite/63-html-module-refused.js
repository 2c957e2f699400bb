// k6/html is not served: the import is a load error at its position that
// says what to use instead, and the test does not start.
// expect: exit 2
// expect: line 63-html-module-refused\.js:7:27: module "k6/html" is not supported by jsload: HTML parsing
// expect: no-line did you mean
// expect: served /ok 0
import { parseHTML } from "k6/html";
import http from "k6/http";

export default function () {
  const doc = parseHTML(http.get(`${__ENV.BASE_URL}/ok`).body);
  doc.find("a");
}
