// The Cloudflare Worker's JavaScript side. It starts one Go instance per
// isolate, at the first request that reaches the Worker, and hands it every
// request after that. syumai/workers' generated glue instead instantiates the
// module and runs Go's main for each request, which cost about 15 ms of CPU
// before any work was done (README, "Deploy to Cloudflare Workers").
//
// Requests in flight at the same time share the instance: each is served on
// its own goroutine by the same http.Handler the native server runs with
// concurrent requests, and the API keeps no state between requests
// (entry_worker.go). The mock under /mock/ does: each sandbox's requests
// go to its Durable Object (Sandbox below), which serves them with the Go
// instance of its own isolate.
//
// wasm_exec.js is Go's own support file from the toolchain that built
// app.wasm (`make worker` copies both into build/), so the two always match.
import { DurableObject } from 'cloudflare:workers';
import '../build/wasm_exec.js';
import app from '../build/app.wasm';

/** current is the running instance: {binding, ready, exited, broken}, or null. */
let current = null;

/**
 * start instantiates app.wasm and runs its main until it reports ready.
 * syumai/workers reads its handles from globalThis.context when the Go
 * program initialises: `binding` receives handleRequest (and the
 * sandboxName of entry_worker.go), `env` the Worker's bindings (the
 * Durable Object namespace, which Go does not use). The request's
 * ExecutionContext is not given, since it would belong to the first
 * request only; the Go side never uses it.
 */
function start(env) {
  const binding = {};
  globalThis.context = { binding, env };
  globalThis.tryCatch ??= (fn) => {
    try {
      return { result: fn() };
    } catch (error) {
      return { error };
    }
  };
  const go = new globalThis.Go();
  let exitCode = null;
  go.exit = (code) => { exitCode = code; };
  let ready;
  const instance = {
    binding,
    broken: false,
    ready: new Promise((ok) => { ready = ok; }),
    exited: null,
  };
  const wasm = new WebAssembly.Instance(app, { ...go.importObject, workers: { ready: () => ready() } });
  // run executes main synchronously until it blocks; main calls ready
  // before that, so the ready promise is settled when run returns.
  instance.exited = go.run(wasm).then(() => {
    instance.broken = true;
    throw new Error(`the Go instance exited with status ${exitCode}`);
  });
  // A request that is in flight when Go exits sees the error through
  // Promise.race below; with none in flight, nobody is waiting for it.
  instance.exited.catch(() => {});
  // One line per isolate start, in `wrangler tail` and under `wrangler
  // dev`: the Worker test counts them to check that instances are reused.
  // (No duration: the Workers clock stands still while code runs.)
  console.warn('httpplay: Go instance started');
  return instance;
}

/** instance returns the isolate's running Go instance, started if need be. */
async function instance(env) {
  if (current === null || current.broken) current = start(env);
  const go = current;
  await go.ready;
  return go;
}

/** serve hands a request to the Go handler and resolves to its answer. */
async function serve(request, env) {
  const go = await instance(env);
  try {
    return await Promise.race([go.binding.handleRequest(request), go.exited]);
  } catch (err) {
    // A trap (out of memory, unreachable code) leaves the instance
    // unusable without making it exit; the next request starts afresh.
    if (err instanceof WebAssembly.RuntimeError) go.broken = true;
    throw err;
  }
}

/** HOLDER and OWN are the mock's internal header fields (sandbox.go). */
const HOLDER = 'Httpplay-Sandbox-Holder';
const OWN = 'Httpplay-Sandbox-Own';

/** withoutHeaders is request, or response, without the named header fields. */
function withoutHeaders(message, ...names) {
  if (!names.some((n) => message.headers.has(n))) return message;
  const headers = new Headers(message.headers);
  for (const n of names) headers.delete(n);
  return message instanceof Request
    ? new Request(message, { headers })
    : new Response(message.body, { status: message.status, statusText: message.statusText, headers });
}

/**
 * pathname is the path of a request's URL, as URL.pathname gives it for
 * the absolute, normalised URL the runtime hands a Worker
 * ("http://host/path?query"; a request has no fragment), without parsing
 * all of it: new URL() was the largest part of the JavaScript's own time
 * in a request for /api/health.
 */
