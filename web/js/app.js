// The playground page: editor, presets, policy chips, matrix, details,
// compare view and the share menu, wired to the engine. State that matters
// (the scenario and the chosen policies) lives in the URL fragment, with a
// history entry for every change that replaces the editor's text, and the
// draft in this browser's localStorage; nothing is sent anywhere.
//
// The editor, the presets and the chips come from catalog.js and work at
// once; only the matrix waits for the engine (startEngine). While it
// loads, a built-in preset's matrix comes from the server that sent the
// page, if it has the JSON API (askServer; on a first visit boot.js has
// asked already, and the engine loads only once that matrix is drawn):
// only the preset's name and the policy ids are sent, never text the user
// wrote.

import { $, h } from './dom.js';
import { Editor } from './editor.js';
import { loadEngine, ScenarioError } from './engine.js';
import { presetResult } from './engine-api.js';
import { renderMatrix, columns } from './matrix.js';
import { renderDetails, renderCompare, describeCell } from './details.js';
import { warnings, stepRanges } from './language.js';
import { presets as PRESETS, policies as CATALOG, defaultPreset } from './catalog.js';
import { Layout } from './layout.js';

// Sharing code is loaded when first needed, keeping it off the path to the
// first matrix.
const permalink = () => import('./permalink.js');
const exporters = () => import('./export.js');

const AUTO_RUN_DELAY = 300;
const DRAFT_KEY = 'httpplay:draft';

const els = {
  preset: $('preset'),
  presetDescription: $('preset-description'),
  presetMore: $('preset-more'),
  status: $('editor-status'),
  warnings: $('editor-warnings'),
  chipsCore: $('chips-core'),
  chipsGuidelines: $('chips-guidelines'),
  matrix: $('matrix'),
  matrixTitle: $('matrix-title'),
  matrixNote: $('matrix-note'),
  details: $('details'),
  detailsPane: $('details-pane'),
  compareButton: $('compare-button'),
  compareBar: $('compare-bar'),
  compareA: $('compare-a'),
  compareB: $('compare-b'),
  notice: $('notice'),
  toast: $('toast'),
  toastText: $('toast-text'),
  toastAction: $('toast-action'),
  shareMenu: $('share-menu'),
  helpDialog: $('help-dialog'),
  copyDialog: $('copy-dialog'),
  copyText: $('copy-text'),
  copyTitle: $('copy-title'),
  syntaxPanel: $('syntax-panel'),
  syntaxButton: $('syntax-button'),
};

const editor = new Editor({ textarea: $('scenario'), gutter: $('gutter'), layer: $('highlight'), list: $('completion'), band: $('linked-band') });
const layout = new Layout({
  workspace: $('workspace'), editorSplit: $('split-editor'), detailsSplit: $('split-details'),
  tabs: [...document.querySelectorAll('.tabs [role="tab"]')],
});

const state = {
  engine: null,
  catalog: CATALOG,
  presets: PRESETS,
  policies: [],
  result: null,
  resultText: null,
  selection: null,
  compare: null,
  runs: 0,
  timer: 0,
  writtenHash: null,
  hoverRow: null,
  // asked counts the questions to the server while the engine loads, so
  // that a late answer to an older one is dropped, and asking settles when
  // the last one has; pending is the question on its way ({key, shown,
  // moot}); served is the key and status line of the matrix the server
  // answered, while it is the one shown.
  asked: 0,
  asking: null,
  pending: null,
  served: null,
};

/**
 * startEngine loads the engine that runs scenarios. It is the one place
 * that decides where the engine comes from; everything else waits for the
 * promise it returns.
 */
function startEngine() {
  return loadEngine('httpplay.wasm', { after: firstMatrixAsked });
}

// firstMatrixAsked settles once the first matrix was asked of the server
// (askServer) or not asked at all: the engine starts after it.
let firstAsked;
const firstMatrixAsked = new Promise((settle) => { firstAsked = settle; });

const enginePromise = startEngine();

main().catch((err) => {
  showStatus('error', `The page could not start: ${err.message}`);
});

