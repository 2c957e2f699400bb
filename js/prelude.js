// The JavaScript half of the "jsload" module. The hot paths (http, sleep,
// events, picking and calling tasks) are in Go; this file holds the classes
// users extend, the decorators, the wait-time helpers, and describe(), which
// turns a script's exports into the plain description Go schedules from.
//
// Every function object costs memory in each of thousands of runtimes, so
// nothing here is made before a script asks for it. The file is cut into
// parts at the "// @part NAME" lines, and each part is run in a runtime on
// first use (see part.go). A part is a block in the body of
// function (native, part) { "use strict"; switch (part) { ... } } and
// returns one value: an export of the module, or a helper of other parts. `native` is the VU's Go object:
// native.http, native.events, native.sleep, native.check, native.control,
// native.interrupt and native.pending, and every part by its name
// (native.decorate), made when first read. TASK, WAIT and FIELDS are the
// marker keys (the same strings as in part.go).

// @part hasOwn
return (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// @part checkWeight
// w % 1 === 0 is Number.isInteger(w) for numbers, without building Number
// in the runtime.
return (w, where) => {
  if (typeof w !== "number" || w % 1 !== 0 || w < 0) {
    throw new TypeError(where + ": weight must be a whole number >= 0, got " + String(w));
  }
  return w;
};

// @part decorate
// decorate applies a decorator to a method or a field under both
// protocols: the standard one (value, context) and TypeScript's
// experimental one (prototype, key, descriptor). apply gets the task data
// to change.
const hasOwn = native.hasOwn;

// mark returns the task data of a method, creating it.
// seq numbers task marks as decorators create them: decorators run in
// source order, so a SequentialTaskSet can run methods and fields in the
// order they are declared.
let seq = 0;
const mark = (fn) => {
  if (!hasOwn(fn, TASK)) {
    Object.defineProperty(fn, TASK, { value: { weight: 1, tags: [], decorated: false, transitions: [], initial: false, order: ++seq } });
  }
  return fn[TASK];
};

// fieldMarks returns the own field-task records of a decorator target:
// the standard protocol's metadata object or TypeScript's prototype.
const fieldMarks = (holder) => {
  if (!hasOwn(holder, FIELDS)) {
    Object.defineProperty(holder, FIELDS, { value: Object.create(holder[FIELDS] || null), writable: true });
  }
  return holder[FIELDS];
};

return (what, a, b, c, apply) => {
  if (b && typeof b === "object" && "kind" in b) {
    if (b.kind === "method" && typeof a === "function") {
      apply(mark(a));
      return a;
    }
    if (b.kind === "field") {
      const marks = fieldMarks(b.metadata);
      const m = marks[b.name] || (marks[b.name] = { weight: 1, tags: [], decorated: false, transitions: [], initial: false, isStatic: !!b.static, order: ++seq });
      apply(m);
      return undefined;
    }
    throw new TypeError(what + " decorates methods and fields, not a " + b.kind);
  }
  if (a && typeof b === "string") {
    if (c && typeof c.value === "function") {
      apply(mark(c.value));
      return c;
    }
    // TypeScript passes the class for static fields, the prototype for others.
    const marks = fieldMarks(a);
    const m = marks[b] || (marks[b] = { weight: 1, tags: [], decorated: false, transitions: [], initial: false, isStatic: typeof a === "function", order: ++seq });
    apply(m);
    return undefined;
  }
  throw new TypeError(what + " decorates class methods and fields");
};

// @part task
// task(fn), task(weight, fn), task(weight, fn, {tags}) define tasks (fn
// may be a TaskSet class); @task and @task(weight) mark class methods and
// fields. The module's task is a Go function (task.go) that makes the
// plain task(fn) and task(weight, fn) itself and passes every other call
// here.
// Tasks without tags share one frozen empty array.
let noTags;
const taskDescriptor = (fn, weight, opts) => {
  if (typeof fn !== "function") {
    throw new TypeError("task(weight, fn): fn must be a function or a TaskSet class, got " + typeof fn);
  }
  let tags = noTags || (noTags = Object.freeze([]));
  if (opts && opts.tags) {
    const list = [];
    for (const t of opts.tags) list.push(typeof t === "string" ? t : String(t));
    if (list.length > 0) tags = Object.freeze(list);
  }
  return Object.freeze({ [TASK]: true, fn: fn, weight: weight, tags: tags });
};

return (a, b, c) => {
  if (typeof a === "number") {
    native.checkWeight(a, "task");
    if (typeof b === "function") return taskDescriptor(b, a, c);
    if (b === undefined) {
      return (x, y, z) => {
        return native.decorate("@task", x, y, z, (m) => {
          m.weight = a;
          m.decorated = true;
        });
      };
    }
    throw new TypeError("task(weight, fn): fn must be a function or a TaskSet class, got " + typeof b);
  }
  const isContext = (b && typeof b === "object" && "kind" in b) || typeof b === "string";
  if (typeof a === "function" && !isContext) {
    return taskDescriptor(a, 1, b);
  }
  if (isContext || (a && typeof b === "string")) {
    return native.decorate("@task", a, b, c, (m) => {
      m.decorated = true;
    });
  }
  throw new TypeError("task: expected task(fn), task(weight, fn) or @task on a method");
};

// @part tag
// tag("a", "b") labels a task (use with @task). An index loop and push,
// not map and concat, which make goja build the Array constructor (for
// species), and String only for names that are not strings.
return (...names) => {
  if (names.length === 0) throw new TypeError("tag: give at least one tag name");
  return (x, y, z) => {
    return native.decorate("@tag", x, y, z, (m) => {
      for (let i = 0; i < names.length; i++) m.tags.push(typeof names[i] === "string" ? names[i] : String(names[i]));
    });
  };
};

// @part transition
// transition("name", weight) declares a Markov successor of a task; a
// function stands for the task of its name.
return (to, weight) => {
  if (typeof to === "function" && to.name) to = to.name;
  if (typeof to !== "string" || to === "") throw new TypeError("transition(name, weight): name must be a task's name, got " + String(to));
  const w = weight === undefined ? 1 : native.checkWeight(weight, "transition(" + JSON.stringify(to) + ", weight)");
  return (x, y, z) => {
    return native.decorate("@transition", x, y, z, (m) => {
      m.transitions.unshift({ to: to, weight: w }); // decorators apply bottom-up: keep source order
    });
  };
};

// @part transitions
// transitions declares several successors at once, as an object
// ({ a: 2, b: 1 }) or in Locust's list form ([["a", 2], "b"]: a name alone
// has weight 1).
const usage = 'transitions({ name: weight, ... }) or transitions([["name", weight], "name", ...])';
return (spec) => {
  const pairs = [];
  if (Array.isArray(spec)) {
    for (let i = 0; i < spec.length; i++) {
      const item = spec[i];
      if (Array.isArray(item)) {
        if (item.length < 1 || item.length > 2) throw new TypeError(usage + ": item " + i + " has " + item.length + " elements, want [name, weight]");
        pairs.push([item[0], item[1]]);
      } else {
        pairs.push([item, undefined]);
      }
    }
  } else if (spec && typeof spec === "object") {
    const keys = Object.keys(spec);
    for (let i = 0; i < keys.length; i++) pairs.push([keys[i], spec[keys[i]]]);
  } else {
    throw new TypeError(usage + ": got " + String(spec));
  }
  const ds = [];
  for (let i = 0; i < pairs.length; i++) {
    const to = pairs[i][0];
    if (typeof to !== "string" && !(typeof to === "function" && to.name)) {
      throw new TypeError(usage + ": item " + i + " must be a task's name or [name, weight], got " + (Array.isArray(to) ? "an array" : String(to)));
    }
    ds.push(native.transition(to, pairs[i][1]));
  }
  return (x, y, z) => {
    let r;
    for (let i = ds.length - 1; i >= 0; i--) r = ds[i](x, y, z); // each prepends: keep the order given
    return r;
  };
};

// @part initial
// @initial marks where a Markov walk starts (default: the first task).
return (x, y, z) => {
  return native.decorate("@initial", x, y, z, (m) => {
    m.initial = true;
  });
};

// @part User
class User {
  // host is the effective host: --host (or options.host), else the class's
  // host, as requests use it.
  get host() {
    return native.host;
  }
  // A host field (or an assignment in the constructor) is the class's
  // host, read at load; later, this.host is read-only.
  set host(v) {
    if (!native.constructing) throw new TypeError("this.host is read-only after the constructor: set the class's host (static host or a host field), --host or options.host");
    Object.defineProperty(this, "host", { value: v, writable: true, enumerable: true, configurable: true });
  }
}
return User;

// @part HttpUser
class HttpUser extends native.User {
  constructor() {
    super();
    this.client = native.http;
  }
}
return HttpUser;

// @part TaskSet
// A TaskSet groups tasks; a user (or another task set) lists it as a task.
// While it runs, the user picks tasks from it until it calls interrupt().
class TaskSet {
  constructor() {
    const p = native.pending;
    if (p) {
      this.user = p.user;
      this.parent = p.parent;
      this.client = native.http;
    }
  }
  get host() {
    return native.host;
  }
  // A host field (or an assignment in the constructor) is the class's
  // host, read at load; later, this.host is read-only.
  set host(v) {
    if (!native.constructing) throw new TypeError("this.host is read-only after the constructor: set the class's host (static host or a host field), --host or options.host");
    Object.defineProperty(this, "host", { value: v, writable: true, enumerable: true, configurable: true });
  }
  // interrupt() returns to the parent: at once (reschedule, the default)
  // or after the parent's wait time (interrupt(false)).
  interrupt(reschedule) {
    native.interrupt(this, reschedule === undefined ? true : !!reschedule);
  }
}
return TaskSet;

// @part SequentialTaskSet
class SequentialTaskSet extends native.TaskSet {}
return SequentialTaskSet;

// @part MarkovTaskSet
class MarkovTaskSet extends native.TaskSet {}
return MarkovTaskSet;

// @part taskSet
// taskSet({ ...tasks, onStart, onStop, waitTime }) makes a TaskSet class
// from an object: task(...) entries are its tasks. Pass { sequential: true }
// as the second argument for a SequentialTaskSet.
return (spec, opts) => {
  if (!spec || typeof spec !== "object") throw new TypeError("taskSet(spec): spec must be an object of tasks");
  const Base = opts && opts.sequential ? native.SequentialTaskSet : native.TaskSet;
  const C = class extends Base {};
  Object.defineProperty(C, "name", { value: (opts && opts.name) || "taskSet" });
  const list = [];
  for (const k of Object.keys(spec)) {
    const v = spec[k];
    if (v && typeof v === "object" && v[TASK] === true) {
      list.push(Object.freeze({ [TASK]: true, fn: v.fn, weight: v.weight, tags: v.tags, name: k }));
    } else if (k === "waitTime" || k === "wait_time") {
      C.prototype.waitTime = v;
    } else if (typeof v === "function") {
      C.prototype[k] = v; // onStart, onStop, helpers
    } else {
      C.prototype[k] = v;
    }
  }
  C.tasks = list;
  return C;
};

// @part sequence
// sequence(a, b, c) makes a SequentialTaskSet running a, b, c in order,
// round after round; items may be functions, task(...) or TaskSet classes.
return (...items) => {
  if (items.length === 0) throw new TypeError("sequence(...tasks): give at least one task");
  const C = class extends native.SequentialTaskSet {};
  Object.defineProperty(C, "name", { value: "sequence" });
  C.tasks = items;
  return C;
};

// @part rescheduleTask
// Control from a task. Each ends the current task at once; none can be
// caught by the script's try/catch.
return () => {
  native.control("reschedule");
};

// @part stopUser
return () => {
  native.control("stopUser");
};

// @part construct
// construct makes an instance of a user or task-set class, with the task
// set's context (user, parent) available to its constructor.
return (cls, pending) => {
  const saved = native.pending;
  native.pending = pending;
  native.constructing = (native.constructing || 0) + 1;
  try {
    return new cls();
  } finally {
    native.pending = saved;
    native.constructing--;
  }
};

// @part describe
// describe turns a script's exports into the description Go runs from:
// user classes (each with a root task set) and every task set they reach.
// It runs once, when the script is loaded; Symbol, Set and Map are only
// used here.
const hasOwn = native.hasOwn;
const construct = native.construct;
const User = native.User;
const HttpUser = native.HttpUser;
const TaskSet = native.TaskSet;
const SequentialTaskSet = native.SequentialTaskSet;
const MarkovTaskSet = native.MarkovTaskSet;
const isBase = (p) => p === User.prototype || p === HttpUser.prototype || p === TaskSet.prototype || p === SequentialTaskSet.prototype || p === MarkovTaskSet.prototype || p === Object.prototype;
const isSetClass = (v) => typeof v === "function" && v.prototype instanceof TaskSet;
const isBaseClass = (c) => c === User || c === HttpUser || c === TaskSet || c === SequentialTaskSet || c === MarkovTaskSet;

// Locust's spellings of the attributes jsload reads: aliases, read as
// jsload's own; and the ones jsload refuses, with what to write instead.
const aliases = { wait_time: "waitTime", fixed_count: "fixedCount", on_start: "onStart", on_stop: "onStop" };
const snakeOf = { waitTime: "wait_time", fixedCount: "fixed_count", onStart: "on_start", onStop: "on_stop" };
const refused = {
  min_wait: "waitTime = between(min, max), in seconds (Locust 0.x's min_wait and max_wait were milliseconds)",
  max_wait: "waitTime = between(min, max), in seconds (Locust 0.x's min_wait and max_wait were milliseconds)",
  wait_function: "waitTime = () => seconds",
  task_set: "static tasks = [TheTaskSet]",
  connection_timeout: "connectTimeout, as the --connect-timeout flag or http.client({ connectTimeout })",
  network_timeout: "timeout, as the --timeout flag or http.client({ timeout })",
  max_redirects: "maxRedirects, in http.client({ maxRedirects })",
};

// fail throws a load error about attribute attr of class cls; Go finds
// where it is written (Script.locate).
const fail = (cls, attr, msg) => {
  const e = new TypeError(msg);
  Object.defineProperty(e, "jsloadAt", { value: [cls || "", attr || ""] });
  throw e;
};

// attrs checks the attribute names of a user class or task set (statics
// up its class chain, its prototypes' methods, an instance's own fields)
// and returns a reader of the attributes jsload gives meaning to: an
// instance's own field first, then the static, in jsload's spelling or
// Locust's (an alias; both at once is an error).
const attrs = (kind, cls, inst) => {
  const name = cls.name || kind;
  const names = new Set();
  for (let c = cls; typeof c === "function" && c !== Function.prototype && !isBaseClass(c); c = Object.getPrototypeOf(c)) {
    for (const k of Object.getOwnPropertyNames(c)) names.add(k);
  }
  for (let p = cls.prototype; p && !isBase(p); p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) names.add(k);
  }
  if (inst) for (const k of Object.getOwnPropertyNames(inst)) names.add(k);
  for (const k of names) {
    if (hasOwn(refused, k)) fail(name, k, kind + " " + name + ": `" + k + "` is Locust's; jsload spells it `" + refused[k] + "`");
    if (hasOwn(aliases, k) && names.has(aliases[k])) fail(name, k, kind + " " + name + ": both `" + aliases[k] + "` and `" + k + "` (Locust's spelling of it) are set: keep one");
  }
  return (k) => {
    for (const key of [k, snakeOf[k]]) {
      if (key === undefined) continue;
      if (inst && hasOwn(inst, key) && inst[key] !== undefined) return inst[key];
      if (cls[key] !== undefined) return cls[key];
    }
    return undefined;
  };
};

