// k6/net/grpc: a Client loads .proto files in the init code, connects in
// the iteration, invokes unary methods with metadata and tags, and closes.
// expect: row gRPC /test.v1.Echo/Say 12 0
// expect: row gRPC say-fail 6 6
// expect: exit 1
// expect: check "status is OK" 6 0
// expect: check "echoed" 6 0
// expect: check "metadata sent" 6 0
// expect: check "NOT_FOUND with its error" 6 0
import grpc from "k6/net/grpc";
import { check } from "k6";

const client = new grpc.Client();
client.load(["protos"], "echo.proto");

export const options = { vus: 2, iterations: 6 };

export default () => {
  client.connect(__ENV.GRPC_ADDR, { plaintext: true, timeout: "5s" });

  const res = client.invoke("test.v1.Echo/Say", { text: "hi" });
  check(res, {
    "status is OK": (r) => r && r.status === grpc.StatusOK,
    "echoed": (r) => r.message.text === "hi" && r.error === null,
  });

  const md = client.invoke("test.v1.Echo/Say", { text: "md" }, { metadata: { "x-user": "ada" }, timeout: 5000 });
  check(md, { "metadata sent": (r) => r.message.text === "ada" });

  const bad = client.invoke("test.v1.Echo/Say", { text: "fail" }, { tags: { name: "say-fail" } });
  check(bad, {
    "NOT_FOUND with its error": (r) =>
      r.status === grpc.StatusNotFound && r.message === null && r.error.message === "no such text" && r.error.code === 5,
  });
  client.close();
};
