// flows.js: user flows in the style of Locust's task sets, against the demo
// server. Try it:
//
//   bin/jsload inspect scripts/flows.js
//   bin/jsload run scripts/flows.js --host http://localhost:8080 --headless -u 10 -r 5 -t 30s
//   bin/jsload run scripts/flows.js --host http://localhost:8080 --single-user -i 8
//
// Three kinds of visitors:
// - Shoppers log in, then go through a checkout in a fixed order (a
//   SequentialTaskSet), and sometimes browse a catalogue for a while (a
//   TaskSet they leave with this.interrupt()).
// - Wanderers move between pages following weighted transitions (a
//   MarkovTaskSet), like a person clicking around.
// - A Registrar registers a model, stops at the first failed request
//   (abortOnFailure) and leaves for good after a few rounds (stopUser()).

import {
  HttpUser, TaskSet, SequentialTaskSet, MarkovTaskSet,
  task, transition, between, constant, stopUser,
} from "jsload";

class Catalogue extends TaskSet {
  waitTime = between(0.2, 0.5); // its own pace while browsing
  onStart() { this.pages = 0; }
  @task(4) entries() { this.client.get("/entries"); this.pages++; }
  @task(2) profile() { this.client.get("/profile"); }
  // After a while the visitor goes back to what it was doing before.
  @task(1) leave() { if (this.pages > 2) this.interrupt(); }
}

class Checkout extends SequentialTaskSet {
  @task addUser() { this.client.post("/api/users", { json: { name: `buyer${__VU}` } }); }
  @task review() { this.client.get("/profile"); }
  @task pay() { this.client.get("/shujie", { name: "/pay (always 404)" }); }
  @task done() { this.interrupt(); }
}

export class Shopper extends HttpUser {
  static weight = 3;
  waitTime = between(0.5, 1.5);
  onStart() { this.client.post("/login", { form: { user: `shopper${__VU}` } }); }
  @task(2) checkout = Checkout;
  @task(1) browse = Catalogue;
}

class Wander extends MarkovTaskSet {
  @transition("entries", 3) @transition("profile", 1)
  home() { this.client.get("/"); }
  @transition("entries", 1) @transition("home", 1) @transition("profile", 1)
  entries() { this.client.get("/entries"); }
  @transition("home", 1)
  profile() { this.client.get("/profile"); }
}

export class Wanderer extends HttpUser {
  static weight = 1;
  waitTime = constant(0.5);
  @task wander = Wander;
}

export class Registrar extends HttpUser {
  static fixedCount = 1;
  static abortOnFailure = true; // a failed request ends the task there
  waitTime = constant(1);
  @task register() {
    if (__ITER >= 5) stopUser(); // this user is done for good, and not replaced
    const name = `model-${__VU}-${__ITER}`;
    this.client.post("/registry/models", { json: { name: name, version: "1" }, name: "/registry/models" });
    this.client.get(`/registry/models/${name}`, { name: "/registry/models/{name}" });
  }
}
