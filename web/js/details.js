// The details pane for one selected cell: the request, the full response,
// the situation, the decision trace with its citations and lint findings;
// for a race, every outcome; for a property, its explanation.

import { h, externalLink, statusClass } from './dom.js';
import { column, columns, propertyLabel, propertyValue, requestLine } from './matrix.js';

/** renderDetails fills container for the cell sel = {row, col} of result. */
export function renderDetails(container, result, sel, catalog) {
  container.replaceChildren();
  if (!result || !sel) {
    container.append(h('p', { class: 'empty-note' }, 'Select a cell of the matrix to see the full exchange and why each policy answers as it does.'));
    return;
  }
  const col = column(sel.col, catalog, result);
  const head = h('header', { class: 'details-head' });
  container.append(head);
  const policyLine = h('div', { class: 'policy-line' },
    h('p', {}, h('span', { class: 'policy-id' }, col.id), ' · ',
      col.url ? externalLink(col.url, col.name) : h('span', { class: 'policy-name' }, col.name),
      col.custom ? ' · custom policy from the scenario' : null,
      col.showIsolation ? ` · ${col.isolation} isolation` : null),
    col.summary ? h('p', { class: 'policy-summary' }, col.summary) : null);

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
  if (r.unfilled?.length) reqSec.append(unfilledNote(r.unfilled));
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
  // The requests as this column sent them: {{name}} filled in with what
  // it captured before the race (a name a client captures inside the race
  // depends on the order, so it stays a placeholder).
  const sent = r.sent || step.race || [];
  const reqSec = section(`Concurrent requests${r.sent ? ', as sent' : ''} · line ${step.line}`);
  sent.forEach((req, i) => {
    reqSec.append(h('p', { class: 'race-req' }, h('strong', {}, `${i + 1}. ${req.client || 'client'}`)));
    reqSec.append(httpBlock(`${req.method} ${req.path} HTTP/1.1`, req.headers, req.body));
  });
  if (r.sent) reqSec.append(h('p', { class: 'muted' }, 'As sent, after {{…}} values captured from earlier responses were filled in.'));
  if (r.unfilled?.length) reqSec.append(unfilledNote(r.unfilled));
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
    // Each raced request with what it got in this outcome.
    const rows = h('tbody');
    sent.forEach((req, i) => rows.append(h('tr', {},
      h('td', {}, req.client || ''),
      h('td', {}, h('code', { class: 'sent-line' }, `${req.method} ${req.path}`),
        req.headers?.['If-Match'] ? h('code', { class: 'sent-header' }, ` If-Match: ${req.headers['If-Match']}`) : null),
      h('td', {}, h('span', { class: `status-badge ${statusClass(o.statuses?.[i])}` }, String(o.statuses?.[i] ?? '—'))),
      h('td', { class: 'muted' }, o.situations?.[i] || ''))));
    li.append(h('table', { class: 'race-requests' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Client'), h('th', { scope: 'col' }, 'Sent'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Situation'))),
      rows));
    if (o.example?.length) {
      li.append(h('p', { class: 'muted' }, 'For example:'), h('ol', { class: 'example-order' }, o.example.map((e) => h('li', {}, h('code', {}, e)))));
    }
    // The engine replays the example order in full for the first outcomes:
    // each request's response as sent back, with its trace and lint.
    (o.responses || []).forEach((resp, i) => {
      const req = sent[i] || {};
      const more = h('details', { class: 'race-response' },
        h('summary', {}, `${i + 1}. ${req.client || 'client'}: ${resp.status} ${resp.reason}, in this order`));
      more.append(httpBlock(`HTTP/1.1 ${resp.status} ${resp.reason}`, resp.headers, resp.body));
      more.append(traceSection(resp.trace));
      if (resp.lint?.length) more.append(lintSection(resp.lint));
      li.append(more);
    });
    if (o.final !== undefined) {
      li.append(h('p', { class: 'muted' }, 'Final state:'), h('pre', { class: 'http' }, JSON.stringify(o.final, null, 2)));
    }
    list.append(li);
  }
  outSec.append(list);
  container.append(outSec);
}

