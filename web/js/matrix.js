// The matrix: one row per step of the scenario, one column per policy, and
// the analysed properties at the bottom. Shared by the playground and the
// embed view; it only reads the result JSON of DESIGN.md.

import { h, statusClass } from './dom.js';

/** PROPERTY_INFO names the analysed properties and which value is good. */
export const PROPERTY_INFO = {
  retry_safe: { label: 'Safe to retry', good: true },
  idempotent_effect: { label: 'Same effect when repeated', good: true },
  leaks_existence: { label: 'Leaks existence', good: false },
  loses_updates: { label: 'Loses updates', good: false },
  double_booking: { label: 'Double booking', good: false },
  cacheable_refusals: { label: 'Cacheable refusals', good: false },
};

/**
 * columns describes the columns of a result from the engine's "columns":
 * {id, base, isolation, info, kind, name, summary, custom}. kind is core,
 * guideline or custom; isolation is shown only when columns differ in it.
 */
export function columns(result, catalog = []) {
  const list = result.columns || (result.policies || []).map((id) => ({ id, policy: String(id).split('@')[0], isolation: '' }));
  const isolations = new Set(list.map((c) => c.isolation));
  return list.map((c) => {
    const info = catalog.find((p) => p.id === c.policy) || null;
    const kind = c.custom ? 'custom' : (c.guideline ?? info?.guideline) ? 'guideline' : 'core';
    return {
      id: c.id, base: c.policy, isolation: c.isolation || '', showIsolation: isolations.size > 1, info, kind,
      name: c.name || info?.name || c.policy, summary: c.summary || info?.summary || '', url: c.url || info?.url || '', custom: Boolean(c.custom),
    };
  });
}

/** column describes one column of a result by id (see columns). */
export function column(id, catalog = [], result = null) {
  const found = result ? columns(result, catalog).find((c) => c.id === id) : null;
  if (found) return found;
  const base = String(id).split('@')[0];
  const info = catalog.find((p) => p.id === base) || null;
  return { id, base, isolation: String(id).split('@')[1] || '', showIsolation: false, info, kind: info ? (info.guideline ? 'guideline' : 'core') : 'custom', name: info?.name || base, summary: info?.summary || '', url: info?.url || '', custom: !info };
}

/** requestLine is "METHOD /path" for a request, prefixed by its client in a race. */
export function requestLine(req) {
  if (!req) return '';
  const who = req.client ? `${req.client}: ` : '';
  return `${who}${req.method || ''} ${req.path || ''}`;
}

/** stepLabel is a one-line description of a step. */
export function stepLabel(step) {
  if (step.race) return `race: ${step.race.map(requestLine).join(' ‖ ')}`;
  return requestLine(step.request);
}

/** raceSummary is one line per outcome: "201 409 ×1". */
export function raceSummary(race) {
  return (race.outcomes || []).map((o) => `${(o.statuses || []).join(' ')} ×${o.orders}`);
}

/** differs tells whether the policies of a step answer differently, as the engine decided. */
export function differs(step) {
  return step.differs === true;
}

/** propertyKeys lists the properties present in a result, known ones first. */
export function propertyKeys(result) {
  const keys = new Set();
  for (const props of Object.values(result.properties || {})) {
    for (const k of Object.keys(props || {})) keys.add(k);
  }
  const known = Object.keys(PROPERTY_INFO).filter((k) => keys.has(k));
  return [...known, ...[...keys].filter((k) => !(k in PROPERTY_INFO)).sort()];
}

/** propertyLabel is the human name of a property key. */
export function propertyLabel(key) {
  return PROPERTY_INFO[key]?.label || key.replace(/_/g, ' ');
}

/** propertyValue is {text, tone} for one property value: yes/no/n/a and good/bad/none. */
export function propertyValue(key, prop) {
  const v = prop && typeof prop === 'object' ? prop.value : prop;
  if (v === null || v === undefined) return { text: 'n/a', tone: 'none' };
  if (typeof v !== 'boolean') return { text: String(v), tone: 'none' };
  const good = PROPERTY_INFO[key]?.good;
  const tone = good === undefined ? 'none' : v === good ? 'good' : 'bad';
  return { text: v ? 'yes' : 'no', tone };
}

