// The simulator, compiled to WebAssembly, behind a small promise-based API.
// wasm_exec.js (Go's support file) defines globalThis.Go; the Go program
// installs globalThis.httpplay.

/** ScenarioError is a scenario the engine could not read, with a position. */
export class ScenarioError extends Error {
  constructor(message, { line = 0, column = 0, detail = message } = {}) {
    super(message);
    this.name = 'ScenarioError';
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

// LIMITS bounds the race exploration of one run. Scenarios come from links
// anyone can write, and a race of eight requests has tens of thousands of
// states per column: without a bound such a link would freeze the tab for
// minutes. A race cut short is shown as partial. Presets need a few hundred.
const LIMITS = { maxStates: 10000, maxTotalStates: 20000 };

let loading = null;

/**
 * loadEngine fetches, compiles and starts the engine once per page and
 * resolves to an Engine. url is relative to the page. The module is
 * compiled (if boot.js has not begun already) and started only once after
 * has settled: both take the page's main thread, which the page may need
 * first.
 */
export function loadEngine(url = 'httpplay.wasm', { after = null } = {}) {
  // Without the module (a build without `make wasm`) the server may run scenarios.
  loading ??= start(url, after).catch((err) => import('./engine-api.js').then((api) => api.loadApiEngine(err)));
  return loading;
}

async function start(url, after) {
  // boot.js has started loading the module long before this one ran,
  // unless it holds that for after the first matrix.
  await after?.catch(() => {});
  let compiling = globalThis.httpplayCompile?.();
  if (!compiling) {
    // boot.js has not run (the embed view loads it async): a boot.js
    // that runs later must take this compile, not fetch the module again.
    compiling = compile(url);
    globalThis.httpplayCompile = () => compiling;
  }
  compiling.catch(() => {}); // awaited below
  // wasm_exec.js is a classic script that only assigns globalThis.Go, so
  // it loads as a module too, and only when the engine starts: it has no
  // part in the first matrix.
  if (typeof globalThis.Go !== 'function') {
    try {
      await import(new URL('../wasm_exec.js', import.meta.url).href);
    } catch {
      // Reported below, as when the file defines no Go.
    }
  }
  if (typeof globalThis.Go !== 'function') throw new Error('wasm_exec.js did not load');
  const go = new globalThis.Go();
  const module = await compiling;
  const instance = await WebAssembly.instantiate(module, go.importObject);
  // The marks let `make bench-web` break the time to the first matrix down.
  performance.mark('httpplay:engine-compiled');
  // run() executes main synchronously until it blocks, and main installs
  // the API object before blocking, so it exists when run() returns.
  go.run(instance);
  performance.mark('httpplay:engine-started');
  const api = globalThis.httpplay;
  if (!api || typeof api.run !== 'function') throw new Error('the engine did not start');
  return new Engine(api);
}

async function compile(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`loading ${url}: ${res.status} ${res.statusText}`);
  return (res.headers.get('Content-Type') || '').startsWith('application/wasm')
    ? WebAssembly.compileStreaming(res)
    : WebAssembly.compile(await res.arrayBuffer());
}

/** Engine runs scenarios; every method is synchronous and fast. */
export class Engine {
  #api;
  #policies = null;
  #presets = null;

  constructor(api) {
    this.#api = api;
  }

  /**
   * run simulates text under options ({policies: [...]}, within LIMITS) and returns
   * {json, result}: the canonical JSON text and its parsed form.
   * It throws ScenarioError for scenario mistakes and Error for the rest.
   */
  run(text, options = {}) {
    const out = this.#api.run(String(text), JSON.stringify({ ...LIMITS, ...options }));
    if (typeof out !== 'string') throw toError(out);
    return { json: out, result: JSON.parse(out) };
  }

  /** markdown is the matrix of text under options as the Markdown table the CLI prints. */
  markdown(text, options = {}) {
    const out = this.#api.markdown(String(text), JSON.stringify({ ...LIMITS, ...options }));
    if (typeof out !== 'string') throw toError(out);
    return out;
  }

  /** policies lists the built-in policies: {id, name, source, url, summary, guideline, default}. */
  policies() {
    this.#policies ??= this.#decode(this.#api.policies());
    return this.#policies;
  }

  /** presets lists the ready-made scenarios: {name, title, description, text}. */
  presets() {
    this.#presets ??= this.#decode(this.#api.presets());
    return this.#presets;
  }

  #decode(out) {
    if (typeof out !== 'string') throw toError(out);
    return JSON.parse(out);
  }
}

function toError(value) {
  if (value instanceof Error && value.name === 'ScenarioError') {
    return new ScenarioError(value.message, {
      line: Number(value.line) || 0,
      column: Number(value.column) || 0,
      detail: String(value.detail ?? value.message),
    });
  }
  if (value instanceof Error) return new Error(String(value.detail ?? value.message));
  return new Error(String(value));
}
