// Type declarations for jsload's built-in modules ("jsload", "jsload/http",
// "jsload/events", "jsload/ws", "jsload/tcp", "jsload/encoding",
// "jsload/crypto") and globals, for
// editors: `jsload init` writes this file beside a starter script. jsload
// strips types without checking them.

/** A value the HTTP client takes as binary input. */
type JsloadBytes = string | ArrayBuffer | ArrayBufferView;
type JsloadTextEncoder = typeof TextEncoder;
type JsloadTextDecoder = typeof TextDecoder;

declare module "jsload" {
  // ---- Tasks, users and task sets ------------------------------------

  /** A task made by task(): a function (or TaskSet class) with a weight. */
  export interface Task<F = (...args: any[]) => any> {
    readonly weight: number;
    readonly fn: F;
    readonly tags: string[];
  }

  export interface TaskOptions {
    /** Tags for --tags / --exclude-tags. */
    tags?: string[];
  }

  /**
   * Makes a task (exported-tasks style), or marks a class method or field
   * as a task (as a decorator: `@task`, `@task(3)`). Weight 1 by default.
   */
  export function task<F extends Function>(fn: F, options?: TaskOptions): Task<F>;
  export function task<F extends Function>(weight: number, fn: F, options?: TaskOptions): Task<F>;
  export function task(weight: number): (target: any, context?: any, descriptor?: any) => any;
  export function task(target: any, context: any, descriptor?: any): any;

  /** Labels a task with tags (a decorator, with @task). */
  export function tag(...tags: string[]): (target: any, context?: any, descriptor?: any) => any;

  /** In a MarkovTaskSet: after this task, go to task `to` with this weight (default 1). */
  export function transition(to: string, weight?: number): (target: any, context?: any, descriptor?: any) => any;
  /** In a MarkovTaskSet: several successors with their weights. */
  export function transitions(weights: Record<string, number>): (target: any, context?: any, descriptor?: any) => any;
  /** In a MarkovTaskSet: the task the walk starts at. */
  export function initial(target: any, context?: any, descriptor?: any): any;

  /** A wait time: seconds to wait between tasks, computed for each wait. */
  export type WaitTime = number | ((this: any) => number);

  /** Waits a random time between min and max seconds. */
  export function between(min: number, max: number): WaitTime;
  /** Waits the same time every time. */
  export function constant(seconds: number): WaitTime;
  /** Starts a task every `seconds` seconds (waits that minus the task's duration). */
  export function constantPacing(seconds: number): WaitTime;
  /** Runs about `tasksPerSecond` tasks a second: constantPacing(1 / n). */
  export function constantThroughput(tasksPerSecond: number): WaitTime;

  /** A user without an HTTP client (bring your own, report with events). */
  export class User {
    /** Share of the users (default 1). */
    static weight?: number;
    /** Exactly this many users of the class, started first. */
    static fixedCount?: number;
    /** The host when no --host is given. */
    static host?: string;
    /** End a task at its first failure. */
    static abortOnFailure?: boolean;
    /** Tasks listed instead of (or besides) decorated methods. */
    static tasks?: Array<Function | Task | (new () => TaskSet)> | Record<string, number>;
    waitTime?: WaitTime;
    onStart?(data?: any): void;
    onStop?(data?: any): void;
  }

  /** A user with its own HTTP client, `this.client`. */
  export class HttpUser extends User {
    readonly client: HttpClient;
  }

  /** Locust's FastHttpUser: the same as HttpUser here. */
  export class FastHttpUser extends HttpUser {}

  /** A set of tasks a user runs until it calls interrupt(); tasks picked at random by weight. */
  export class TaskSet {
    static abortOnFailure?: boolean;
    static tasks?: Array<Function | Task | (new () => TaskSet)> | Record<string, number>;
    /** The user's HTTP client. */
    readonly client: HttpClient;
    /** The user instance. */
    readonly user: User;
    /** The user or task set that entered this set. */
    readonly parent: User | TaskSet;
    waitTime?: WaitTime;
    onStart?(data?: any): void;
    onStop?(data?: any): void;
    /** Leaves the set; with reschedule false, waits before the parent's next task. */
    interrupt(reschedule?: boolean): never;
  }

