// Credentials in the URL are sent as basic auth (and left out of the
// row's name); auth: "digest" answers the server's digest challenge;
// "ntlm" is refused with a message.
// expect: row GET basic 2 0
// expect: row GET basic-param 2 0
// expect: row GET wrong-password 2 2
// expect: exit 1
// expect: row GET digest 2 0
// expect: check "basic auth" 4 0
// expect: check "digest auth" 2 0
// expect: line params.auth "ntlm" is not supported by jsload
// expect: no-line user:secret@
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2 };

const WITH_CREDS = __ENV.BASE_URL.replace("://", "://user:secret@");
const WRONG = __ENV.BASE_URL.replace("://", "://user:wrong@");

export default function () {
  let res = http.get(`${WITH_CREDS}/basic-auth/user/secret`, { tags: { name: "basic" } });
  check(res, { "basic auth": (r) => r.status === 200 && r.json().user === "user" });
  res = http.get(`${WITH_CREDS}/basic-auth/user/secret`, { auth: "basic", tags: { name: "basic-param" } });
  check(res, { "basic auth": (r) => r.status === 200 });
  http.get(`${WRONG}/basic-auth/user/secret`, { tags: { name: "wrong-password" } });
  res = http.get(`${WITH_CREDS}/digest-auth/user/secret`, { auth: "digest", tags: { name: "digest" } });
  check(res, { "digest auth": (r) => r.status === 200 && r.json().authenticated === true });
  if (__ITER === 1) {
    http.get(`${WITH_CREDS}/basic-auth/user/secret`, { auth: "ntlm" });
  }
}
