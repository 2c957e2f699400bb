// typescript.ts: jsload runs TypeScript directly (types are stripped, not
// checked; run tsc yourself if you want type checking).
//
//   jsload run scripts/typescript.ts --host http://127.0.0.1:8080 --headless -u 5 -r 5 -t 30s

import { task, tag, between, HttpUser } from "jsload";

// Shapes of the demo server's responses.
interface Entry {
  id: number;
  title: string;
  author: string;
  likes: number;
}

interface Profile {
  loggedIn: boolean;
  user: string | null;
  plan: string;
}

interface CreatedUser {
  id: number;
  name: string;
}

export const options = {
  host: "http://localhost:8080",
};

export class TypedReader extends HttpUser {
  static weight = 1;
  waitTime = between(0.5, 2);

  private userName = "";
  private seenEntries = new Set<number>();

  onStart(): void {
    this.userName = `ts-user${__VU}`;
    this.client.post("/login", { form: { user: this.userName } });
  }

  @task(5)
  profile(): void {
    const res = this.client.get("/profile", { catchResponse: true });
    if (res.status !== 200) {
      res.failure(`status ${res.status}`);
      return;
    }
    const body = res.json() as Profile;
    if (body.user === this.userName) {
      res.success();
    } else {
      res.failure(`expected user ${this.userName}, got ${body.user}`);
    }
  }

  @task(3)
  entries(): void {
    const res = this.client.get("/entries");
    if (res.ok) {
      for (const e of res.json() as Entry[]) {
        this.seenEntries.add(e.id);
      }
    }
  }

  @task
  @tag("write")
  createUser(): void {
    const res = this.client.post("/api/users", {
      json: { name: this.userName },
      catchResponse: true,
    });
    const created = res.status === 201 ? (res.json() as CreatedUser) : null;
    if (created && created.id > 0) {
      res.success();
    } else {
      res.failure(`create user: status ${res.status}`);
    }
  }

  onStop(): void {
    console.log(`${this.userName} saw ${this.seenEntries.size} different entries`);
  }
}