  /** A task set whose tasks run in declared order, round after round. */
  export class SequentialTaskSet extends TaskSet {}

  /** A task set walked as a Markov chain (@initial, @transition). */
  export class MarkovTaskSet extends TaskSet {}

  export interface TaskSetSpec {
    onStart?(this: TaskSet, data?: any): void;
    onStop?(this: TaskSet, data?: any): void;
    waitTime?: WaitTime;
    [task: string]: any;
  }

  /** A task set in the exported-tasks style. */
  export function taskSet(spec: TaskSetSpec, options?: { sequential?: boolean }): new () => TaskSet;
  /** A sequential task set of these tasks, in order. */
  export function sequence(...tasks: Array<Function | Task>): new () => SequentialTaskSet;

  /** Ends the current task now; the next one starts without waiting. */
  export function rescheduleTask(): never;
  /** Stops this user for good (its onStop runs). */
  export function stopUser(): never;

  // ---- HTTP -----------------------------------------------------------

  export interface RequestParams {
    headers?: Record<string, string>;
    /** Sent as JSON, with its content type. */
    json?: any;
    body?: string | ArrayBuffer;
    /** Sent URL-encoded. */
    form?: Record<string, string | number | boolean>;
    /** Added to the URL's query; arrays repeat the key. */
    query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
    /** The name in the statistics (default: the path without its query). */
    name?: string;
    /** Seconds, or a duration such as "30s". */
    timeout?: number | string;
    /** How many redirects to follow (default 10; 0: none). */
    redirects?: number;
    /** Let the script call res.success() / res.failure(msg). */
    catchResponse?: boolean;
    /** false leaves the call out of the statistics. */
    record?: boolean;
    /** Basic auth. */
    auth?: [string, string];
    discardBody?: boolean;
    /** Bytes, or "10MB", "512KiB", "unlimited". */
    maxBodySize?: number | string;
  }

  export interface Timings {
    /** Milliseconds from sending to the last byte of the body. */
    duration: number;
    /** Milliseconds to the first byte of the response. */
    waiting: number;
    /** Milliseconds reading the body. */
    receiving: number;
  }

  export interface Response {
    /** 0 on a transport error. */
    readonly status: number;
    readonly statusText: string;
    /** No transport error and status < 400. */
    readonly ok: boolean;
    /** The URL after redirects. */
    readonly url: string;
    /** "HTTP/1.1" or "HTTP/2.0". */
    readonly proto: string;
    /** Lower-case header names. */
    readonly headers: Record<string, string>;
    /** null when the body was discarded. */
    readonly body: string | null;
    /** The failure text of a transport error, else null. */
    readonly error: string | null;
    readonly timings: Timings;
    json(): any;
    /** With catchResponse: count the request as a success. */
    success(): void;
    /** With catchResponse: count the request as a failure with this text. */
    failure(message?: string | Error): void;
  }

  export interface TLSOptions {
    cert?: string;
    key?: string;
    ca?: string;
    serverName?: string;
    minVersion?: "1.0" | "1.1" | "1.2" | "1.3";
    insecureSkipVerify?: boolean;
  }

  export interface ClientOptions {
    baseURL?: string;
    headers?: Record<string, string>;
    auth?: [string, string] | null;
    timeout?: number | string;
    connectTimeout?: number | string;
    maxRedirects?: number;
    maxBodySize?: number | string;
    discardResponseBodies?: boolean;
    protocol?: "auto" | "http1.1" | "h2c" | "h2";
    tls?: TLSOptions;
  }

  /** A user's HTTP client: its own connections and cookie jar. */
  export interface HttpClient {
    get(url: string, params?: RequestParams): Response;
    post(url: string, params?: RequestParams): Response;
    put(url: string, params?: RequestParams): Response;
    patch(url: string, params?: RequestParams): Response;
    del(url: string, params?: RequestParams): Response;
    delete(url: string, params?: RequestParams): Response;
    head(url: string, params?: RequestParams): Response;
    options(url: string, params?: RequestParams): Response;
    request(method: string, url: string, params?: RequestParams): Response;
    /** Another client for this user, with its own connections and defaults. */
    client(options?: ClientOptions): HttpClient;
    /** Headers sent with every request (a request's own win). */
    headers: Record<string, string>;
    /** Basic auth sent with every request; null for none. */
    auth: [string, string] | null;
    baseURL: string;
  }