async function main() {
  try {
    fillPresets();
    fillChips();
    wireEvents();
    await applyLink(await readLink(location.hash), { initial: true });
  } finally {
    // An answer on its way is usually sooner than the engine's start and
    // first run, which block the main thread while the module warms up;
    // once it is shown, the engine waits for it to be painted too.
    firstAsked(state.asking?.then((shown) => shown && painted()));
  }
  enginePromise.then((engine) => {
    state.engine = engine;
    if (engine.runsOn === 'server') {
      // The footer's promise that scenarios stay in the page no longer holds.
      document.getElementById('where-note')?.replaceChildren(
        'This copy of the playground has no WebAssembly engine: scenarios are sent to the server that sent this page, which runs them. Links keep them after ',
        h('code', {}, '#'), ', which browsers do not send; your draft stays in this browser.');
    }
    // The server's matrix is the same engine's answer: running it again
    // would only take the main thread from a reader who may be using it.
    if (state.served?.key === runKey()) showStatus('ok', `${state.served.status}${engine.note ?? ''}`);
    else run();
  }, (err) => {
    showStatus('error', `The engine could not start: ${err.message}`);
    els.matrix.dataset.state = 'failed';
    els.matrix.replaceChildren(h('p', { class: 'empty-note' }, 'The simulator did not load. Reload the page to try again; your draft is kept.'));
  }).then(async () => {
    // Fetch the sharing code now, so that nothing is loaded after this
    // point and sharing works offline; data-ready tells tests the page is
    // complete.
    await Promise.all([permalink(), exporters()]);
    document.documentElement.dataset.ready = 'true';
  });
}

// painted resolves once the browser has drawn what the page shows now:
// after the next animation frame's rendering, or after a short wait in a
// tab that draws no frames (hidden in the background).
function painted() {
  return new Promise((done) => {
    requestAnimationFrame(() => setTimeout(done));
    setTimeout(done, 250);
  });
}

// readLink decodes the fragment, turning a bad link into a notice instead
// of a failure: a hostile link must not stop the page from working.
async function readLink(hash) {
  if (hash === '' || hash === '#' || isAnchor(hash)) return null;
  const { decodeState, LinkError } = await permalink();
  try {
    return await decodeState(hash);
  } catch (err) {
    return { error: err instanceof LinkError ? err.message : 'the link could not be read' };
  }
}

