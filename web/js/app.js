// The playground page: editor, presets, policy chips, matrix, details and
// the share menu, wired to the engine. State that matters (the scenario and
// the chosen policies) lives in the URL fragment; nothing is sent anywhere.

import { $, h } from './dom.js';
import { Editor } from './editor.js';
import { loadEngine, ScenarioError } from './engine.js';
import { renderMatrix } from './matrix.js';
import { renderDetails, describeCell } from './details.js';

// Sharing code is loaded when first needed, keeping it off the path to the
// first matrix.
const permalink = () => import('./permalink.js');
const exporters = () => import('./export.js');

const AUTO_RUN_DELAY = 300;

const enginePromise = loadEngine();

const els = {
  preset: $('preset'),
  presetDescription: $('preset-description'),
  presetMore: $('preset-more'),
  status: $('editor-status'),
  chipsCore: $('chips-core'),
  chipsGuidelines: $('chips-guidelines'),
  matrix: $('matrix'),
  matrixTitle: $('matrix-title'),
  matrixNote: $('matrix-note'),
  details: $('details'),
  notice: $('notice'),
  toast: $('toast'),
  shareMenu: $('share-menu'),
  helpDialog: $('help-dialog'),
  copyDialog: $('copy-dialog'),
  copyText: $('copy-text'),
  copyTitle: $('copy-title'),
};

const editor = new Editor({ textarea: $('scenario'), gutter: $('gutter'), mark: $('error-mark'), caret: $('error-caret') });

const state = {
  engine: null,
  catalog: [],
  presets: [],
  policies: [],
  result: null,
  selection: null,
  runs: 0,
  timer: 0,
  writtenHash: null,
};

main().catch((err) => {
  showStatus('error', `The engine could not start: ${err.message}`);
  els.matrix.replaceChildren(h('p', { class: 'empty-note' }, 'The simulator did not load. Reload the page to try again.'));
});

async function main() {
  const linkPromise = readLink(location.hash);
  state.engine = await enginePromise;
  state.catalog = state.engine.policies();
  state.presets = state.engine.presets();
  fillPresets();
  fillChips();
  await applyLink(await linkPromise);
  wireEvents();
  // Fetch the sharing code now, so that nothing is loaded after this point
  // and sharing works offline; data-ready tells tests the page is complete.
  await Promise.all([permalink(), exporters()]);
  document.documentElement.dataset.ready = 'true';
}

// readLink decodes the fragment, turning a bad link into a notice instead
// of a failure: a hostile link must not stop the page from working.
async function readLink(hash) {
  if (hash === '' || hash === '#') return null;
  const { decodeState, LinkError } = await permalink();
  try {
    return await decodeState(hash);
  } catch (err) {
    return { error: err instanceof LinkError ? err.message : 'the link could not be read' };
  }
}

