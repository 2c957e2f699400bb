// The JavaScript half of the "jsload" module. It runs once in every runtime
// and receives the Go half as `native`. It must stay small: the hot paths
// (http, sleep, events) are Go functions.
(function (native) {
  "use strict";

  const TASK = "__jsloadTask"; // marks a task descriptor or a task method
  const WAIT = "__jsloadWait"; // marks a wait-time function built here

  function checkWeight(w, where) {
    if (typeof w !== "number" || !Number.isInteger(w) || w < 0) {
      throw new TypeError(where + ": weight must be a whole number >= 0, got " + String(w));
    }
    return w;
  }

  function markMethod(fn, weight) {
    if (typeof fn !== "function") {
      throw new TypeError("@task can only decorate methods");
    }
    const m = fn[TASK] || (fn[TASK] = { weight: 1, tags: [] });
    m.weight = weight;
    m.decorated = true;
    return fn;
  }

  // decorate handles both decorator protocols: the standard one
  // (method, context) and TypeScript's experimental (proto, key, descriptor).
  function decorate(a, b, c, apply) {
    if (typeof a === "function" && b && typeof b === "object" && "kind" in b) {
      if (b.kind !== "method") {
        throw new TypeError("@task and @tag decorate methods, not a " + b.kind);
      }
      apply(a);
      return a;
    }
    if (a && typeof b === "string" && c && typeof c.value === "function") {
      apply(c.value);
      return c;
    }
    throw new TypeError("@task and @tag decorate class methods");
  }

  function taskDescriptor(fn, weight, opts) {
    if (typeof fn !== "function") {
      throw new TypeError("task(weight, fn): fn must be a function, got " + typeof fn);
    }
    const tags = opts && opts.tags ? Array.from(opts.tags, String) : [];
    return Object.freeze({ [TASK]: true, fn: fn, weight: weight, tags: Object.freeze(tags) });
  }

  // task(fn), task(weight, fn), task(weight, fn, {tags}) define exported tasks;
  // @task and @task(weight) mark class methods.
  function task(a, b, c) {
    if (typeof a === "number") {
      checkWeight(a, "task");
      if (typeof b === "function") return taskDescriptor(b, a, c);
      if (b === undefined) {
        return function (x, y, z) {
          return decorate(x, y, z, (fn) => markMethod(fn, a));
        };
      }
      throw new TypeError("task(weight, fn): fn must be a function, got " + typeof b);
    }
    if (typeof a === "function") {
      if (b && typeof b === "object" && "kind" in b) return decorate(a, b, c, (fn) => markMethod(fn, 1));
      return taskDescriptor(a, 1, b);
    }
    if (a && typeof b === "string") return decorate(a, b, c, (fn) => markMethod(fn, 1));
    throw new TypeError("task: expected task(fn), task(weight, fn) or @task on a method");
  }

  // tag("a", "b") labels a class task method (use with @task).
  function tag(...names) {
    if (names.length === 0) throw new TypeError("tag: give at least one tag name");
    return function (x, y, z) {
      return decorate(x, y, z, (fn) => {
        const m = fn[TASK] || (fn[TASK] = { weight: 1, tags: [] });
        m.tags = m.tags.concat(names.map(String));
      });
    };
  }

  function seconds(v, what) {
    if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
      throw new TypeError(what + ": expected a number of seconds >= 0, got " + String(v));
    }
    return v;
  }

  function waitFn(kind, a, b, f) {
    f[WAIT] = { kind: kind, a: a, b: b };
    return f;
  }

  function between(min, max) {
    seconds(min, "between(min, max)");
    seconds(max, "between(min, max)");
    if (max < min) throw new RangeError("between(min, max): max " + max + " is less than min " + min);
    return waitFn("between", min, max, () => min + Math.random() * (max - min));
  }
  function constant(s) {
    seconds(s, "constant(seconds)");
    return waitFn("constant", s, 0, () => s);
  }
  function constantPacing(s) {
    seconds(s, "constantPacing(seconds)");
    return waitFn("pacing", s, 0, () => s);
  }
  function constantThroughput(n) {
    if (typeof n !== "number" || !(n > 0) || !Number.isFinite(n)) {
      throw new TypeError("constantThroughput(tasksPerSecond): expected a number > 0, got " + String(n));
    }
    return waitFn("pacing", 1 / n, 0, () => 1 / n);
  }

  class User {}
  class HttpUser extends User {
    constructor() {
      super();
      this.client = native.http;
    }
  }

  // describe lists the user classes and exported tasks of a script's exports.
  function describe(exp) {
    const classes = [];
    const tasks = [];
    for (const key of Object.keys(exp)) {
      const v = exp[key];
      if (typeof v === "function" && v.prototype instanceof User) {
        classes.push(describeClass(key === "default" && v.name ? v.name : key, key, v));
      } else if (v && typeof v === "object" && v[TASK] === true) {
        tasks.push({ name: key, weight: v.weight, tags: v.tags.slice() });
      }
    }
    return { classes: classes, tasks: tasks };
  }

  function describeClass(name, key, cls) {
    const tasks = [];
    const seen = new Set(["constructor"]);
    for (let p = cls.prototype; p && p !== User.prototype && p !== HttpUser.prototype; p = Object.getPrototypeOf(p)) {
      for (const k of Object.getOwnPropertyNames(p)) {
        if (seen.has(k)) continue;
        seen.add(k);
        const d = Object.getOwnPropertyDescriptor(p, k);
        const m = d && typeof d.value === "function" ? d.value[TASK] : undefined;
        if (m && m.decorated) tasks.push({ name: k, weight: m.weight, tags: m.tags.slice() });
      }
    }
    const num = (v, what, dflt) => {
      if (v === undefined || v === null) return dflt;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
        throw new TypeError("user class " + name + ": static " + what + " must be a whole number >= 0, got " + String(v));
      }
      return v;
    };
    return {
      name: name,
      key: key,
      weight: num(cls.weight, "weight", 1),
      fixedCount: num(cls.fixedCount, "fixedCount", 0),
      host: typeof cls.host === "string" ? cls.host : "",
      http: cls.prototype instanceof HttpUser,
      tasks: tasks,
    };
  }

  native.describe = describe;
  native.waitKey = WAIT;
  native.taskKey = TASK;

  return {
    task: task,
    tag: tag,
    between: between,
    constant: constant,
    constantPacing: constantPacing,
    constantThroughput: constantThroughput,
    User: User,
    HttpUser: HttpUser,
    FastHttpUser: HttpUser,
    http: native.http,
    events: native.events,
    sleep: native.sleep,
  };
});