  /** The user's HTTP client (exported-tasks style; `this.client` in classes). */
  export const http: HttpClient;

  // ---- Events, checks, sleep -------------------------------------------

  export interface RequestEvent {
    type?: string;
    request_type?: string;
    name: string;
    /** Milliseconds. */
    responseTime?: number;
    response_time?: number;
    responseLength?: number;
    response_length?: number;
    /** null or absent: a success; a string or an Error: a failure. */
    exception?: string | Error | null;
  }

  /** What a request listener gets (Locust's snake_case keys too). */
  export interface RequestInfo {
    type: string;
    requestType: string;
    request_type: string;
    name: string;
    /** Milliseconds. */
    responseTime: number;
    response_time: number;
    responseLength: number;
    response_length: number;
    /** null, or the failure's text. */
    exception: string | null;
    url: string | null;
    status: number;
    /** Epoch milliseconds. */
    startTime: number;
    start_time: number;
    /** The HTTP response; null for other requests. */
    response: Response | null;
  }

  /** A lifecycle event: listeners are added by the runtime's own code (see the README). */
  export interface EventHook<A> {
    /** Adds fn and returns it. */
    addListener<F extends (arg: A) => void>(fn: F): F;
    add_listener<F extends (arg: A) => void>(fn: F): F;
    removeListener(fn: (arg: A) => void): void;
    remove_listener(fn: (arg: A) => void): void;
  }

  export interface Events {
    /** Records a call of a custom client. */
    fire(event: RequestEvent): void;
    /** Listeners see this runtime's requests; fire records one. */
    request: EventHook<RequestInfo> & { fire(event: RequestEvent): void };
    /** When a test starts (the process runtime). */
    testStart: EventHook<{ run: RunInfo }>;
    test_start: EventHook<{ run: RunInfo }>;
    /** After the users stopped and teardown() ran (the process runtime). */
    testStop: EventHook<{ run: RunInfo }>;
    test_stop: EventHook<{ run: RunInfo }>;
    /** Each time the planned users run (the process runtime). */
    spawningComplete: EventHook<{ userCount: number; user_count: number }>;
    spawning_complete: EventHook<{ userCount: number; user_count: number }>;
    /** Once, as the process leaves (the process runtime). */
    quitting: EventHook<{ run: RunInfo }>;
    requestSuccess: { fire(event: RequestEvent): void };
    request_success: { fire(event: RequestEvent): void };
    requestFailure: { fire(event: RequestEvent): void };
    request_failure: { fire(event: RequestEvent): void };
    /** Times fn: a success with its value, or a failure (returning undefined) if it throws. */
    measure<T>(type: string, name: string, fn: () => T): T | undefined;
  }

  export const events: Events;

  /** Runs each check on value, counts passes and failures, and tells whether all passed. */
  export function check<T>(value: T, checks: Record<string, (value: T) => boolean>): boolean;

  /** Pauses the user for this many seconds. */
  export function sleep(seconds: number): void;

  /** Blocks the user (in onStart or a task) until spawning completes. */
  export function waitForSpawningComplete(): void;

  /** The run, read-only. */
  export interface RunInfo {
    /** The target number of users (a worker's share; with an arrival rate, the pre-allocated users). */
    readonly users: number;
    readonly state: "ready" | "spawning" | "running" | "stopping" | "stopped";
    /** 0 locally; a worker's 0-based place; -1 on the master. */
    readonly workerIndex: number;
    /** 1 locally; the number of workers in a distributed run. */
    readonly workerCount: number;
    /** The script's parameters, as params has them. */
    readonly parameters?: { readonly [name: string]: string | number | boolean };
  }

  /** Describes the run. */
  export const run: RunInfo;

  // ---- Test data and shared state ---------------------------------------

  /** A read-only array shared by every user of the process; each element read is a fresh copy. */
  export interface SharedData<T> extends ReadonlyArray<T> {}