function unfilledNote(names) {
  const list = names.map((n) => `{{${n}}}`).join(', ');
  return h('p', { class: 'unfilled-note' }, h('span', { 'aria-hidden': 'true' }, '∅ '),
    `${list} was empty in this column: the capture found nothing (see the capture in the trace of the request that set it), so the request was sent without it.`);
}

/**
 * renderCompare fills container with the responses of columns a and b to
 * every step side by side, the parts that differ highlighted.
 */
export function renderCompare(container, result, a, b, catalog) {
  container.replaceChildren();
  const [ca, cb] = [a, b].map((id) => columns(result, catalog).find((c) => c.id === id));
  if (!ca || !cb) {
    container.append(h('p', { class: 'empty-note' }, 'Choose two columns to compare.'));
    return;
  }
  let differing = 0;
  const body = h('div', { class: 'compare-steps' });
  (result.steps || []).forEach((step, i) => {
    const ra = step.results?.[a];
    const rb = step.results?.[b];
    if (!ra || !rb) return;
    const row = h('section', { class: 'compare-step', dataset: { row: String(i) } });
    const label = step.race ? `race · ${step.race.map(requestLine).join(' ‖ ')}` : requestLine(step.request);
    let same;
    let sides;
    if (step.race) {
      const fa = outcomeText(ra);
      const fb = outcomeText(rb);
      same = fa === fb;
      sides = [fa, fb].map((t) => h('pre', { class: `http${same ? '' : ' diff'}` }, t));
    } else {
      const parts = compareResponses(ra, rb);
      same = parts.every((p) => p.same);
      sides = [ra, rb].map((r, k) => {
        const pre = h('pre', { class: 'http' });
        for (const p of parts) {
          const text = k === 0 ? p.a : p.b;
          if (text === null) continue;
          pre.append(h('span', { class: p.same ? p.cls : `${p.cls} diff` }, text), '\n');
        }
        return pre;
      });
    }
    if (!same) differing++;
    row.classList.toggle('differs', !same);
    row.append(h('h3', {}, h('span', { class: 'line' }, `line ${step.line}`), ' ', label, same ? h('span', { class: 'same-tag' }, ' same') : h('span', { class: 'differs-tag' }, ' ≠ differs')),
      h('div', { class: 'compare-sides' }, sides));
    body.append(row);
  });
  container.append(h('header', { class: 'details-head' },
    h('h2', { id: 'details-heading' }, `${ca.id} and ${cb.id}`),
    h('p', { class: 'policy-line' }, `${differing} of ${result.steps.length} step${result.steps.length === 1 ? '' : 's'} differ. `,
      h('span', { class: 'muted' }, `${ca.name} · ${cb.name}`))),
  h('div', { class: 'compare-cols' }, h('span', {}, ca.id), h('span', {}, cb.id)), body);
}

// compareResponses lines two responses up: status line, each header (by
// name, either side may lack it) and the body, each marked same or not.
function compareResponses(ra, rb) {
  const parts = [{ cls: 'start-line', a: `${ra.status} ${ra.reason}`, b: `${rb.status} ${rb.reason}` }];
  const names = [...new Set([...Object.keys(ra.headers || {}), ...Object.keys(rb.headers || {})])].sort();
  for (const n of names) {
    const va = ra.headers?.[n];
    const vb = rb.headers?.[n];
    parts.push({ cls: 'header-line', a: va === undefined ? '' : `${n}: ${va}`, b: vb === undefined ? '' : `${n}: ${vb}` });
  }
  parts.push({ cls: 'body', a: ra.body ? prettyBody(ra.body) : '(no body)', b: rb.body ? prettyBody(rb.body) : '(no body)' });
  parts.push({ cls: 'situation-line', a: `situation: ${ra.situation}`, b: `situation: ${rb.situation}` });
  return parts.map((p) => ({ ...p, same: p.a === p.b }));
}

function outcomeText(r) {
  return (r.outcomes || []).map((o) => `${(o.statuses || []).join(' ')}  ×${o.orders}`).sort().join('\n');
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
