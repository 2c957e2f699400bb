// credentials.js: 1,000 users log in, each with an account of its own from a
// shared CSV file, each account used exactly once in the whole run (also in
// a distributed run: the master hands the accounts out to every worker).
//
//   (cd demo && go build -o ../bin/example_server ./golang) && bin/example_server &
//   jsload run scripts/credentials.js --headless -u 1000 -r 200 -t 30s
//   # distributed: the same, with --master --expect-workers 2, and twice
//   #   jsload run --worker            (workers need no copy of the files)

import { HttpUser, task, constant, csv, queue, counter } from "jsload";

// data/users.csv is "username,password" with 1,000 rows. csv() reads it at
// load time, relative to this script, and parses it once per process: every
// user sees the same read-only rows (types: false keeps every field a
// string, so that a password like "1234" stays text).
const accounts = csv("data/users.csv", { types: false });

// A queue hands out each row once. onEmpty says what take() does when every
// account is taken: "stop" stops the user that asked (the 1,001st user
// would stop at once), "wait" waits until an account is put back, "recycle"
// starts over from the first row.
const credentials = queue("credentials", accounts, { onEmpty: "stop" });

// A counter shared by every user (and every worker).
const loggedIn = counter("logged-in");

export const options = { host: "http://localhost:8080" };

export class Member extends HttpUser {
  waitTime = constant(1);

  onStart() {
    this.account = credentials.take();
    const res = this.client.post("/login", {
      json: { username: this.account.username, password: this.account.password },
    });
    if (res.ok) loggedIn.add();
  }

  @task profile() {
    this.client.get("/profile");
  }
}