async function applyLink(link) {
  hideNotice();
  const defaults = state.catalog.filter((p) => p.default).map((p) => p.id);
  let text = null;
  if (link?.error) showNotice(`This link could not be opened (${link.error}). Showing the default scenario instead.`);
  if (link?.preset) {
    const p = state.presets.find((x) => x.name === link.preset);
    if (p) text = p.text;
    else showNotice('This link names a preset that does not exist. Showing the default scenario instead.');
  } else if (link && typeof link.text === 'string') {
    text = link.text;
  }
  let policies = defaults;
  if (link?.policies) {
    const known = new Set(state.catalog.map((p) => p.id));
    const chosen = link.policies.filter((id) => known.has(id));
    if (chosen.length !== link.policies.length) showNotice('This link names policies this version does not know; they were left out.');
    if (chosen.length > 0) policies = chosen;
  }
  setPolicies(policies);
  editor.value = text ?? (state.presets[0]?.text || '');
  state.writtenHash = location.hash;
  syncPresetPicker();
  run();
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
    type: 'button', class: 'chip', 'aria-pressed': 'false', title: p.summary, dataset: { policy: p.id },
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

/** run simulates the editor's text now and shows the result or the error. */
function run() {
  clearTimeout(state.timer);
  if (!state.engine) return;
  const t0 = performance.now();
  let outcome;
  try {
    const { result } = state.engine.run(editor.value, { policies: state.policies });
    showResult(result);
    editor.showError(null);
    const rows = result.steps.length;
    const cols = result.policies.length;
    // With two isolation levels every policy has two columns.
    const noun = result.policies.some((id) => id.includes('@')) ? ['column', 'columns'] : ['policy', 'policies'];
    outcome = { kind: 'ok', text: `${rows} step${rows === 1 ? '' : 's'} × ${cols} ${noun[cols === 1 ? 0 : 1]}` };
    els.matrix.classList.remove('stale');
    els.matrixNote.hidden = true;
    writeLink();
  } catch (err) {
    if (!(err instanceof ScenarioError) && !(err instanceof Error)) throw err;
    const pos = err instanceof ScenarioError && err.line > 0 ? err : null;
    editor.showError(pos);
    outcome = { kind: 'error', text: pos ? `Line ${pos.line}, column ${pos.column}: ${err.detail}` : err.message, pos };
    if (state.result) {
      els.matrix.classList.add('stale');
      els.matrixNote.hidden = false;
    }
  }
  const ms = performance.now() - t0;
  state.runs += 1;
  els.matrix.dataset.runs = String(state.runs);
  els.matrix.dataset.runMs = ms.toFixed(2);
  els.matrix.dataset.state = outcome.kind;
  if (outcome.kind === 'ok') showStatus('ok', `${outcome.text} · ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms${state.engine.note ?? ''}`);
  else showStatus('error', outcome.text, outcome.pos);
  if (state.runs === 1 && outcome.kind === 'ok') performance.mark('httpplay:first-matrix');
}

function showResult(result) {
  state.result = result;
  els.matrixTitle.textContent = result.title || 'Untitled scenario';
  document.title = `${result.title || 'Untitled scenario'} · httpplay`;
  const sel = keepSelection(result, state.selection);
  state.selection = sel;
  els.matrix.replaceChildren(renderMatrix(result, { catalog: state.catalog, selected: sel }));
  renderDetails(els.details, result, sel, state.catalog);
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
  const split = steps.findIndex((s) => new Set(cols.map((c) => JSON.stringify(s.results?.[c]?.status ?? s.results?.[c]?.outcomes?.map((o) => o.statuses)))).size > 1);
  return { row: String(Math.max(0, split)), col: cols[0] };
}

function select(sel, { focus = false } = {}) {
  if (!sel) return;
  state.selection = sel;
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
    if (focus) td.focus();
  }
  renderDetails(els.details, state.result, sel, state.catalog);
  els.details.setAttribute('aria-label', describeCell(state.result, sel) || 'Details');
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

function wireEvents() {
  editor.onInput(() => {
    clearTimeout(state.timer);
    state.timer = setTimeout(run, AUTO_RUN_DELAY);
    syncPresetPicker();
  });

  els.presetMore.addEventListener('click', () => {
    const open = els.presetDescription.classList.toggle('expanded');
    els.presetMore.setAttribute('aria-expanded', String(open));
    els.presetMore.textContent = open ? 'Less' : 'More';
  });

  els.preset.addEventListener('change', () => {
    const p = state.presets.find((x) => x.name === els.preset.value);
    if (!p) return;
    editor.value = p.text;
    state.selection = null;
    syncPresetPicker();
    run();
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
    setPolicies(next);
    run();
  };
  els.chipsCore.addEventListener('click', onChip);
  els.chipsGuidelines.addEventListener('click', onChip);
  $('chips-default').addEventListener('click', () => {
    setPolicies(state.catalog.filter((p) => p.default).map((p) => p.id));
    run();
  });
  $('chips-all').addEventListener('click', () => {
    setPolicies(state.catalog.map((p) => p.id));
    run();
  });

  els.matrix.addEventListener('click', (event) => {
    const td = event.target.closest('td.cell');
    if (td) select({ row: td.dataset.row, col: td.dataset.col }, { focus: true });
  });
  els.matrix.addEventListener('keydown', (event) => {
    if (event.target.closest('td.cell') && !event.altKey && !event.ctrlKey && !event.metaKey && moveSelection(event.key)) {
      event.preventDefault();
    }
  });

  els.status.addEventListener('click', (event) => {
    const b = event.target.closest('button[data-line]');
    if (b) editor.goTo(Number(b.dataset.line), Number(b.dataset.column));
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
      if (cell) cell.focus();
    }
  });

  window.addEventListener('hashchange', async () => {
    if (location.hash === state.writtenHash) return;
    state.selection = null;
    await applyLink(await readLink(location.hash));
  });
}

async function currentFragment() {
  const { encodeState } = await permalink();
  return encodeState({ text: editor.value, policies: state.policies });
}

// writeLink mirrors the view in the address bar without adding history
// entries, so the URL is always a permalink to what is on screen.
let linkSeq = 0;
async function writeLink() {
  const seq = ++linkSeq;
  const frag = await currentFragment();
  if (seq !== linkSeq) return;
  const hash = `#${frag}`;
  if (hash !== location.hash) history.replaceState(null, '', hash);
  state.writtenHash = location.hash;
}

async function share(action) {
  if (!state.result) return;
  const frag = await currentFragment();
  const { embedSnippet, toCurl, toMarkdown } = await exporters();
  const page = new URL(location.href);
  page.hash = frag;
  switch (action) {
    case 'copy-link':
      return copy(page.href, 'Link');
    case 'copy-markdown':
      return copy(toMarkdown(state.result), 'Matrix as Markdown');
    case 'copy-curl':
      return copy(toCurl(state.result), 'Scenario as curl');
    case 'copy-embed': {
      const embed = new URL('embed.html', location.href);
      embed.hash = frag;
      const props = els.matrix.querySelectorAll('tr.property-row').length;
      return copy(embedSnippet(embed.href, state.result.title, state.result.steps.length, props), 'Embed snippet');
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
  const icon = h('span', { class: 'status-icon', 'aria-hidden': 'true' }, kind === 'ok' ? '✓' : '✕');
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
function toast(text) {
  els.toast.textContent = text;
  els.toast.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => els.toast.classList.remove('show'), 2400);
}