function pathname(url) {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const query = url.indexOf('?', start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

export default {
  async fetch(request, env) {
    // Only a sandbox's object names a holder: one a client sends would
    // reach a world no object keeps.
    request = withoutHeaders(request, HOLDER);
    // A request under /mock/ goes to the Durable Object of its sandbox,
    // named by Go (entry_worker.go) from the policy and the session; one
    // the mock refuses (no such policy, a bad session) gets null and is
    // answered here, so that no object is made for it.
    const path = pathname(request.url);
    if (path.startsWith('/mock/')) {
      const go = await instance(env);
      const route = go.binding.sandboxName(path, request.headers.get('Httpplay-Session') ?? '');
      if (route !== null) return env.SANDBOX.get(env.SANDBOX.idFromName(route.name)).fetch(request);
    }
    return serve(request, env);
  },
};

/** SAFE are the methods that never change a world, and are not journaled. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The journal of a sandbox holds at most this many requests and bytes. */
const MAX_JOURNAL_REQUESTS = 256;
const MAX_JOURNAL_BYTES = 1 << 20;
/** At most this many writes wait for a sandbox at once; more are told to retry. */
const MAX_QUEUED_WRITES = 32;
/** A sandbox is forgotten this long after its last request, as natively. */
const DEFAULT_IDLE_SECONDS = 30 * 60;

/**
 * Sandbox is the Durable Object of one sandbox of the mock: one policy
 * and session. Cloudflare runs at most one of each name at a time,
 * wherever the requests come from, and hands it every request of its
 * sandbox. The world itself is Go's, in the isolate the object runs in
 * (sandbox.go keeps it under the object's holder id); the object keeps
 * the journal that makes it again: every request that may have changed
 * it, in order, in the object's SQLite storage. When the object finds
 * that Go does not hold its world (a fresh object after Cloudflare
 * evicted the last one, a new isolate, or a world Go's bounds forgot), it
 * replays the journal into an empty one first: the simulator is
 * deterministic (sequential ids and versions, no clock), so the replay
 * makes the same world. An alarm forgets the sandbox, journal and world,
 * after its idle time.
 */
export class Sandbox extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.holder = crypto.randomUUID();
    const idle = Number(env.SANDBOX_IDLE_SECONDS);
    this.idleMs = (Number.isFinite(idle) && idle > 0 ? idle : DEFAULT_IDLE_SECONDS) * 1000;
    // The alarm is moved at most once per tenth of the idle time (3
    // minutes by default), so that requests do not each cost a storage
    // write.
    this.alarmAt = 0;
    this.lastRequest = 0;
    this.replaying = null;
    this.queued = 0;
    // Requests that may change the world go to Go one at a time, so that
    // the journal's order is the order Go applied them in.
    this.writes = Promise.resolve();
    this.journal = { requests: 0, bytes: 0 };
    this.hasJournal = ctx.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'journal'").one().n > 0;
    if (this.hasJournal) {
      this.journal = ctx.storage.sql.exec('SELECT count(*) AS requests, coalesce(sum(length(url) + length(headers) + coalesce(length(body), 0)), 0) AS bytes FROM journal').one();
    }
  }

  async fetch(request) {
    try {
      return withoutHeaders(await this.answer(request), OWN);
    } catch (err) {
      // The object's own failure (storage, a replay cut short) is a
      // problem document like the mock's, never workerd's plain text.
      if (err instanceof Busy) return busy();
      return problem(500, 'Internal Server Error', `the sandbox could not answer: ${err.message}`);
    }
  }

  async answer(request) {
    const go = await instance(this.env);
    const route = go.binding.sandboxName(pathname(request.url), request.headers.get('Httpplay-Session') ?? '');
    if (route === null) return serve(request, this.env); // the Worker answers these itself
    this.lastRequest = Date.now();
    await this.touch();
    // The body is read before the request waits its turn, so that a slow
    // upload holds neither the writes behind it nor one of Go's slots.
    const buffered = await bufferBody(request, go.binding.sandboxMaxBody);
    if (SAFE.has(request.method)) return this.send(route, request, buffered);
    if (this.queued >= MAX_QUEUED_WRITES) return busy();
    this.queued++;
    const answer = this.writes.then(() => this.write(route, request, buffered)).finally(() => { this.queued--; });
    this.writes = answer.catch(() => {});
    return answer;
  }

  /** write serves a request that may change the world, and journals it. */
  async write(route, request, { body, whole }) {
    const entry = {
      method: request.method,
      url: request.url,
      headers: JSON.stringify([...request.headers].filter(([h]) => h !== HOLDER.toLowerCase())),
      body: whole ? body : null,
    };
    const size = entry.url.length + entry.headers.length + (entry.body?.byteLength ?? 0);
    const journaled = whole && route.control === '';
    if (journaled && (this.journal.requests >= MAX_JOURNAL_REQUESTS || this.journal.bytes + size > MAX_JOURNAL_BYTES)) {
      const policy = route.name.slice(0, route.name.indexOf('/'));
      return problem(507, 'Insufficient Storage', `this sandbox has recorded ${this.journal.requests} requests ` +
        `(${this.journal.bytes} bytes) that may change it, as many as it keeps; POST /mock/${policy}/_httpplay/reset empties it`);
    }
    const answer = await this.send(route, request, { body, whole });
    try {
      if (route.control === 'reset' && answer.status === 204) {
        this.forget();
      } else if (journaled && !answer.headers.has(OWN)) {
        this.record(entry, size);
        // An alarm that fired while this write waited for Go deleted the
        // storage: the new journal needs an alarm of its own.
        if (this.alarmAt === 0) await this.touch();
      }
    } catch (err) {
      // The world changed but the journal could not say so: a new holder
      // makes the next request replay the journal as it stands.
      this.holder = crypto.randomUUID();
      throw err;
    }
    return answer;
  }

  /**
   * send hands a request to Go once its world is there, and once more if
   * Go lost the world in between (its bounds forgot it, or the instance
   * was started afresh): Go never makes a held world anew by itself, so a
   * request never lands in an empty world the journal knows nothing of.
   * A reset needs no replay: it empties the world.
   */
  async send(route, request, { body, whole }) {
    for (let attempt = 0; ; attempt++) {
      if (route.control === 'reset') this.open(await instance(this.env), route.name);
      else await this.restore(route.name);
      const answer = await this.forward(new Request(request, { body, headers: request.headers }));
      // A stream is read once; a body that large is refused in any world.
      if (answer.headers.get(OWN) !== 'lost' || attempt > 0 || !whole) return answer;
      await answer.arrayBuffer();
    }
  }

  /** record appends a request to the journal. */
  record(entry, size) {
    if (!this.hasJournal) {
      this.ctx.storage.sql.exec('CREATE TABLE journal (seq INTEGER PRIMARY KEY, method TEXT NOT NULL, url TEXT NOT NULL, headers TEXT NOT NULL, body BLOB)');
      this.hasJournal = true;
    }
    this.ctx.storage.sql.exec('INSERT INTO journal (method, url, headers, body) VALUES (?, ?, ?, ?)',
      entry.method, entry.url, entry.headers, entry.body);
    this.journal = { requests: this.journal.requests + 1, bytes: this.journal.bytes + size };
  }

  /** forget empties the journal; the world is emptied by Go or dropped with its holder. */
  forget() {
    if (this.hasJournal) this.ctx.storage.sql.exec('DELETE FROM journal');
    this.journal = { requests: 0, bytes: 0 };
  }

  /**
   * restore makes sure Go holds the world of this object: if not, it
   * opens an empty one (in the same step as the question, so nothing can
   * come between) and replays the journal into it. Requests that come
   * meanwhile wait for the same replay.
   */
  async restore(name) {
    const go = await instance(this.env);
    if (this.replaying === null && !go.binding.sandboxHeld(name, this.holder)) {
      this.open(go, name);
      if (this.journal.requests > 0) {
        // A replay cut short leaves part of the world: a new holder id
        // makes the next request replay into an empty one again.
        this.replaying = this.replay(go)
          .catch((err) => { this.holder = crypto.randomUUID(); throw err; })
          .finally(() => { this.replaying = null; });
      }
    }
    if (this.replaying !== null) await this.replaying;
  }

  /** open makes an empty world in Go for this object's holder. */
  open(go, name) {
    if (!go.binding.sandboxOpen(name, this.holder)) throw new Error(`no world could be made for ${name}`);
  }

  /**
   * replay plays the journal into the world just opened, on the instance
   * that opened it; any answer that is the mock's own (every slot busy,
   * the world lost again) or another instance stops it, since the world
   * would not be the journal's.
   */
  async replay(go) {
    const rows = this.ctx.storage.sql.exec('SELECT method, url, headers, body FROM journal ORDER BY seq').toArray();
    for (const row of rows) {
      if (current !== go) throw new Error('the Go instance was started afresh during the replay');
      const answer = await this.forward(new Request(row.url, { method: row.method, headers: JSON.parse(row.headers), body: row.body }));
      await answer.arrayBuffer();
      const own = answer.headers.get(OWN);
      if (own === 'busy') throw new Busy();
      if (own !== null) throw new Error(`the replay was refused (${own})`);
    }
  }

  /** forward hands a request to Go under this object's holder id, set here over any a client sent. */
  forward(request) {
    const headers = new Headers(request.headers);
    headers.set(HOLDER, this.holder);
    return serve(new Request(request, { headers }), this.env);
  }

  /**
   * touch keeps the alarm that forgets the sandbox at least its idle time
   * away: when it is nearer, it moves to a tenth more than that, so that
   * it moves at most once per tenth of the idle time.
   */
  async touch() {
    const now = Date.now();
    if (this.alarmAt - now >= this.idleMs) return;
    this.alarmAt = now + this.idleMs + this.idleMs / 10;
    await this.ctx.storage.setAlarm(this.alarmAt);
  }

  /**
   * alarm forgets the sandbox after its idle time: the journal (all of
   * the object's storage, the alarm included) and, through a new holder
   * id, the world, which Go's own bounds then drop.
   */
  async alarm() {
    // An object that lost its memory (evicted, then woken by the alarm)
    // has no last request, and the alarm stands for it.
    if (this.lastRequest > 0 && Date.now() < this.lastRequest + this.idleMs) {
      this.alarmAt = 0;
      await this.touch();
      return;
    }
    await this.ctx.storage.deleteAll();
    this.hasJournal = false;
    this.journal = { requests: 0, bytes: 0 };
    this.alarmAt = 0;
    this.holder = crypto.randomUUID();
  }
}