  /** Options of csv(). */
  export interface CSVOptions {
    /** The first row names the columns (default true); false: rows are arrays. */
    header?: boolean;
    /** Whole-field numbers and true/false become numbers and booleans (default true). */
    types?: boolean;
    /** One character (default ","). */
    separator?: string;
  }

  /** A data file's text, read at load time, relative to the script. */
  export function open(path: string): string;
  /** A data file's bytes ("b"), read at load time, relative to the script. */
  export function open(path: string, mode: "b"): ArrayBuffer;
  /** A CSV file, parsed once per process, at load time. */
  export function csv<T = Record<string, string | number | boolean>>(path: string, options?: CSVOptions & { header?: true }): SharedData<T>;
  export function csv(path: string, options: CSVOptions & { header: false }): SharedData<Array<string | number | boolean>>;
  /** A JSON file holding an array (or an object), parsed once per process, at load time. */
  export function json<T = any>(path: string): SharedData<T>;
  /** The array fn returns, made once per process, at load time. */
  export function sharedArray<T>(name: string, fn: () => T[]): SharedData<T>;

  /** An integer shared by every user (the master's in a distributed run). */
  export interface Counter {
    readonly name: string;
    /** Adds n (default 1) and returns the new value. */
    add(n?: number): number;
    get(): number;
  }
  export function counter(name: string): Counter;

  /** Items each taken once by one user (the master hands them out in a distributed run). */
  export interface Queue<T> {
    readonly name: string;
    readonly onEmpty: "wait" | "recycle" | "stop";
    /** The next item; when the queue is dry, as onEmpty says (with "stop", undefined and the user stops). */
    take(): T;
    /** The next item, or undefined when the queue is dry. */
    tryTake(): T | undefined;
    /** Adds an item at the end. */
    put(item: T): void;
    /** The number of items left. */
    size(): number;
  }
  export function queue<T>(name: string, items: ArrayLike<T> | null | undefined, options: { onEmpty: "wait" | "recycle" | "stop" }): Queue<T>;

  // ---- Parameters and options --------------------------------------------

  /** A custom parameter: `export const parameters = { name: ParameterDeclaration }`. */
  export interface ParameterDeclaration {
    type?: "string" | "int" | "float" | "bool" | "duration";
    default?: string | number | boolean;
    help?: string;
    choices?: string[];
  }

  /**
   * The values of the script's parameters (read-only): from --kebab-name
   * flags, JSLOAD_* variables, the configuration file or their defaults.
   * Durations are in seconds. Empty while jsload first loads the script.
   */
  export const params: { readonly [name: string]: string | number | boolean };

  /** The shape of `export const options`: the run's flags in camelCase, and more. */
  export interface Options {
    host?: string;
    users?: number;
    spawnRate?: number;
    runTime?: string | number;
    headless?: boolean;
    autostart?: boolean;
    waitTime?: WaitTime;
    iterations?: number;
    arrivalRate?: number;
    maxVUs?: number;
    stages?: Array<{ duration: string | number; users?: number; spawnRate?: number; rate?: number }>;
    thresholds?: Record<string, string | Array<string | { threshold: string; abortOnFail?: boolean }>>;
    abortOnFailure?: boolean;
    tags?: string[];
    excludeTags?: string[];
    stopTimeout?: string | number;
    timeout?: string | number;
    connectTimeout?: string | number;
    maxBodySize?: string | number;
    discardResponseBodies?: boolean;
    protocol?: "auto" | "http1.1" | "h2c" | "h2";
    tls?: TLSOptions;
    insecureSkipTLSVerify?: boolean;
    [flag: string]: any;
  }
}

declare module "jsload/http" {
  import { http } from "jsload";
  export = http;
}

declare module "jsload/events" {
  import { events } from "jsload";
  export = events;
}

