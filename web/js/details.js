// The details pane for one selected cell: the request, the full response,
// the situation, the decision trace with its citations and lint findings;
// for a race, every outcome; for a property, its explanation.

import { h, externalLink, statusClass } from './dom.js';
import { column, propertyLabel, propertyValue, requestLine } from './matrix.js';

/** renderDetails fills container for the cell sel = {row, col} of result. */
export function renderDetails(container, result, sel, catalog) {
  container.replaceChildren();
  if (!result || !sel) {
    container.append(h('p', { class: 'empty-note' }, 'Select a cell of the matrix to see the full exchange and why each policy answers as it does.'));
    return;
  }
  const col = column(sel.col, catalog);
  const head = h('header', { class: 'details-head' });
  container.append(head);
  const policyLine = h('p', { class: 'policy-line' },
    h('span', { class: 'policy-id' }, col.id), ' · ',
    col.info ? externalLink(col.info.url, col.info.name) : h('span', {}, 'custom policy from the scenario'),
    col.variant ? ` · ${col.variant}` : null);

  if (String(sel.row).startsWith('prop:')) {
    const key = String(sel.row).slice(5);
    const prop = result.properties?.[sel.col]?.[key];
    const { text, tone } = propertyValue(key, prop);
    head.append(h('h2', { id: 'details-heading' }, `${propertyLabel(key)}: ${text}`), policyLine);
    const sec = section('Why');
    sec.append(h('p', { class: `prop-summary tone-${tone}` }, prop?.summary || 'No analysis for this column.'));
    if (prop?.details?.length) sec.append(h('ul', { class: 'plain-list' }, prop.details.map((d) => h('li', {}, d))));
    if (prop?.lines?.length) sec.append(h('p', { class: 'muted' }, `Decided by line${prop.lines.length > 1 ? 's' : ''} ${prop.lines.join(', ')}.`));
    if (prop?.cite) sec.append(h('p', { class: 'cite' }, 'See ', externalLink(prop.url, prop.cite)));
    container.append(sec);
    return;
  }

  const step = result.steps?.[Number(sel.row)];
  const r = step?.results?.[sel.col];
  if (!step || !r) {
    head.append(h('h2', { id: 'details-heading' }, 'No answer'), policyLine);
    return;
  }
  if (step.race) {
    renderRace(container, head, policyLine, step, r);
    return;
  }
  head.append(h('h2', { id: 'details-heading' },
    h('span', { class: `status-badge ${statusClass(r.status)}` }, String(r.status)), ' ', r.reason), policyLine);

  const req = r.sent || step.request;
  const reqSec = section(`Request · line ${step.line}`);
  reqSec.append(httpBlock(`${req.method} ${req.path} HTTP/1.1`, req.headers, req.body));
  if (r.sent) reqSec.append(h('p', { class: 'muted' }, 'As sent, after {{…}} values captured from earlier responses were filled in.'));
  container.append(reqSec);

  const resSec = section('Response');
  resSec.append(httpBlock(`HTTP/1.1 ${r.status} ${r.reason}`, r.headers, r.body));
  container.append(resSec);

  const sitSec = section('Situation');
  sitSec.append(h('p', {}, h('span', { class: 'situation-chip' }, r.situation)));
  container.append(sitSec);

  container.append(traceSection(r.trace));
  container.append(lintSection(r.lint));
}

