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

export default {
  async fetch(request, env) {
    // A request under /mock/ goes to the Durable Object of its sandbox,
    // named by Go (entry_worker.go) from the policy and the session; one
    // the mock refuses (no such policy, a bad session) gets "" and is
    // answered here, so that no object is made for it.
    const path = new URL(request.url).pathname;
    if (path.startsWith('/mock/')) {
      const go = await instance(env);
      const name = go.binding.sandboxName(path, request.headers.get('Httpplay-Session') ?? '');
      if (name !== '') return env.SANDBOX.get(env.SANDBOX.idFromName(name)).fetch(request);
    }
    return serve(request, env);
  },
};

/**
 * Sandbox is the Durable Object of one sandbox of the mock: one policy
 * and session. Cloudflare runs at most one of each name at a time,
 * wherever the requests come from, and hands it every request of its
 * sandbox; it serves them with the Go instance of the isolate it runs in,
 * whose world for the sandbox it names by a holder id of its own
 * (sandbox.go, withHeldSandboxes). The world lives in memory only: an
 * object made afresh, after Cloudflare evicted an idle one, has a new
 * holder id and so an empty world, and the Go side forgets the old world
 * by its own bounds (idle for 30 minutes, or the least recently used of
 * 128).
 */
export class Sandbox extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.holder = crypto.randomUUID();
  }

  async fetch(request) {
    // The holder header is set here, over any a client sent.
    const headers = new Headers(request.headers);
    headers.set('Httpplay-Sandbox-Holder', this.holder);
    return serve(new Request(request, { headers }), this.env);
  }
}
