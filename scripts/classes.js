// classes.js: the demo in class style, for readers who know Locust.
//
// Instead of exporting tasks, export one or more user classes. jsload splits
// the users between the classes by their static weight (or gives a class an
// exact number of users with static fixedCount), creates one instance per
// virtual user, calls onStart(), then keeps picking @task methods.
//
//   jsload run scripts/classes.js --host http://127.0.0.1:8080 --headless -u 10 -r 5 -t 30s
//
// Here, with -u 10: 1 RegistryAdmin (fixedCount), then the other 9 users are
// split 3:1 between Reader and Writer.

import { task, tag, between, constantPacing, HttpUser, User } from "jsload";
import { RegistryClient } from "./lib/registry.js";

export const options = {
  host: "http://localhost:8080",
};

const NAMES = ["ada", "grace", "edsger", "barbara", "ken", "radia"];
const pick = (list) => list[Math.floor(Math.random() * list.length)];

// An HttpUser gets this.client, an HTTP client with its own cookies. It has
// the same methods as the `http` import: get, post, put, patch, del, ...
export class Reader extends HttpUser {
  static weight = 3; // three Readers for every Writer

  // Instance fields work as in Locust's class attributes.
  waitTime = between(0.5, 2);

  onStart() {
    // The session cookie set here is sent with every later request of this
    // user (and only this user).
    this.client.post("/login", { form: { user: `reader${__VU}` } });
  }

  // @task(weight): profile runs five times as often as a weight-1 task.
  @task(5)
  profile() {
    this.client.get("/profile");
  }

  @task(3)
  entries() {
    this.client.get("/entries");
  }

  // Tags label tasks, so that a run can be limited to some of them (see
  // jsload run --help).
  @task
  @tag("broken")
  missingPage() {
    this.client.get("/shujie"); // always 404: a failure in the statistics
  }
}

export class Writer extends HttpUser {
  static weight = 1;
  waitTime = between(1, 3);

  onStart() {
    this.client.post("/login", { json: { user: `writer${__VU}` } });
  }

  @task(2)
  @tag("write")
  createUser() {
    // `name` groups requests under one row in the statistics, whatever the
    // URL; useful when URLs contain ids.
    this.client.post("/api/users", { json: { name: pick(NAMES) }, name: "create user" });
  }

  @task
  entries() {
    this.client.get("/entries");
  }
}

// A plain User has no this.client: it brings its own. This one exercises the
// model registry through RegistryClient, whose calls appear as the
// "coeus registry" row.
export class RegistryAdmin extends User {
  static fixedCount = 1; // exactly one, whatever -u says

  // constantPacing(2): start a task every 2 seconds, however long tasks take.
  waitTime = constantPacing(2);

  registry = new RegistryClient("/registry");

  @task(3)
  lookup() {
    this.registry.get(pick(["resnet-50", "bert-base", "tiny-llama", "no-such-model"]));
  }

  @task
  @tag("write")
  publish() {
    // Re-registering the same name bumps its version.
    this.registry.register(`model-${__VU}`, `0.1.${__ITER}`);
    this.registry.list();
  }
}