/**
 * bufferBody reads a body of at most limit bytes into one ArrayBuffer, to
 * journal it: {body, whole: true}. A larger one is not read further: it
 * comes back as a stream of what was read and the rest, {body, whole:
 * false}, for Go to refuse and discard (body_worker.go).
 */
async function bufferBody(request, limit) {
  if (request.body === null) return { body: null, whole: true };
  if (Number(request.headers.get('Content-Length')) > limit) return { body: request.body, whole: false };
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  while (size <= limit) {
    const { done, value } = await reader.read();
    if (done) {
      const body = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.byteLength;
      }
      return { body: body.buffer, whole: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const body = new ReadableStream({
    async pull(controller) {
      if (chunks.length > 0) {
        controller.enqueue(chunks.shift());
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { body, whole: false };
}

/** Busy is a replay stopped by a mock with every slot taken: the client may retry. */
class Busy extends Error {}

/** busy is the object's answer when it cannot take a request now. */
function busy() {
  const answer = problem(503, 'Service Unavailable', 'this sandbox has too many requests waiting; retry in a second');
  answer.headers.set('Retry-After', '1');
  return answer;
}

/** problem is an answer of the object itself, in the form of the mock's own (mockProblem in mock.go). */
function problem(status, title, detail) {
  const body = JSON.stringify({ detail, status, title, type: 'about:blank' }) + '\n';
  return new Response(body, { status, headers: { 'Content-Type': 'application/problem+json' } });
}
