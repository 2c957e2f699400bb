// A small RESP (Redis protocol) client written over jsload/tcp: PING, SET
// and GET. Each command is one TCP exchange, named after the command.
import { task, between, check } from "jsload";
import tcp from "jsload/tcp";

export const options = { waitTime: between(0.5, 1) };

function utf8Length(s) {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

class Redis {
  constructor(address) {
    this.conn = tcp.connect(address, { name: "redis", timeout: 5 });
  }
  // command sends an array of bulk strings and returns the reply; undefined
  // when the exchange failed (the failure is recorded).
  command(...args) {
    let out = `*${args.length}\r\n`;
    for (const a of args.map(String)) out += `$${utf8Length(a)}\r\n${a}\r\n`;
    if (!this.conn.write(out, { name: args[0] })) return undefined;
    return this.reply();
  }
  reply() {
    const line = this.conn.readUntil("\r\n");
    if (line === null) return undefined;
    const body = line.slice(1, -2);
    switch (line[0]) {
      case "+": return body;
      case "-": throw new Error(`redis: ${body}`);
      case ":": return Number(body);
      case "$": {
        if (Number(body) < 0) return null;
        const data = this.conn.read(Number(body) + 2);
        return data === null ? undefined : data.slice(0, -2);
      }
      case "*": {
        const items = [];
        for (let i = 0; i < Number(body); i++) items.push(this.reply());
        return items;
      }
    }
    throw new Error(`redis: unexpected reply ${JSON.stringify(line)}`);
  }
}

let redis; // one connection per user, held across its tasks

export function onStart() {
  redis = new Redis(__ENV.REDIS_ADDR || "127.0.0.1:6379");
}

export const ping = task(() => {
  check(redis.command("PING"), { "PING answers PONG": (r) => r === "PONG" });
});

export const setAndGet = task(2, () => {
  const key = `user:${__VU}`;
  redis.command("SET", key, `visit ${__ITER}`);
  check(redis.command("GET", key), { "GET returns what SET stored": (v) => v === `visit ${__ITER}` });
});

export function onStop() {
  redis.conn.close();
}
