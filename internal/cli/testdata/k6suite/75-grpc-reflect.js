// k6/net/grpc: connect with { reflect: true } (no .proto loaded), an
// asyncInvoke awaited in an async default function, and a deadline.
// expect: row gRPC /test.v1.Echo/Say 3 0
// expect: row gRPC slow 3 3
// expect: exit 1
// expect: check "reflected and answered" 3 0
// expect: check "deadline exceeded" 3 0
import grpc from "k6/net/grpc";
import { check } from "k6";

const client = new grpc.Client();

export const options = { vus: 1, iterations: 3 };

export default async function () {
  if (__ITER === 0) {
    client.connect(__ENV.GRPC_ADDR, { plaintext: true, reflect: true });
  }
  const res = await client.asyncInvoke("test.v1.Echo/Say", { text: "reflected" });
  check(res, { "reflected and answered": (r) => r.status === grpc.StatusOK && r.message.text === "reflected" });
  const slow = client.invoke("test.v1.Echo/Say", { text: "slow" }, { timeout: "50ms", tags: { name: "slow" } });
  check(slow, { "deadline exceeded": (r) => r.status === grpc.StatusDeadlineExceeded });
}