function renderRace(container, head, policyLine, step, r) {
  const outcomes = r.outcomes || [];
  head.append(h('h2', { id: 'details-heading' }, `Race: ${outcomes.length} outcome${outcomes.length === 1 ? '' : 's'}`), policyLine);
  const reqSec = section(`Concurrent requests · line ${step.line}`);
  for (const req of step.race || []) {
    reqSec.append(h('p', { class: 'race-req' }, req.client ? h('strong', {}, `${req.client}`) : null));
    reqSec.append(httpBlock(`${req.method} ${req.path} HTTP/1.1`, req.headers, req.body));
  }
  container.append(reqSec);
  const facts = [];
  if (r.isolation) facts.push(`isolation ${r.isolation}`);
  if (r.orders !== undefined) facts.push(`${r.orders} interleavings`);
  if (r.explored !== undefined) facts.push(`${r.explored} states explored`);
  if (r.complete === false) facts.push('exploration stopped at its bound: outcomes may be missing');
  const outSec = section('Outcomes');
  if (facts.length) outSec.append(h('p', { class: 'muted' }, facts.join(' · ')));
  const list = h('ol', { class: 'outcome-details' });
  for (const o of outcomes) {
    const li = h('li', {});
    li.append(h('p', { class: 'outcome-head' },
      (o.statuses || []).map((s, i) => [h('span', { class: `status-badge ${statusClass(s)}` }, String(s)),
        o.situations?.[i] ? h('span', { class: 'muted' }, ` ${o.situations[i]} `) : ' ']),
      h('span', { class: 'orders' }, `in ${o.orders} order${o.orders === 1 ? '' : 's'}`)));
    if (o.example?.length) {
      li.append(h('p', { class: 'muted' }, 'For example:'), h('ol', { class: 'example-order' }, o.example.map((e) => h('li', {}, h('code', {}, e)))));
    }
    if (o.final !== undefined) {
      li.append(h('p', { class: 'muted' }, 'Final state:'), h('pre', { class: 'http' }, JSON.stringify(o.final, null, 2)));
    }
    list.append(li);
  }
  outSec.append(list);
  container.append(outSec);
}

function section(title) {
  return h('section', { class: 'details-section' }, h('h3', {}, title));
}

/** httpBlock shows a message the way it travels: start line, headers, body. */
function httpBlock(startLine, headers, body) {
  const pre = h('pre', { class: 'http' });
  pre.append(h('span', { class: 'start-line' }, startLine), '\n');
  for (const [name, value] of Object.entries(headers || {})) {
    pre.append(h('span', { class: 'header-name' }, name), ': ', h('span', { class: 'header-value' }, value), '\n');
  }
  if (body) pre.append('\n', h('span', { class: 'body' }, prettyBody(body)));
  return pre;
}

/** prettyBody indents JSON bodies and leaves anything else as it is. */
export function prettyBody(body) {
  const text = String(body);
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return text;
}

function traceSection(trace = []) {
  const sec = section('Decision trace');
  const ol = h('ol', { class: 'trace' });
  for (const t of trace) {
    ol.append(h('li', {},
      h('span', { class: 'trace-step' }, t.step),
      h('span', { class: 'trace-detail' }, t.detail),
      t.cite ? h('span', { class: 'cite' }, externalLink(t.url, t.cite)) : null));
  }
  if (trace.length === 0) sec.append(h('p', { class: 'muted' }, 'No decisions recorded.'));
  else sec.append(ol);
  return sec;
}

function lintSection(lint = []) {
  const sec = section('Lint');
  if (lint.length === 0) {
    sec.append(h('p', { class: 'lint-clean' }, h('span', { 'aria-hidden': 'true' }, '✓ '), 'No findings: the response follows the rules checked.'));
    return sec;
  }
  const ul = h('ul', { class: 'lint' });
  for (const f of lint) {
    ul.append(h('li', { class: `lint-${String(f.level).replace(/[^a-z]/g, '')}` },
      h('span', { class: 'lint-level' }, f.level),
      h('span', { class: 'lint-message' }, f.message),
      f.cite ? h('span', { class: 'cite' }, externalLink(f.url, f.cite)) : null));
  }
  sec.append(ul);
  return sec;
}

/** describeCell is a short sentence for screen readers and the status line. */
export function describeCell(result, sel) {
  if (!result || !sel) return '';
  if (String(sel.row).startsWith('prop:')) return `${propertyLabel(String(sel.row).slice(5))} under ${sel.col}`;
  const step = result.steps?.[Number(sel.row)];
  const r = step?.results?.[sel.col];
  if (!step || !r) return '';
  if (step.race) return `${sel.col}: race at line ${step.line}`;
  return `${sel.col}: ${requestLine(step.request)} → ${r.status} ${r.reason}`;
}