return (exp, k6) => {
  const sets = [];
  const ids = new Map();
  const classes = [];
  const exported = [];

  const num = (owner, cls, v, what, dflt) => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
      fail(cls, what, owner + ": " + what + " must be a whole number >= 0, got " + String(v));
    }
    return v;
  };

  // entry classifies one task's value: a function, a TaskSet class, or a
  // task(...) descriptor around either.
  function entry(owner, cls, name, v, m, src, pending) {
    let weight = m ? m.weight : 1;
    let tags = m ? m.tags.slice() : [];
    if (v && typeof v === "object" && v[TASK] === true) {
      if (!m || !m.decorated) weight = v.weight;
      tags = tags.concat(v.tags);
      if (v.name && src.kind !== "field") name = v.name;
      v = v.fn;
    }
    const t = { name: name, weight: weight, tags: tags, set: -1, transitions: m ? m.transitions.slice() : [], initial: !!(m && m.initial), src: src, order: m ? m.order : Infinity };
    if (isSetClass(v)) {
      t.set = setOf(v, pending);
    } else if (typeof v !== "function") {
      fail(cls, src.kind === "list" || src.kind === "field-list" ? "tasks" : src.key || name, owner + ": task " + name + " must be a function or a TaskSet class, got " + (v === null ? "null" : typeof v));
    }
    return t;
  }

  // tasksOf lists a class's tasks: decorated methods (child first, in
  // declaration order), decorated fields, then tasks = [...] (an
  // instance's field, or static). inst is an instance of cls, made as a
  // VU makes it; get reads its attributes (attrs).
  function tasksOf(owner, cls, inst, get, instErr) {
    const cname = cls.name || owner;
    const out = [];
    const seen = new Set(["constructor"]);
    for (let p = cls.prototype; p && !isBase(p); p = Object.getPrototypeOf(p)) {
      for (const k of Object.getOwnPropertyNames(p)) {
        if (seen.has(k)) continue;
        seen.add(k);
        const d = Object.getOwnPropertyDescriptor(p, k);
        if (!d || typeof d.value !== "function" || !hasOwn(d.value, TASK)) continue;
        const m = d.value[TASK];
        if (m.decorated || m.transitions.length > 0) out.push(entry(owner, cname, k, d.value, m, { kind: "method", key: k }, inst));
      }
    }
    const marks = [];
    const md = cls[Symbol.metadata || Symbol.for("Symbol.metadata")];
    if (md && md[FIELDS]) marks.push(md[FIELDS]);
    if (cls.prototype[FIELDS]) marks.push(cls.prototype[FIELDS]);
    if (hasOwn(cls, FIELDS) || cls[FIELDS]) marks.push(cls[FIELDS]);
    for (const fm of marks) {
      for (const k in fm) {
        if (seen.has(k)) continue;
        seen.add(k);
        const m = fm[k];
        if (!m.decorated && m.transitions.length === 0) continue;
        let v;
        if (m.isStatic) {
          v = cls[k];
        } else {
          if (instErr !== undefined) throw instErr;
          v = inst[k];
        }
        out.push(entry(owner, cname, k, v, m, { kind: m.isStatic ? "static-field" : "field", key: k }, inst));
      }
    }
    // Decorated methods and fields in the order they were declared.
    out.sort((x, y) => x.order - y.order);
    const list = get("tasks");
    if (list !== undefined) {
      if (!Array.isArray(list)) fail(cname, "tasks", owner + ": tasks must be an array of functions, task(weight, fn) or TaskSet classes");
      const kind = inst && hasOwn(inst, "tasks") && inst.tasks !== undefined ? "field-list" : "list";
      list.forEach((v, i) => {
        const base = v && typeof v === "object" && v[TASK] === true ? v.fn : v;
        const name = (v && v.name) || (base && base.name) || "tasks[" + i + "]";
        out.push(entry(owner, cname, name, v, null, { kind: kind, index: i }, inst));
      });
    }
    return out;
  }

  function kindOf(cls) {
    if (cls.prototype instanceof MarkovTaskSet) return "markov";
    if (cls.prototype instanceof SequentialTaskSet) return "sequential";
    return "random";
  }

  // addSet adds a task set; get reads its class's attributes.
  function addSet(name, kind, ctor, get, fill) {
    const id = sets.length;
    const s = { id: id, name: name, kind: kind, tasks: [], initial: 0, abortOnFailure: null };
    sets.push(s);
    if (ctor) ids.set(ctor, id);
    s.tasks = fill();
    const a = get && get("abortOnFailure");
    if (a !== undefined && a !== null) {
      if (typeof a !== "boolean") fail(name, "abortOnFailure", name + ": abortOnFailure must be true or false, got " + String(a));
      s.abortOnFailure = a;
    }
    checkSet(s);
    return id;
  }

  // setOf describes a TaskSet class, made as a VU enters it (with user
  // and parent), so that its instance fields count.
  let user = null;
  function setOf(cls, parent) {
    if (ids.has(cls)) return ids.get(cls);
    const name = cls.name || "TaskSet";
    // A constructor may need what the user's onStart sets up: if it
    // throws here, the set is described from its class, and the error is
    // reported only if the set then needs its instance, or has no tasks.
    let inst = null;
    let instErr;
    try {
      inst = construct(cls, { user: user, parent: parent });
    } catch (e) {
      instErr = e;
    }
    const get = attrs("task set", cls, inst);
    return addSet(name, kindOf(cls), cls, get, () => {
      const ts = tasksOf("task set " + name, cls, inst, get, instErr);
      if (ts.length === 0 && instErr !== undefined) throw instErr;
      return ts;
    });
  }

  function checkSet(s) {
    if (s.tasks.length === 0) {
      fail(s.name, "", "task set " + s.name + " has no tasks: mark methods with @task, or list them in tasks = [...]");
    }
    if (s.kind === "markov") {
      const names = new Map(s.tasks.map((t, i) => [t.name, i]));
      s.tasks.forEach((t, i) => {
        if (t.transitions.length === 0) {
          fail(s.name, t.name, "Markov task set " + s.name + ": task " + t.name + " has no @transition (a task may transition to itself)");
        }
        for (const tr of t.transitions) {
          if (!names.has(tr.to)) fail(s.name, t.name, "Markov task set " + s.name + ": task " + t.name + " has a transition to " + tr.to + ", which is not a task of the set");
        }
        if (!t.transitions.some((tr) => tr.weight > 0)) fail(s.name, t.name, "Markov task set " + s.name + ": every transition of " + t.name + " has weight 0");
        if (t.initial) s.initial = i;
      });
    } else if (!s.tasks.some((t) => t.weight > 0)) {
      fail(s.name, "", s.name + ": every task has weight 0");
    }
  }

  for (const key of Object.keys(exp)) {
    const v = exp[key];
    if (typeof v === "function" && v.prototype instanceof User) {
      // static abstract = true: a base for user classes, not one (as in
      // Locust, it is not inherited).
      if (hasOwn(v, "abstract") && v.abstract) continue;
      const name = key === "default" && v.name ? v.name : key;
      const cname = v.name || name;
      const owner = "user class " + name;
      const inst = construct(v, null);
      if (hasOwn(inst, "abstract") && inst.abstract) {
        // An instance field: abstract unless a parent class's instances
        // have it too (inherited, as a static would not be).
        const parent = Object.getPrototypeOf(v);
        if (isBaseClass(parent) || !construct(parent, null).abstract) continue;
      }
      const get = attrs("user class", v, inst);
      const host = get("host");
      if (host !== undefined && host !== null && typeof host !== "string") fail(cname, "host", owner + ": host must be a URL string, got " + String(host));
      user = inst;
      const root = addSet(name, "random", null, get, () => {
        const ts = tasksOf(owner, v, inst, get);
        if (ts.length === 0) fail(cname, "", owner + " has no tasks: mark methods with @task or @task(weight), or list them in tasks = [...]");
        return ts;
      });
      user = null;
      classes.push({
        name: name,
        key: key,
        weight: num(owner, cname, get("weight"), "weight", 1),
        fixedCount: num(owner, cname, get("fixedCount"), "fixedCount", 0),
        host: typeof host === "string" ? host : "",
        http: v.prototype instanceof HttpUser,
        root: root,
      });
    } else if (v && typeof v === "object" && v[TASK] === true) {
      exported.push([key, v]);
    }
  }
  // A k6 script's default function is its one task (k6.go).
  if (k6 && classes.length === 0 && exported.length === 0 && typeof exp.default === "function") {
    exported.push(["default", exp.default]);
  } else if (k6 && classes.length === 0 && exported.length === 0) {
    // Without one, the first scenario's exec stands in: each scenario's
    // users run their own exec (k6exec.go).
    const scs = exp.options && exp.options.scenarios;
    for (const name in scs || {}) {
      const key = scs[name] && scs[name].exec;
      if (typeof key === "string" && typeof exp[key] === "function") {
        exported.push([key, exp[key]]);
        break;
      }
    }
  }
  if (classes.length > 0 && exported.length > 0) {
    throw new TypeError("the script exports both user classes (" + classes[0].name + ") and task functions (" + exported[0][0] + "): use one style");
  }
  if (exported.length > 0) {
    const root = addSet("default", "random", null, null, () => exported.map(([k, v]) => entry("exported task " + k, "", k, v, null, { kind: "export", key: k }, undefined)));
    const opts = exp.options;
    if (opts && typeof opts.abortOnFailure === "boolean") sets[root].abortOnFailure = opts.abortOnFailure;
    classes.push({ name: "default", key: "", weight: 1, fixedCount: 0, host: "", http: true, root: root });
  }
  return { classes: classes, sets: sets };
};
