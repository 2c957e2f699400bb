// Sub-metrics: thresholds filtered by method, status, group (a request
// in a nested group has the inner group's path only), name,
// scenario and the script's own tags (params.tags), several tags at once.
// expect: exit 4
// expect: threshold PASS http_reqs{method:POST} count==2 2
// expect: threshold PASS http_reqs{status:404} count==2 2
// expect: threshold PASS "http_reqs{group:::api}" count==2 2
// expect: threshold PASS "http_reqs{group:::api::v2}" count==2 2
// expect: threshold PASS http_reqs{name:echo} count==2 2
// expect: threshold PASS http_reqs{scenario:default} count==6 6
// expect: threshold PASS http_reqs{team:blue} count==4 4
// expect: threshold PASS "http_reqs{method:POST,team:blue}" count==2 2
// expect: threshold PASS http_req_failed{status:404} rate==1 1
// expect: threshold FAIL http_req_duration{team:red} "p(95)<0" 
// expect: args --exit-code-on-error 0
import http from "k6/http";
import { group } from "k6";

export const options = {
  iterations: 2,
  thresholds: {
    "http_reqs{method:POST}": ["count==2"],
    "http_reqs{status:404}": ["count==2"],
    "http_reqs{group:::api}": ["count==2"],
    "http_reqs{group:::api::v2}": ["count==2"],
    "http_reqs{name:echo}": ["count==2"],
    "http_reqs{scenario:default}": ["count==6"],
    "http_reqs{team:blue}": ["count==4"],
    "http_reqs{ method: POST, team: 'blue' }": ["count==2"],
    "http_req_failed{status:404}": ["rate==1"],
    "http_req_duration{team:red}": ["p(95)<0"],
  },
};

export default function () {
  group("api", function () {
    http.post(`${__ENV.BASE_URL}/echo`, "hi", { tags: { name: "echo", team: "blue" } });
    group("v2", function () {
      http.get(`${__ENV.BASE_URL}/ok`, { tags: { team: "blue" } });
    });
  });
  http.get(`${__ENV.BASE_URL}/status/404`, { tags: { team: "red" } });
}
