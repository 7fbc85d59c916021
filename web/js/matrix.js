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

/** column describes a result column such as "strict" or "strict@check-then-act". */
export function column(id, catalog = []) {
  const [base, variant = ''] = String(id).split('@', 2);
  const info = catalog.find((p) => p.id === base) || null;
  let kind = info ? (info.guideline ? 'guideline' : 'core') : 'custom';
  if (variant) kind = variant;
  return { id, base, variant, info, kind, name: info ? info.name : base };
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

/** differs tells whether the policies of a step answer differently. */
export function differs(step, policies) {
  const seen = new Set();
  for (const id of policies) {
    const r = step.results?.[id];
    if (!r) continue;
    seen.add(step.race ? JSON.stringify((r.outcomes || []).map((o) => o.statuses).sort()) : r.status);
  }
  return seen.size > 1;
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
export function renderMatrix(result, { catalog = [], compact = false, selected = null, interactive = true } = {}) {
  const cols = (result.policies || []).map((id) => column(id, catalog));
  // With two isolation levels every policy has two columns, and the plain
  // one runs under the level the "@" columns do not name.
  const variants = new Set(cols.map((c) => c.variant).filter(Boolean));
  const isolations = ['atomic', 'check-then-act'];
  if (variants.size === 1 && isolations.includes([...variants][0])) {
    const plain = isolations.find((i) => !variants.has(i));
    for (const c of cols) if (!c.variant) c.kind = plain;
  }
  const table = h('table', {
    class: `matrix${compact ? ' compact' : ''}`,
    role: interactive ? 'grid' : null,
    'aria-readonly': interactive ? 'true' : null,
    'aria-label': result.title ? `Responses to “${result.title}” by policy` : 'Responses by policy',
  });
  table.append(h('thead', {}, h('tr', {},
    h('th', { scope: 'col', class: 'corner' }, 'Request'),
    cols.map((c) => h('th', { scope: 'col', class: `col-head kind-${c.kind.replace(/[^a-z-]/g, '')}`, title: c.info?.summary || null, dataset: { col: c.id } },
      h('span', { class: 'col-id' }, c.base),
      h('span', { class: 'col-kind' }, c.kind))))));

  const body = h('tbody');
  (result.steps || []).forEach((step, i) => {
    const split = differs(step, result.policies || []);
    const tr = h('tr', { class: `${step.race ? 'race-row' : 'request-row'}${split ? ' differs' : ''}`, dataset: { row: String(i) } });
    tr.append(rowHead(step, split, compact));
    for (const c of cols) tr.append(stepCell(step, i, c, compact, selected, interactive));
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
  return th;
}

// pathSpan lets a long path break after its slashes rather than anywhere.
function pathSpan(path) {
  const parts = String(path ?? '').split(/(?<=\/)/);
  return h('span', { class: 'path' }, parts.flatMap((p, i) => (i === 0 ? [p] : [h('wbr'), p])));
}

function stepCell(step, i, c, compact, selected, interactive) {
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
    return cell({ ...base, cls: 'race' }, list, note);
  }
  const lint = (r.lint || []).length;
  return cell({ ...base, cls: `resp ${statusClass(r.status)}`, title: compact ? `${r.status} ${r.reason} — ${r.situation}` : null },
    h('span', { class: 'status-line' }, h('span', { class: 'status' }, String(r.status)), ' ', h('span', { class: 'reason' }, r.reason)),
    compact ? null : h('span', { class: 'situation' }, r.situation),
    lint > 0 ? h('span', { class: 'lint-flag', title: `${lint} lint finding(s)` }, h('span', { 'aria-hidden': 'true' }, '⚠'), ` ${lint}`, h('span', { class: 'visually-hidden' }, ' lint')) : null);
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
