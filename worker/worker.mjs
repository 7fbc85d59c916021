// The Cloudflare Worker's JavaScript side. It starts one Go instance per
// isolate, at the first request that reaches the Worker, and hands it every
// request after that. syumai/workers' generated glue instead instantiates the
// module and runs Go's main for each request, which cost about 15 ms of CPU
// before any work was done (README, "Deploy to Cloudflare Workers").
//
// Requests in flight at the same time share the instance: each is served on
// its own goroutine by the same http.Handler the native server runs with
// concurrent requests, and the Go side keeps no state between requests
// (entry_worker.go).
//
// wasm_exec.js is Go's own support file from the toolchain that built
// app.wasm (`make worker` copies both into build/), so the two always match.
import '../build/wasm_exec.js';
import app from '../build/app.wasm';

/** current is the running instance: {binding, ready, exited, broken}, or null. */
let current = null;

/**
 * start instantiates app.wasm and runs its main until it reports ready.
 * syumai/workers reads its handles from globalThis.context when the Go
 * program initialises: `binding` receives handleRequest, `env` the
 * Worker's bindings (this Worker has none). The request's
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

export default {
  async fetch(request, env) {
    if (current === null || current.broken) current = start(env);
    const go = current;
    await go.ready;
    try {
      return await Promise.race([go.binding.handleRequest(request), go.exited]);
    } catch (err) {
      // A trap (out of memory, unreachable code) leaves the instance
      // unusable without making it exit; the next request starts afresh.
      if (err instanceof WebAssembly.RuntimeError) go.broken = true;
      throw err;
    }
  },
};