declare module "jsload/ws" {
  import { TLSOptions } from "jsload";
  export interface WSOptions {
    headers?: Record<string, string>;
    subprotocols?: string[];
    /** The stats name (default: the URL's path). */
    name?: string;
    /** Seconds, or "5s": the handshake's bound and receive/request/ping's default. */
    timeout?: number | string;
    /** Bytes, or "1MiB" (the default). */
    maxMessageSize?: number | string;
    tls?: TLSOptions;
  }
  export type WSData = string | ArrayBuffer;
  export interface WSConnection {
    readonly ok: boolean;
    readonly error: string | null;
    /** 101, or the refusing status. */
    readonly status: number;
    readonly protocol: string;
    readonly name: string;
    readonly url: string;
    readonly closed: boolean;
    readonly closeCode: number;
    readonly closeReason: string;
    send(data: string | ArrayBuffer | Uint8Array): boolean;
    /** Sends, then times the next message; null on a failure. */
    request(data: string | ArrayBuffer | Uint8Array, options?: { name?: string; timeout?: number | string }): WSData | null;
    /** The next message, or null after the timeout (seconds). */
    receive(timeout?: number | string): WSData | null;
    /** A message handler returning false ends wait(). */
    on(event: "message", handler: (this: WSConnection, data: WSData, binary: boolean) => boolean | void): void;
    on(event: "close", handler: (this: WSConnection, code: number, reason: string) => void): void;
    /** Runs the handlers for up to this many seconds (default: until the connection ends). */
    wait(seconds?: number): void;
    /** The round trip in ms, or null. */
    ping(): number | null;
    /** code: 1000, 1001 or 3000-4999. */
    close(code?: number, reason?: string): void;
  }
  export function connect(url: string, options?: WSOptions): WSConnection;
  const ws: { connect: typeof connect };
  export default ws;
}

declare module "jsload/grpc" {
  import { TLSOptions } from "jsload";
  /** What grpc.load and grpc.reflect return: the methods found ("package.Service/Method"). */
  export interface Protos {
    readonly methods: string[];
  }
  export interface GRPCConnectOptions {
    /** One grpc.load/grpc.reflect result or several (default: all this user loaded). */
    protos?: Protos | Protos[];
    /** No TLS (the default is TLS). */
    plaintext?: boolean;
    tls?: TLSOptions;
    /** Each call's deadline: seconds, or "5s". */
    timeout?: number | string;
    connectTimeout?: number | string;
    /** Sent with every call. */
    metadata?: Record<string, string | string[]>;
  }
  export interface GRPCParams {
    metadata?: Record<string, string | string[]>;
    timeout?: number | string;
    /** The stats name (default: "/package.Service/Method"). */
    name?: string;
  }
  export interface GRPCResult {
    readonly ok: boolean;
    /** "OK", "NOT_FOUND", ... */
    readonly status: string;
    readonly code: number;
    /** null, or "CODE: message". */
    readonly error: string | null;
    /** The (last) reply, or null. */
    readonly message: any;
    /** Every reply (server-streaming and bidirectional methods). */
    readonly messages?: any[];
    readonly headers: Record<string, string>;
    readonly trailers: Record<string, string>;
    /** Milliseconds. */
    readonly duration: number;
  }
  export interface GRPCStream {
    send(message: object): boolean;
    /** The next reply, or null at the end. */
    recv(): any;
    closeSend(): void;
    /** Closes the sending side, reads the rest, records the call. */
    end(): GRPCResult;
    /** Ends the call from the client's side and records it. */
    close(): GRPCResult;
  }
  export interface GRPCConnection {
    readonly target: string;
    invoke(method: string, message?: object, params?: GRPCParams): GRPCResult;
    serverStream(method: string, message?: object, params?: GRPCParams): GRPCResult;
    clientStream(method: string, messages: object[], params?: GRPCParams): GRPCResult;
    bidiStream(method: string, messages: object[], params?: GRPCParams): GRPCResult;
    stream(method: string, params?: GRPCParams): GRPCStream;
    close(): void;
  }
  /** Compiles .proto files (relative to the script) once per script: call it at the top level. */
  export function load(files: string | string[], options?: { importPaths?: string | string[] }): Protos;
  /** Asks the server for its methods by server reflection, once per script and target. */
  export function reflect(target: string, options?: GRPCConnectOptions): Protos;
  /** A connection of the user ("host:port"), made on the first call. */
  export function connect(target: string, options?: GRPCConnectOptions): GRPCConnection;
  const grpc: { load: typeof load; reflect: typeof reflect; connect: typeof connect };
  export default grpc;
}