/**
 * renderMatrix builds the table. options: catalog (policies()), compact
 * (embed view), selected ({row, col}) and interactive (cells focusable).
 * Rows are identified by data-row: the step index, or "prop:<key>".
 */
export function renderMatrix(result, { catalog = [], compact = false, situations = !compact, selected = null, interactive = true } = {}) {
  const cols = columns(result, catalog);
  const table = h('table', {
    class: `matrix${compact ? ' compact' : ''}`,
    role: interactive ? 'grid' : null,
    'aria-readonly': interactive ? 'true' : null,
    'aria-label': result.title ? `Responses to “${result.title}” by policy` : 'Responses by policy',
  });
  table.append(h('thead', {}, h('tr', {},
    h('th', { scope: 'col', class: 'corner' }, 'Request'),
    cols.map((c) => h('th', {
      scope: 'col', class: `col-head kind-${c.kind}`, title: c.summary ? `${c.name}: ${c.summary}` : c.name, dataset: { col: c.id },
    },
    h('span', { class: 'col-id' }, c.base),
    c.custom ? h('span', { class: 'col-name' }, c.name) : null,
    h('span', { class: 'col-kind' }, c.showIsolation ? c.isolation : c.kind))))));

  const body = h('tbody');
  (result.steps || []).forEach((step, i) => {
    const split = differs(step);
    const tr = h('tr', { class: `${step.race ? 'race-row' : 'request-row'}${split ? ' differs' : ''}`, dataset: { row: String(i), line: String(step.line) } });
    tr.append(rowHead(step, split, compact));
    for (const c of cols) tr.append(stepCell(step, i, c, { compact, situations }, selected, interactive));
    body.append(tr);
  });
  table.append(body);

  const keys = propertyKeys(result);
  if (keys.length > 0) {
    // A property no column can judge in this scenario (all n/a) is listed
    // once instead of filling a row with n/a.
    const judged = keys.filter((k) => cols.some((c) => propertyValue(k, result.properties?.[c.id]?.[k]).text !== 'n/a'));
    const unjudged = keys.filter((k) => !judged.includes(k));
    const props = h('tbody', { class: 'properties' });
    props.append(h('tr', { class: 'properties-title' }, h('th', { scope: 'rowgroup', colspan: String(cols.length + 1) }, 'Properties')));
    for (const key of judged) {
      const tr = h('tr', { class: 'property-row', dataset: { row: `prop:${key}` } },
        h('th', { scope: 'row', class: 'row-head' }, propertyLabel(key)));
      for (const c of cols) {
        const prop = result.properties?.[c.id]?.[key];
        const { text, tone } = propertyValue(key, prop);
        const mark = tone === 'good' ? '✓' : tone === 'bad' ? '⚠' : '';
        tr.append(cell({ row: `prop:${key}`, col: c.id, cls: `prop tone-${tone}`, selected, interactive, title: prop?.summary || null },
          mark ? h('span', { class: 'mark', 'aria-hidden': 'true' }, mark) : null, h('span', { class: 'prop-value' }, text)));
      }
      props.append(tr);
    }
    if (unjudged.length > 0) {
      props.append(h('tr', { class: 'not-applicable' }, h('td', { colspan: String(cols.length + 1) },
        `Not applicable to this scenario: ${unjudged.map(propertyLabel).join(', ')}.`)));
    }
    table.append(props);
  }
  return table;
}

function rowHead(step, split, compact) {
  const th = h('th', { scope: 'row', class: 'row-head' });
  th.append(h('span', { class: 'line', title: `line ${step.line}` }, String(step.line)));
  if (step.race) {
    th.append(h('span', { class: 'race-tag' }, 'race'));
    const list = h('ul', { class: 'race-list' });
    for (const req of step.race) {
      list.append(h('li', {}, req.client ? h('span', { class: 'client' }, `${req.client}:`) : null, ' ',
        h('span', { class: 'method' }, req.method), ' ', pathSpan(req.path)));
    }
    th.append(list);
  } else if (step.request) {
    th.append(h('code', { class: 'req' }, h('span', { class: 'method' }, step.request.method), ' ', pathSpan(step.request.path)));
  }
  if (split) th.append(h('span', { class: 'differs-tag', title: 'The policies answer this request differently' }, compact ? '≠' : '≠ differs'));
  const empty = Object.entries(step.results || {}).filter(([, r]) => r.unfilled?.length);
  if (empty.length > 0) {
    const names = [...new Set(empty.flatMap(([, r]) => r.unfilled))].map((n) => `{{${n}}}`).join(', ');
    th.append(h('span', { class: 'unfilled-tag', title: `${names} was empty under ${empty.map(([id]) => id).join(', ')}: the capture found nothing` },
      `∅ ${names} empty in ${empty.length} column${empty.length === 1 ? '' : 's'}`));
  }
  return th;
}

