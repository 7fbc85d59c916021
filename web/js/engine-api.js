// The engine's stand-in for a copy of the playground without httpplay.wasm,
// such as the one built into a `go install`ed httpplay (the module proxy
// has no build output): the same Engine methods, answered by the server
// that sent the page, through its JSON API. engine.js loads this module
// only when the WebAssembly engine could not start.

import { ScenarioError } from './engine.js';

/**
 * loadApiEngine resolves to an ApiEngine when the page's own server
 * answers the API, and otherwise rejects with cause, why the WebAssembly
 * engine did not start: on a static host that lacks the module, that is
 * the error to show.
 */
export async function loadApiEngine(cause) {
  let health;
  try {
    health = await fetch('api/health', { headers: { Accept: 'application/json' } });
  } catch {
    throw cause;
  }
  if (!health.ok || !(health.headers.get('Content-Type') || '').startsWith('application/json')) throw cause;
  const [policies, presets] = await Promise.all([getJSON('api/policies'), getJSON('api/presets')]);
  return new ApiEngine(policies, presets);
}

// PRESET_WAIT bounds the wait for a preset's matrix from the server: the
// page holds the engine's first run for it, and a server slower than this
// is slower than the engine.
const PRESET_WAIT = 2000;

/**
 * presetResult asks the page's server for the matrix of a built-in preset
 * under the given policies (GET api/presets/{name}) and resolves to
 * {json, result} as Engine.run returns it, or to null where the server
 * cannot answer it: a static host without the API, a network error, an
 * empty policy list, a run past the API's bounds, an answer that is not a
 * result, or no answer within PRESET_WAIT. The server runs the same engine, so the answer is the one
 * Engine.run would give. asked, when given, is the response to the same
 * question that is already on its way (boot.js asks early on a first
 * visit), used instead of asking again.
 */
export async function presetResult(name, policies, asked = null) {
  if (policies.length === 0) return null;
  try {
    const query = new URLSearchParams({ policies: policies.join(',') });
    const res = await (asked ?? fetch(`api/presets/${encodeURIComponent(name)}?${query}`,
      { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(PRESET_WAIT) }));
    if (res.status !== 200 || !(res.headers.get('Content-Type') || '').startsWith('application/json')) return null;
    const json = await res.text();
    const result = JSON.parse(json);
    // Another application on that path (a proxy, a catch-all route) may
    // answer JSON that is no result: the engine answers instead.
    if (!Array.isArray(result?.steps) || !Array.isArray(result?.policies)) return null;
    return { json, result };
  } catch {
    return null;
  }
}

async function getJSON(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  return res.json();
}

/**
 * ApiEngine runs scenarios on the server, with the methods of Engine.
 * run stays synchronous, as the page expects of every engine, so it uses a
 * synchronous request; the server is the one that sent the page, usually
 * on the same machine, and answers in a few milliseconds.
 */
export class ApiEngine {
  /** note is what the page adds to its status line after a run. */
  note = ' · run by the server: this copy of the playground has no WebAssembly engine';
  /** runsOn says where scenarios go, for the pages' notes about it. */
  runsOn = 'server';

  #policies;
  #presets;

  constructor(policies, presets) {
    this.#policies = policies;
    this.#presets = presets;
  }

  /**
   * run simulates text under options ({policies: [...]}) with POST
   * api/run and returns {json, result} as Engine.run does. The API has its
   * own bounds (1000 race states per column), so a large race is an error
   * here where the WebAssembly engine shows it as partial.
   */
  run(text, options = {}) {
    const { policies, policyJSON, isolation } = options;
    if (isolation !== undefined) throw new Error('isolation levels need the WebAssembly engine');
    const body = { scenario: String(text) };
    if (policies !== undefined) body.policies = policies;
    if (policyJSON !== undefined) body.policy = policyJSON;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', 'api/run', false);
    xhr.setRequestHeader('Content-Type', 'application/json');
    try {
      xhr.send(JSON.stringify(body));
    } catch (err) {
      throw new Error(`the server did not answer: ${err.message}`);
    }
    if (xhr.status === 200) return { json: xhr.responseText, result: JSON.parse(xhr.responseText) };
    throw problemError(xhr);
  }

  /** policies lists the built-in policies, as the server sent them. */
  policies() {
    return this.#policies;
  }

  /** presets lists the ready-made scenarios, as the server sent them. */
  presets() {
    return this.#presets;
  }
}

// problemError turns an API problem (RFC 9457) into the error Engine.run
// would have thrown: a ScenarioError with the position when the scenario
// is to blame.
function problemError(xhr) {
  let problem = null;
  try {
    problem = JSON.parse(xhr.responseText);
  } catch { /* not a problem document */ }
  if (!problem || typeof problem !== 'object') return new Error(`the server answered ${xhr.status} ${xhr.statusText}`);
  const detail = String(problem.detail ?? problem.title ?? xhr.status);
  const line = Number(problem.line) || 0;
  const column = Number(problem.column) || 0;
  if (line > 0) {
    // The API's detail starts with the position, which the page shows itself.
    const bare = detail.replace(/^line \d+, column \d+: /, '');
    return new ScenarioError(detail, { line, column, detail: bare });
  }
  return new Error(detail);
}