// isAnchor tells a fragment that names a place on the page (the skip
// link's #matrix-region) from a link to a scenario, which always holds a
// name=value pair.
function isAnchor(hash) {
  const id = hash.replace(/^#/, '');
  return !id.includes('=') && document.getElementById(id) !== null;
}

// applyLink shows the state a link (or, on a first visit without one, the
// saved draft) describes. It never adds a history entry: it is how the
// page follows one.
async function applyLink(link, { initial = false } = {}) {
  hideNotice();
  state.writtenHash = location.hash;
  const defaults = state.catalog.filter((p) => p.default).map((p) => p.id);
  let text = null;
  let policies = null;
  if (link?.error) showNotice(`This link could not be opened (${link.error}). Showing the default scenario instead.`);
  if (link?.preset) {
    const p = state.presets.find((x) => x.name === link.preset);
    if (p) text = p.text;
    else showNotice('This link names a preset that does not exist. Showing the default scenario instead.');
  } else if (link && typeof link.text === 'string') {
    text = link.text;
  }
  if (link?.policies) {
    const known = new Set(state.catalog.map((p) => p.id));
    const chosen = link.policies.filter((id) => known.has(id));
    if (chosen.length !== link.policies.length) showNotice('This link names policies this version does not know; they were left out.');
    if (chosen.length > 0) policies = chosen;
  }
  if (initial && !link) {
    const draft = readDraft();
    if (draft) {
      text = draft.text;
      policies = draft.policies;
    }
  }
  setPolicies(policies || defaults);
  const fallback = state.presets.find((p) => p.name === defaultPreset) || state.presets[0];
  editor.value = text ?? (fallback?.text || '');
  state.selection = null;
  state.resultText = null;
  syncPresetPicker();
  run({ link: false });
  // Encoding the link loads permalink.js: on a first visit that waits
  // until the first matrix is shown.
  if (initial && !link) firstMatrixAsked.then(() => writeLink('replace'));
}

function readDraft() {
  try {
    const d = JSON.parse(localStorage.getItem(DRAFT_KEY) || 'null');
    if (d && d.v === 1 && typeof d.text === 'string') {
      const known = new Set(state.catalog.map((p) => p.id));
      const policies = Array.isArray(d.policies) ? d.policies.filter((id) => known.has(id)) : [];
      return { text: d.text, policies: policies.length ? policies : null };
    }
  } catch {
    // A profile without storage, or a damaged entry: no draft.
  }
  return null;
}

function saveDraft() {
  try {
    localStorage.setItem(DRAFT_KEY, JSON.stringify({ v: 1, text: editor.value, policies: state.policies }));
  } catch {
    // Storage full or disabled: the URL still holds the scenario.
  }
}

function fillPresets() {
  const opts = [h('option', { value: '' }, 'Your own scenario')];
  for (const p of state.presets) opts.push(h('option', { value: p.name }, p.title));
  els.preset.replaceChildren(...opts);
}

function syncPresetPicker() {
  const p = state.presets.find((x) => x.text === editor.value);
  els.preset.value = p ? p.name : '';
  const text = p ? p.description : 'Your own scenario: edit freely, the matrix follows.';
  if (els.presetDescription.textContent === text) return;
  els.presetDescription.textContent = text;
  els.presetDescription.classList.remove('expanded');
  els.presetMore.setAttribute('aria-expanded', 'false');
  els.presetMore.textContent = 'More';
  // Measuring forces a layout; waiting for the next frame keeps that off
  // the path to the first matrix.
  requestAnimationFrame(() => {
    const d = els.presetDescription;
    els.presetMore.hidden = d.scrollHeight <= d.clientHeight + 1;
  });
}

function fillChips() {
  const chip = (p) => h('button', {
    type: 'button', class: 'chip', 'aria-pressed': 'false', title: `${p.name}: ${p.summary}`, dataset: { policy: p.id },
  }, h('span', { class: 'chip-check', 'aria-hidden': 'true' }), p.id);
  els.chipsCore.replaceChildren(...state.catalog.filter((p) => !p.guideline).map(chip));
  els.chipsGuidelines.replaceChildren(...state.catalog.filter((p) => p.guideline).map(chip));
}

function setPolicies(ids) {
  const wanted = new Set(ids);
  state.policies = state.catalog.map((p) => p.id).filter((id) => wanted.has(id));
  for (const b of document.querySelectorAll('.chip[data-policy]')) {
    b.setAttribute('aria-pressed', String(wanted.has(b.dataset.policy)));
  }
}

/**
 * replaceText puts new text (and policies) in the editor as one step of
 * the browser's history: Back shows what was there before.
 */
async function replaceText(text, { policies = state.policies, undoLabel = null } = {}) {
  const before = editor.value;
  const edited = before.trim() !== '' && !state.presets.some((p) => p.text === before);
  // The entry being left must hold the text being replaced.
  await writeLink('replace');
  editor.value = text;
  setPolicies(policies);
  state.selection = null;
  syncPresetPicker();
  run({ link: false });
  await writeLink('push');
  saveDraft();
  if (undoLabel && edited) toast(`${undoLabel} replaced your scenario.`, { action: 'Undo', onAction: () => history.back(), ms: 8000 });
}

/** run simulates the editor's text now and shows the result or the error. */
function run({ link = true } = {}) {
  clearTimeout(state.timer);
  if (!state.engine) {
    els.matrix.dataset.state = 'loading';
    showStatus('loading', 'Loading the simulator… You can edit and share already.');
    const found = warnings(editor.value);
    editor.showWarnings(found);
    showWarningList(found);
    state.asking = askServer({ link });
    return;
  }
  const policies = state.policies;
  present((text) => state.engine.run(text, { policies }).result, { link, note: state.engine.note ?? '' });
}

// SERVER_NOTE ends the status line of a matrix the server answered.
const SERVER_NOTE = ' · run by the server while the simulator loads';

// runKey names what a matrix shows: the text and the policies.
function runKey() {
  return JSON.stringify([editor.value, state.policies]);
}

/**
 * askServer shows a built-in preset's matrix from the page's server while
 * the engine is still loading, so that a first visit does not wait for
 * the WebAssembly module to download, compile and warm up. It sends only
 * a preset's name and policy ids; any other text waits for the engine.
 * It resolves to whether it showed the server's matrix.
 */
function askServer({ link }) {
  const key = runKey();
  // The same question again (Ctrl+Enter on the untouched preset) waits
  // for the answer already on its way rather than dropping it.
  if (state.pending?.key === key) return state.pending.shown;
  // Any other question makes the one on its way moot: whoever waits for
  // it (the engine's start, on a first visit) need not wait any longer.
  state.pending?.moot();
  const ticket = ++state.asked;
  let moot;
  const superseded = new Promise((settle) => { moot = () => settle(false); });
  const shown = Promise.race([askOnce(ticket, key, link), superseded]);
  const pending = { key, shown, moot };
  state.pending = pending;
  shown.finally(() => {
    if (state.pending === pending) state.pending = null;
  });
  return shown;
}

/** askOnce is askServer's question, the ticket-th, about key. */
async function askOnce(ticket, key, link) {
  const preset = state.presets.find((p) => p.text === editor.value);
  if (!preset) return false;
  const t0 = performance.now();
  const answer = await presetResult(preset.name, state.policies, earlyAnswer(preset.name, state.policies));
  if (answer === null || state.engine || ticket !== state.asked || runKey() !== key) return false;
  const status = present(() => answer.result, { link, note: SERVER_NOTE, t0 });
  state.served = status === null ? null : { key, status };
  return status !== null;
}

/**
 * earlyAnswer hands over, once, the answer boot.js asked for on a first
 * visit (the default preset under the default policies, which the API
 * gives without a query) when it is the one wanted now, and otherwise
 * null. boot.js asks before this module has even loaded, so that the
 * server runs the preset while the page is still starting.
 */
function earlyAnswer(name, policies) {
  const early = globalThis.httpplayFirst;
  if (!early) return null;
  globalThis.httpplayFirst = null;
  const defaults = state.catalog.filter((p) => p.default).map((p) => p.id);
  const same = early.preset === name && policies.length === defaults.length && policies.every((id, i) => id === defaults[i]);
  return same ? early.response : null;
}

/**
 * present shows what compute(text) returns for the editor's text, or the
 * error it throws, with the status line; t0 is when the run began. It
 * returns the status line's text of a matrix, or null after an error.
 */
function present(compute, { link, note, t0 = performance.now() }) {
  state.served = null;
  let outcome;
  const text = editor.value;
  let found = [];
  try {
    const result = compute(text);
    state.resultText = text;
    showResult(result);
    editor.showError(null);
    found = warnings(text, result);
    const rows = result.steps.length;
    const cols = result.policies.length;
    const noun = new Set(columns(result).map((c) => c.isolation)).size > 1 ? ['column', 'columns'] : ['policy', 'policies'];
    outcome = { kind: 'ok', text: `${rows} step${rows === 1 ? '' : 's'} × ${cols} ${noun[cols === 1 ? 0 : 1]}` };
    els.matrix.classList.remove('stale');
    els.matrixNote.hidden = true;
  } catch (err) {
    if (!(err instanceof ScenarioError) && !(err instanceof Error)) throw err;
    const pos = err instanceof ScenarioError && err.line > 0 ? err : null;
    editor.showError(pos ? { line: pos.line, column: pos.column, message: err.detail } : null);
    found = warnings(text);
    outcome = { kind: 'error', text: pos ? `Line ${pos.line}, column ${pos.column}: ${err.detail}` : err.message, pos };
    if (state.result) {
      els.matrix.classList.add('stale');
      els.matrixNote.hidden = false;
    }
  }
  if (link) writeLink('replace');
  const ms = performance.now() - t0;
  state.runs += 1;
  els.matrix.dataset.runs = String(state.runs);
  els.matrix.dataset.runMs = ms.toFixed(2);
  els.matrix.dataset.state = outcome.kind;
  const status = outcome.kind === 'ok' ? `${outcome.text} · ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : null;
  if (status !== null) showStatus('ok', status + note);
  else showStatus('error', outcome.text, outcome.pos);
  editor.showWarnings(found);
  showWarningList(found);
  if (state.runs === 1 && outcome.kind === 'ok') performance.mark('httpplay:first-matrix');
  return status;
}

function showWarningList(list) {
  els.warnings.hidden = list.length === 0;
  els.warnings.replaceChildren(...list.map((w) => h('li', {},
    h('button', { type: 'button', class: 'link-button', dataset: { line: String(w.line), column: String(w.column) } }, `Line ${w.line}`),
    h('span', {}, ` ${w.message}`))));
}

function showResult(result) {
  state.result = result;
  els.matrixTitle.textContent = result.title || 'Untitled scenario';
  document.title = `${result.title || 'Untitled scenario'} · httpplay`;
  const sel = keepSelection(result, state.selection);
  state.selection = sel;
  els.matrix.replaceChildren(renderMatrix(result, { catalog: state.catalog, selected: sel }));
  fillCompare(result);
  if (state.compare) showCompare();
  else renderDetails(els.details, result, sel, state.catalog);
  linkRow(sel && !String(sel.row).startsWith('prop:') ? Number(sel.row) : null, { reveal: false });
}

// keepSelection keeps the selected cell across runs when it still exists;
// otherwise it picks the first row where the policies disagree, the row
// most worth reading.
function keepSelection(result, sel) {
  const cols = result.policies || [];
  const steps = result.steps || [];
  if (sel && cols.includes(sel.col)) {
    if (String(sel.row).startsWith('prop:') ? result.properties?.[sel.col]?.[String(sel.row).slice(5)] : steps[Number(sel.row)]) return sel;
  }
  if (cols.length === 0 || steps.length === 0) return null;
  const split = steps.findIndex((s) => s.differs);
  return { row: String(Math.max(0, split)), col: cols[0] };
}

function select(sel, { focus = false, fromUser = false } = {}) {
  if (!sel) return;
  state.selection = sel;
  if (state.compare) closeCompare();
  const table = els.matrix.querySelector('table');
  if (!table) return;
  for (const td of table.querySelectorAll('td.cell.selected')) {
    td.classList.remove('selected');
    td.setAttribute('aria-selected', 'false');
    td.tabIndex = -1;
  }
  const td = findCell(table, sel);
  if (td) {
    td.classList.add('selected');
    td.setAttribute('aria-selected', 'true');
    td.tabIndex = 0;
    if (focus) td.focus({ preventScroll: true });
    td.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
  renderDetails(els.details, state.result, sel, state.catalog);
  els.detailsPane.setAttribute('aria-label', describeCell(state.result, sel) || 'Details');
  // The details of the new cell start at their top, in view.
  els.detailsPane.scrollTop = 0;
  if (fromUser) layout.showDetails();
  if (!String(sel.row).startsWith('prop:')) linkRow(Number(sel.row), { reveal: true });
}

function findCell(table, sel) {
  for (const td of table.querySelectorAll('td.cell')) {
    if (td.dataset.row === sel.row && td.dataset.col === sel.col) return td;
  }
  return null;
}

// moveSelection implements the grid's arrow keys over the rendered cells.
function moveSelection(key) {
  const table = els.matrix.querySelector('table');
  if (!table) return false;
  const rows = [...table.querySelectorAll('tr')].map((tr) => [...tr.querySelectorAll('td.cell')]).filter((r) => r.length);
  let r = rows.findIndex((row) => row.some((td) => td.classList.contains('selected')));
  let c = r < 0 ? 0 : rows[r].findIndex((td) => td.classList.contains('selected'));
  if (r < 0) r = 0;
  switch (key) {
    case 'ArrowUp': r = Math.max(0, r - 1); break;
    case 'ArrowDown': r = Math.min(rows.length - 1, r + 1); break;
    case 'ArrowLeft': c = Math.max(0, c - 1); break;
    case 'ArrowRight': c = Math.min(rows[r].length - 1, c + 1); break;
    case 'Home': c = 0; break;
    case 'End': c = rows[r].length - 1; break;
    case 'PageUp': r = 0; break;
    case 'PageDown': r = rows.length - 1; break;
    default: return false;
  }
  const td = rows[r][Math.min(c, rows[r].length - 1)];
  select({ row: td.dataset.row, col: td.dataset.col }, { focus: true });
  return true;
}

// linkRow ties a matrix row to its lines in the editor: the row is marked
// and the lines are banded (and, when asked, scrolled into view).
function linkRow(row, { reveal = false } = {}) {
  for (const tr of els.matrix.querySelectorAll('tr.linked')) tr.classList.remove('linked');
  const ranges = state.resultText === editor.value ? stepRanges(editor.value, state.result) : [];
  const range = row === null ? null : ranges[row];
  if (!range) {
    editor.link(null);
    return;
  }
  els.matrix.querySelector(`tbody tr[data-row="${row}"]`)?.classList.add('linked');
  editor.link(range);
  if (reveal) editor.reveal(range.from, range.to);
}

function fillCompare(result) {
  const cols = result.policies || [];
  for (const [sel, fallback] of [[els.compareA, 0], [els.compareB, 1]]) {
    const keep = sel.value;
    sel.replaceChildren(...cols.map((id) => h('option', { value: id }, id)));
    sel.value = cols.includes(keep) ? keep : cols[Math.min(fallback, cols.length - 1)] || '';
  }
  if (state.compare) state.compare = { a: els.compareA.value, b: els.compareB.value };
}

function showCompare() {
  if (!state.result) return;
  state.compare = { a: els.compareA.value, b: els.compareB.value };
  els.compareBar.hidden = false;
  els.compareButton.setAttribute('aria-pressed', 'true');
  renderCompare(els.details, state.result, state.compare.a, state.compare.b, state.catalog);
  els.detailsPane.setAttribute('aria-label', `Compare ${state.compare.a} and ${state.compare.b}`);
  els.detailsPane.scrollTop = 0;
}

function closeCompare() {
  state.compare = null;
  els.compareBar.hidden = true;
  els.compareButton.setAttribute('aria-pressed', 'false');
  if (state.result) renderDetails(els.details, state.result, state.selection, state.catalog);
}

function wireEvents() {
  editor.onInput(() => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      run();
      saveDraft();
    }, AUTO_RUN_DELAY);
    syncPresetPicker();
  });
  editor.onCaret((line) => {
    if (state.resultText !== editor.value || !document.activeElement?.matches('#scenario')) return;
    const hit = stepRanges(editor.value, state.result).find((r) => line >= r.from && line <= r.to);
    linkRow(hit ? hit.row : null);
    if (hit) els.matrix.querySelector(`tbody tr[data-row="${hit.row}"]`)?.scrollIntoView({ block: 'nearest' });
  });

  els.presetMore.addEventListener('click', () => {
    const open = els.presetDescription.classList.toggle('expanded');
    els.presetMore.setAttribute('aria-expanded', String(open));
    els.presetMore.textContent = open ? 'Less' : 'More';
  });

  els.preset.addEventListener('change', () => {
    const p = state.presets.find((x) => x.name === els.preset.value);
    if (p) replaceText(p.text, { undoLabel: `The preset “${p.title}”` });
  });

  const onChip = (event) => {
    const b = event.target.closest('.chip[data-policy]');
    if (!b) return;
    const on = b.getAttribute('aria-pressed') !== 'true';
    const next = on ? [...state.policies, b.dataset.policy] : state.policies.filter((id) => id !== b.dataset.policy);
    if (next.length === 0) {
      toast('At least one policy stays selected.');
      return;
    }
    changePolicies(next);
  };
  els.chipsCore.addEventListener('click', onChip);
  els.chipsGuidelines.addEventListener('click', onChip);
  $('chips-default').addEventListener('click', () => changePolicies(state.catalog.filter((p) => p.default).map((p) => p.id)));
  $('chips-all').addEventListener('click', () => changePolicies(state.catalog.map((p) => p.id)));

  els.matrix.addEventListener('click', (event) => {
    const td = event.target.closest('td.cell');
    if (td) select({ row: td.dataset.row, col: td.dataset.col }, { focus: true, fromUser: true });
  });
  els.matrix.addEventListener('keydown', (event) => {
    if (event.target.closest('td.cell') && !event.altKey && !event.ctrlKey && !event.metaKey && moveSelection(event.key)) {
      event.preventDefault();
    }
  });
  // Hovering a row bands its request in the editor; leaving the matrix
  // goes back to the selected row.
  els.matrix.addEventListener('mouseover', (event) => {
    const tr = event.target.closest('tbody tr[data-row]');
    const row = tr && !tr.dataset.row.startsWith('prop:') ? Number(tr.dataset.row) : null;
    if (row === state.hoverRow) return;
    state.hoverRow = row;
    if (row !== null) linkRow(row);
  });
  els.matrix.addEventListener('mouseleave', () => {
    state.hoverRow = null;
    const sel = state.selection;
    linkRow(sel && !String(sel.row).startsWith('prop:') ? Number(sel.row) : null);
  });

  els.compareButton.addEventListener('click', () => {
    if (state.compare) closeCompare();
    else {
      showCompare();
      layout.showDetails();
    }
  });
  els.compareA.addEventListener('change', showCompare);
  els.compareB.addEventListener('change', showCompare);
  $('compare-close').addEventListener('click', closeCompare);

  const goTo = (event) => {
    const b = event.target.closest('button[data-line]');
    if (!b) return;
    layout.showEditor();
    editor.goTo(Number(b.dataset.line), Number(b.dataset.column));
  };
  els.status.addEventListener('click', goTo);
  els.warnings.addEventListener('click', goTo);

  els.syntaxButton.addEventListener('click', () => {
    els.syntaxPanel.open = !els.syntaxPanel.open;
    if (els.syntaxPanel.open) {
      layout.showEditor();
      els.syntaxPanel.scrollIntoView({ block: 'nearest' });
    }
  });
  els.syntaxPanel.addEventListener('toggle', () => els.syntaxButton.setAttribute('aria-expanded', String(els.syntaxPanel.open)));
  els.syntaxPanel.addEventListener('click', (event) => {
    const b = event.target.closest('button[data-try]');
    if (!b) return;
    const pre = els.syntaxPanel.querySelector(`[data-example="${b.dataset.try}"] pre.example`);
    if (pre) replaceText(pre.textContent, { undoLabel: 'The example' });
  });

  // The share menu follows the menu pattern: focus moves into it when it
  // opens, and the arrow keys move between its items.
  els.shareMenu.addEventListener('toggle', (event) => {
    if (event.newState === 'open') els.shareMenu.querySelector('button')?.focus();
  });
  els.shareMenu.addEventListener('keydown', (event) => {
    const items = [...els.shareMenu.querySelectorAll('button[data-action]')];
    const at = items.indexOf(document.activeElement);
    const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    items[(next + items.length) % items.length].focus();
  });
  els.shareMenu.addEventListener('click', (event) => {
    const b = event.target.closest('button[data-action]');
    if (!b) return;
    els.shareMenu.hidePopover?.();
    share(b.dataset.action);
  });
  $('help-button').addEventListener('click', () => els.helpDialog.showModal());
  for (const b of document.querySelectorAll('dialog [data-close]')) {
    b.addEventListener('click', () => b.closest('dialog').close());
  }
  els.toastAction.addEventListener('click', () => {
    const fn = toastAction;
    hideToast();
    fn?.();
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
      return;
    }
    const typing = event.target.closest?.('textarea, input, select, [contenteditable]');
    if (event.key === '?' && !typing && !els.helpDialog.open) {
      event.preventDefault();
      els.helpDialog.showModal();
    }
    if (event.key === 'Escape' && event.target.id === 'scenario' && !event.isComposing) {
      const cell = els.matrix.querySelector('td.cell[tabindex="0"]');
      if (cell) {
        layout.showMatrix();
        cell.focus();
      }
    }
  });

  // The skip link moves the focus without touching the address bar,
  // which holds the link to the scenario.
  document.querySelector('.skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    layout.showMatrix();
    document.getElementById('matrix-region')?.focus();
  });

  // Back and Forward, and fragments typed or pasted into the address bar.
  const follow = async () => {
    if (location.hash === state.writtenHash) return;
    // The skip link moves the focus; the scenario and the draft stay.
    if (isAnchor(location.hash)) return;
    state.writtenHash = location.hash;
    hideToast();
    await applyLink(await readLink(location.hash));
    saveDraft();
  };
  window.addEventListener('popstate', follow);
  window.addEventListener('hashchange', follow);
}

// changePolicies switches the columns as a history entry of its own.
async function changePolicies(ids) {
  await writeLink('replace');
  setPolicies(ids);
  run({ link: false });
  await writeLink('push');
  saveDraft();
}

async function fragmentOf(snapshot) {
  const { encodeState } = await permalink();
  return encodeState(snapshot);
}

// writeLink mirrors the view in the address bar: replacing the current
// entry while typing, pushing a new one when the text is replaced. Writes
// happen in the order they were asked for, each with the state of the
// moment it was asked.
let linkChain = Promise.resolve();
function writeLink(mode) {
  const snapshot = { text: editor.value, policies: [...state.policies] };
  linkChain = linkChain.then(async () => {
    const hash = `#${await fragmentOf(snapshot)}`;
    if (mode === 'push' && hash !== location.hash) history.pushState(null, '', hash);
    else if (hash !== location.hash) history.replaceState(null, '', hash);
    state.writtenHash = location.hash;
  }).catch(() => {});
  return linkChain;
}

