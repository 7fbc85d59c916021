// The embed view: a read-only, compact matrix for documentation iframes.
// It reads the same fragment as the playground and links back to it, plus
// two options of its own: theme=light|dark|auto (auto follows the reader's
// system; a docs page with one look should say which) and compact (status
// codes only, no situations).

import { $, h } from './dom.js';
import { loadEngine, ScenarioError } from './engine.js';
import { renderMatrix } from './matrix.js';
import { decodeState, embedOptions } from './permalink.js';

const title = $('embed-title');
const matrix = $('embed-matrix');
const error = $('embed-error');
const open = $('open-playground');

// The fragment is copied verbatim into the playground link only after it
// decoded cleanly, so the link never carries something the page rejected.
async function main() {
  const enginePromise = loadEngine();
  const options = embedOptions(location.hash);
  if (options.theme !== 'auto') document.documentElement.dataset.theme = options.theme;
  document.documentElement.classList.toggle('embed-compact', options.compact);
  let link;
  try {
    link = await decodeState(location.hash);
  } catch (err) {
    return fail(`This embed link could not be read (${err.message}).`);
  }
  const engine = await enginePromise;
  if (engine.runsOn === 'server') {
    const foot = document.querySelector('.embed-foot');
    const home = foot?.querySelector('a');
    if (home) foot.replaceChildren('Simulated by ', home, ' on the server that sent this page · hover a cell for its situation');
  }
  const catalog = engine.policies();
  let text = link?.text;
  if (link?.preset) text = engine.presets().find((p) => p.name === link.preset)?.text;
  if (typeof text !== 'string') {
    return fail(link ? 'This embed link names no scenario.' : 'This embed has no scenario: add one after #.');
  }
  const known = new Set(catalog.map((p) => p.id));
  const policies = (link.policies || []).filter((id) => known.has(id));
  try {
    const { result } = engine.run(text, policies.length ? { policies } : {});
    title.textContent = result.title || 'Untitled scenario';
    document.title = `${result.title || 'Scenario'} · httpplay`;
    matrix.replaceChildren(renderMatrix(result, { catalog, compact: true, situations: !options.compact, interactive: false }));
    matrix.dataset.state = 'ok';
    open.href = new URL(`./${location.hash}`, location.href).href;
    performance.mark('httpplay:first-matrix');
  } catch (err) {
    const where = err instanceof ScenarioError && err.line > 0 ? `line ${err.line}, column ${err.column}: ` : '';
    fail(`The scenario has an error: ${where}${err.detail || err.message}`);
  }
}

function fail(message) {
  title.textContent = 'httpplay';
  error.hidden = false;
  error.textContent = message;
  matrix.dataset.state = 'error';
  matrix.replaceChildren(h('span', { class: 'visually-hidden' }, 'No matrix'));
}

main().catch((err) => fail(`The simulator could not start: ${err.message}`));