declare module "jsload/tcp" {
  import { TLSOptions } from "jsload";
  export interface TCPOptions {
    /** The stats name (default host:port). */
    name?: string;
    /** true: the run's --tls-* options. */
    tls?: boolean | TLSOptions;
    timeout?: number | string;
    /** Bytes, or "64KiB" (default 1 MiB). */
    maxRead?: number | string;
    /** Reads return ArrayBuffers instead of strings. */
    binary?: boolean;
  }
  type ReadTimeout = number | string | { timeout?: number | string };
  export interface TCPConnection {
    readonly ok: boolean;
    readonly error: string | null;
    readonly name: string;
    readonly address: string;
    readonly closed: boolean;
    write(data: string | ArrayBuffer | Uint8Array, options?: { name?: string }): boolean;
    /** Up to and including the delimiter; null on a failure. */
    readUntil(delimiter: string, timeout?: ReadTimeout): string | ArrayBuffer | null;
    /** Exactly n bytes; null on a failure. */
    read(n: number, timeout?: ReadTimeout): string | ArrayBuffer | null;
    /** What has arrived, or the next bytes within the timeout. */
    readSome(timeout?: ReadTimeout): string | ArrayBuffer | null;
    close(): void;
  }
  export function connect(address: string, options?: TCPOptions): TCPConnection;
  const tcp: { connect: typeof connect };
  export default tcp;
}

declare module "jsload/encoding" {
  type Base64Variant = "std" | "rawstd" | "url" | "rawurl";
  export function b64encode(data: JsloadBytes, variant?: Base64Variant): string;
  export function b64decode(text: string, variant: Base64Variant | undefined, format: "s"): string;
  export function b64decode(text: string, variant?: Base64Variant): ArrayBuffer;
  export function hexEncode(data: JsloadBytes): string;
  export function hexDecode(text: string, format: "s"): string;
  export function hexDecode(text: string): ArrayBuffer;
  export const TextEncoder: JsloadTextEncoder;
  export const TextDecoder: JsloadTextDecoder;
}

declare module "jsload/crypto" {
  type Algorithm = "md5" | "sha1" | "sha256" | "sha384" | "sha512" | "sha512_224" | "sha512_256";
  type Output = "hex" | "base64" | "base64url" | "base64rawurl";
  interface Hasher {
    update(data: JsloadBytes): Hasher;
    digest(out?: Output): string;
    digest(out: "binary"): ArrayBuffer;
  }
  export function md5(data: JsloadBytes, out?: Output): string;
  export function md5(data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function sha1(data: JsloadBytes, out?: Output): string;
  export function sha1(data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function sha256(data: JsloadBytes, out?: Output): string;
  export function sha256(data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function sha384(data: JsloadBytes, out?: Output): string;
  export function sha384(data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function sha512(data: JsloadBytes, out?: Output): string;
  export function sha512(data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function sha512_224(data: JsloadBytes, out?: Output): string;
  export function sha512_224(data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function sha512_256(data: JsloadBytes, out?: Output): string;
  export function sha512_256(data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function hmac(algorithm: Algorithm, key: JsloadBytes, data: JsloadBytes, out?: Output): string;
  export function hmac(algorithm: Algorithm, key: JsloadBytes, data: JsloadBytes, out: "binary"): ArrayBuffer;
  export function createHash(algorithm: Algorithm): Hasher;
  export function createHMAC(algorithm: Algorithm, key: JsloadBytes): Hasher;
  /** n random bytes from a cryptographic source. */
  export function randomBytes(n: number): ArrayBuffer;
  /** A random (version 4) UUID. */
  export function randomUUID(): string;
  export function hexEncode(data: JsloadBytes): string;
}

/** The user's number, from 1 (0 in setup and teardown). */
declare const __VU: number;
/** How many tasks this user has run, from 0. */
declare const __ITER: number;
/** The environment variables. */
declare const __ENV: { [name: string]: string | undefined };

declare var console: {
  log(...data: any[]): void;
  info(...data: any[]): void;
  warn(...data: any[]): void;
  error(...data: any[]): void;
  debug(...data: any[]): void;
};

/** UTF-8 only. */
declare class TextEncoder {
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array;
}

/** UTF-8 only. */
declare class TextDecoder {
  constructor(label?: "utf-8" | "utf8", options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: "utf-8";
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}