async function share(action) {
  const frag = await fragmentOf({ text: editor.value, policies: state.policies });
  const page = new URL(location.href);
  page.hash = frag;
  if (action === 'copy-link') return copy(page.href, 'Link');
  // The other exports need the engine; a click before it is ready waits.
  if (!state.engine) toast('Waiting for the simulator…');
  const engine = await enginePromise;
  const { embedSnippet, toCurl } = await exporters();
  switch (action) {
    case 'copy-markdown':
      try {
        return copy(engine.markdown(editor.value, { policies: state.policies }), 'Matrix as Markdown');
      } catch (err) {
        return toast(`The scenario has an error: ${err.detail || err.message}`);
      }
    case 'copy-curl':
      if (!state.result) return toast('Nothing to copy yet: the scenario has an error.');
      return copy(toCurl(state.result), 'Scenario as curl');
    case 'copy-embed': {
      const embed = new URL('embed.html', location.href);
      embed.hash = frag;
      const props = els.matrix.querySelectorAll('tr.property-row').length;
      return copy(embedSnippet(embed.href, state.result?.title, state.result?.steps.length || 1, props), 'Embed snippet');
    }
  }
}

// copy puts text on the clipboard; where the browser refuses (no
// permission, insecure origin) it shows the text ready to copy by hand.
async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied to the clipboard.`);
  } catch {
    els.copyTitle.textContent = what;
    els.copyText.value = text;
    els.copyDialog.showModal();
    els.copyText.select();
  }
}

function showStatus(kind, text, pos = null) {
  els.status.className = `editor-status ${kind}`;
  const icon = h('span', { class: 'status-icon', 'aria-hidden': 'true' }, kind === 'ok' ? '✓' : kind === 'loading' ? '…' : '✕');
  const parts = [icon, h('span', { class: 'status-text' }, text)];
  if (pos) parts.push(h('button', { type: 'button', class: 'link-button', dataset: { line: String(pos.line), column: String(pos.column) } }, 'Go to error'));
  els.status.replaceChildren(...parts);
}

function showNotice(text) {
  els.notice.hidden = false;
  els.notice.querySelector('.notice-text').textContent = text;
}

function hideNotice() {
  els.notice.hidden = true;
}

let toastTimer = 0;
let toastAction = null;
function toast(text, { action = null, onAction = null, ms = 2400 } = {}) {
  els.toastText.textContent = text;
  toastAction = onAction;
  els.toastAction.hidden = !action;
  els.toastAction.textContent = action || '';
  els.toast.classList.toggle('actionable', Boolean(action));
  els.toast.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(hideToast, ms);
}

function hideToast() {
  clearTimeout(toastTimer);
  toastAction = null;
  els.toast.classList.remove('show', 'actionable');
  els.toastAction.hidden = true;
  els.toastAction.textContent = '';
}