// pathSpan lets a long path break after its slashes rather than anywhere.
function pathSpan(path) {
  const parts = String(path ?? '').split(/(?<=\/)/);
  return h('span', { class: 'path' }, parts.flatMap((p, i) => (i === 0 ? [p] : [h('wbr'), p])));
}

function stepCell(step, i, c, { compact, situations }, selected, interactive) {
  const r = step.results?.[c.id];
  const base = { row: String(i), col: c.id, selected, interactive };
  if (!r) return cell({ ...base, cls: 'empty' }, '—');
  if (step.race) {
    const list = h('ul', { class: 'outcomes' });
    for (const o of r.outcomes || []) {
      list.append(h('li', { class: 'outcome' },
        h('span', { class: 'statuses' }, (o.statuses || []).map((s) => h('span', { class: `st ${statusClass(s)}` }, String(s)))),
        h('span', { class: 'orders', title: `${o.orders} interleaving(s)` }, `×${o.orders}`)));
    }
    const note = r.complete === false ? h('span', { class: 'partial', title: 'Exploration stopped at the state bound' }, 'partial') : null;
    return cell({ ...base, cls: 'race' }, list, note, unfilledFlag(r));
  }
  const lint = (r.lint || []).length;
  return cell({ ...base, cls: `resp ${statusClass(r.status)}`, title: compact ? `${r.status} ${r.reason} — ${r.situation}` : null },
    h('span', { class: 'status-line' }, h('span', { class: 'status' }, String(r.status)), ' ', h('span', { class: 'reason' }, r.reason)),
    situations ? h('span', { class: 'situation' }, r.situation) : null,
    lint > 0 ? lintFlag(r.lint, compact) : null,
    unfilledFlag(r));
}

// lintFlag counts a response's lint findings; in the compact (embed) view,
// where cells open no details pane, the count opens the findings in place.
function lintFlag(lint, compact) {
  const n = lint.length;
  if (!compact) {
    return h('span', { class: 'lint-flag', title: `${n} lint finding(s)` }, h('span', { 'aria-hidden': 'true' }, '⚠'), ` ${n}`, h('span', { class: 'visually-hidden' }, ' lint'));
  }
  return h('details', { class: 'lint-flag lint-open' },
    h('summary', {}, h('span', { 'aria-hidden': 'true' }, '⚠'), ` ${n}`, h('span', { class: 'visually-hidden' }, ` lint finding${n === 1 ? '' : 's'}`)),
    h('ul', {}, lint.map((f) => h('li', {}, h('strong', {}, `${f.level}: `), f.message))));
}

// unfilledFlag marks a cell whose request used a {{name}} that was empty
// in this column: its capture found nothing, so the request is not the
// one written.
function unfilledFlag(r) {
  if (!r.unfilled?.length) return null;
  const names = r.unfilled.map((n) => `{{${n}}}`).join(', ');
  return h('span', { class: 'unfilled-flag', title: `${names} was empty: the capture found nothing` }, `∅ ${names}`);
}

function cell({ row, col, cls, selected, interactive, title = null }, ...children) {
  const isSel = selected && selected.row === row && selected.col === col;
  return h('td', {
    class: `cell ${cls}${isSel ? ' selected' : ''}`,
    dataset: { row, col },
    title,
    role: interactive ? 'gridcell' : null,
    tabindex: interactive ? (isSel ? '0' : '-1') : null,
    'aria-selected': interactive ? String(Boolean(isSel)) : null,
  }, ...children);
}
