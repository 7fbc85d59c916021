// Unit tests of the page's pure modules (exports, permalinks, matrix
// helpers, the editor's language support) in Node: the browser tests cover them end to end, these pin the
// escaping and the limits case by case.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { embedSnippet, shellQuote, toCurl } from '../../web/js/export.js';
import { decodeState, embedOptions, encodeState, LinkError } from '../../web/js/permalink.js';
import { columns, differs, propertyValue, raceSummary, stepLabel } from '../../web/js/matrix.js';
import { captureNames, classify, completions, stepRanges, warnings } from '../../web/js/language.js';
import * as catalog from '../../web/js/catalog.js';

const request = (method, path, extra = {}) => ({ method, path, ...extra });
const response = (status, reason) => ({ status, reason, headers: {}, body: '', situation: 's', trace: [], lint: [] });

describe('export', () => {
  test('shellQuote keeps every character literal', () => {
    const cases = {
      plain: ['abc', "'abc'"],
      quote: ["it's", "'it'\\''s'"],
      dollar: ['$HOME `id` $(id)', "'$HOME `id` $(id)'"],
      empty: ['', "''"],
      newline: ['a\nb', "'a\nb'"],
    };
    for (const [name, [input, want]] of Object.entries(cases)) assert.equal(shellQuote(input), want, name);
  });

  test('toCurl writes one command per request, races as background jobs', () => {
    const result = {
      title: "Quote's\ntitle",
      policies: ['strict'],
      steps: [
        { line: 2, request: request('GET', '/a'), results: {} },
        { line: 4, request: request('HEAD', '/a'), results: {} },
        { line: 6, request: request('POST', "/it's", { headers: { 'X-A': '$(id)' }, body: '{"a": "b\'c"}' }), results: {} },
        { line: 9, race: [request('DELETE', '/a/{{id}}', { client: 'c1' }), request('DELETE', '/a/1', { client: 'c2' })], results: {} },
      ],
    };
    assert.equal(toCurl(result), [
      '#!/bin/sh',
      "# Quote's title",
      '# Requests of the scenario as curl commands; set BASE to your server.',
      'BASE="${BASE:-http://localhost:8080}"',
      '',
      '# line 2',
      `curl -i \\\n  "$BASE"'/a'`,
      '',
      '# line 4',
      `curl -i \\\n  --head \\\n  "$BASE"'/a'`,
      '',
      '# line 6',
      `curl -i \\\n  -X 'POST' \\\n  "$BASE"'/it'\\''s' \\\n  -H 'X-A: $(id)' \\\n  --data-raw '{"a": "b'\\''c"}'`,
      '',
      '# line 9: race: these requests run concurrently',
      `curl -i \\\n  -X 'DELETE' \\\n  "$BASE"'/a/{{id}}' &`,
      `curl -i \\\n  -X 'DELETE' \\\n  "$BASE"'/a/1' &`,
      'wait',
      '',
      '# {{name}} stands for a value captured from an earlier response: fill it in by hand.',
      '',
    ].join('\n'));
  });

  test('embedSnippet escapes the attributes and sizes the frame', () => {
    const got = embedSnippet('https://h.example/embed.html#z=a"b', '"><script>alert(1)</script>', 3, 2);
    assert.equal(got, '<iframe src="https://h.example/embed.html#z=a&quot;b" title="httpplay: &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" ' +
      'width="100%" height="436" style="border:0" loading="lazy" referrerpolicy="no-referrer"></iframe>\n');
  });
});

describe('permalink', () => {
  test('a state survives a round trip, and Node decodes what the page encodes', async () => {
    const state = { text: '# Ünïcode ✓\nGET /a\n', policies: ['strict', 'zalando'] };
    const frag = await encodeState(state);
    assert.match(frag, /^z=[A-Za-z0-9_-]+$/);
    assert.deepEqual(await decodeState(`#${frag}`), state);
    const raw = JSON.parse(inflate(frag.slice(2)));
    assert.deepEqual(raw, { v: 1, ...state });
  });

  test('preset links and empty fragments', async () => {
    assert.equal(await decodeState(''), null);
    assert.equal(await decodeState('#'), null);
    assert.deepEqual(await decodeState('#preset=delete-twice&policies=strict,azure'), { preset: 'delete-twice', policies: ['strict', 'azure'] });
    assert.deepEqual(await decodeState('#preset=delete-twice'), { preset: 'delete-twice', policies: null });
  });

  test('damaged and hostile links are refused with a reason', async () => {
    const z = (value) => `z=${deflateRawSync(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))).toString('base64url')}`;
    const cases = {
      'no scenario': ['#foo=bar', /holds no scenario/],
      'not base64url': ['#z=<script>', /not valid base64url/],
      'not deflate': [`#z=${Buffer.from('hello').toString('base64url')}`, /damaged/],
      'not JSON': [`#${z('<img src=x onerror=alert(1)>')}`, /damaged/],
      'unknown version': [`#${z({ v: 2, text: 'GET /a' })}`, /unknown format/],
      'text not a string': [`#${z({ v: 1, text: { a: 1 } })}`, /holds no scenario/],
      'policies not a list': [`#${z({ v: 1, text: 'GET /a', policies: 'strict' })}`, /unknown form/],
      'policy not an id': [`#${z({ v: 1, text: 'GET /a', policies: ['<img>'] })}`, /not a valid id/],
      'bad preset': ['#preset=%3Cscript%3E', /no valid preset/],
      'too long': [`#z=${'A'.repeat(70 * 1024)}`, /too long/],
      'decompression bomb': [`#z=${deflateRawSync(Buffer.alloc(4 << 20, 0x20)).toString('base64url')}`, /too long/],
      'text too long': [`#${z({ v: 1, text: 'x'.repeat(300 * 1024) })}`, /too long/],
    };
    for (const [name, [fragment, want]] of Object.entries(cases)) {
      await assert.rejects(decodeState(fragment), (err) => err instanceof LinkError && want.test(err.message), name);
    }
  });
});

describe('matrix helpers', () => {
  test('differs and columns come from the engine\'s result', () => {
    assert.equal(differs({ differs: true }), true);
    assert.equal(differs({}), false, 'the engine leaves differs out where the columns agree');
    const result = {
      policies: ['strict', 'mine@check-then-act'],
      columns: [
        { id: 'strict', policy: 'strict', isolation: 'atomic', name: 'Strict', summary: 'S', guideline: false, custom: false },
        { id: 'mine@check-then-act', policy: 'mine', isolation: 'check-then-act', name: 'Mine', summary: 'My own.', guideline: false, custom: true },
      ],
    };
    const cols = columns(result, catalog.policies);
    assert.deepEqual(cols.map((c) => [c.id, c.base, c.kind, c.isolation, c.showIsolation, c.name, c.summary]), [
      ['strict', 'strict', 'core', 'atomic', true, 'Strict', 'S'],
      ['mine@check-then-act', 'mine', 'custom', 'check-then-act', true, 'Mine', 'My own.'],
    ]);
    const o = (statuses, orders = 1) => ({ statuses, orders });
    assert.deepEqual(raceSummary({ outcomes: [o([200, 412]), o([412, 200])] }), ['200 412 ×1', '412 200 ×1']);
    assert.equal(stepLabel({ race: [request('PUT', '/d', { client: 'ann' }), request('PUT', '/d', { client: 'bob' })] }), 'race: ann: PUT /d ‖ bob: PUT /d');
  });

  test('propertyValue says yes, no or n/a and whether that is good', () => {
    const cases = [
      ['retry_safe', { value: true }, { text: 'yes', tone: 'good' }],
      ['retry_safe', { value: false }, { text: 'no', tone: 'bad' }],
      ['leaks_existence', { value: true }, { text: 'yes', tone: 'bad' }],
      ['leaks_existence', { value: false }, { text: 'no', tone: 'good' }],
      ['loses_updates', { value: null }, { text: 'n/a', tone: 'none' }],
      ['some_new_property', { value: true }, { text: 'yes', tone: 'none' }],
      ['retry_safe', undefined, { text: 'n/a', tone: 'none' }],
    ];
    for (const [key, prop, want] of cases) assert.deepEqual(propertyValue(key, prop), want, `${key} ${JSON.stringify(prop)}`);
  });
});

describe('language', () => {
  const kinds = (text) => classify(text).map((l) => l.kind);

  test('classify follows the grammar line by line, and the segments are the line', () => {
    const text = [
      '# Title', '@unique /users email', '@policy mine', '{"base": "strict",', ' "rules": {}}', '',
      'POST /users', 'Content-Type: application/json', '{"email": "a@b"}', 'let id = header Location', '',
      'GET {{id}}', '', 'race {', '  client a {', '    PUT /x', '    If-Match: {{id}}', '  }', '', '  DELETE /x', '}', 'PSOT /x',
    ].join('\n');
    assert.deepEqual(kinds(text), [
      'comment', 'declaration', 'declaration', 'policy-json', 'policy-json', 'blank',
      'request', 'header', 'body', 'let', 'blank',
      'request', 'blank', 'block', 'block', 'request', 'header', 'block', 'blank', 'request', 'block', 'request',
    ]);
    for (const [i, l] of classify(text).entries()) assert.equal(l.segments.map(([, t]) => t).join(''), text.split('\n')[i], `line ${i + 1}`);
    const get = classify(text)[11].segments;
    assert.deepEqual(get, [['tok-method', 'GET'], ['', ' '], ['tok-capture', '{{id}}']]);
    assert.ok(classify(text)[21].segments[0][0].includes('tok-unknown'), 'an unsimulated method is marked');
    // A "}" inside a body's JSON does not close the block.
    assert.deepEqual(kinds('race {\n  PUT /a\n  {"a": {\n  }\n  }\n}'), ['block', 'request', 'body', 'body', 'body', 'block']);
  });

  test('completions offer methods, declarations, headers and defined captures', () => {
    const labels = (c) => c?.items.map((i) => i.label);
    assert.deepEqual(labels(completions('PO', 2)), ['POST']);
    assert.deepEqual(labels(completions('@u', 2)), ['@unique']);
    assert.equal(completions('GET /a\n\n@u', 11), null, 'no declarations after the first request');
    assert.deepEqual(labels(completions('GET /a\nIf-N', 11)), ['If-None-Match']);
    const text = 'POST /a\nlet loc = header Location\nlet tag = header ETag\n\nGET {{l';
    assert.deepEqual(labels(completions(text, text.length)), ['{{loc}}']);
    assert.equal(completions(text, text.length).items[0].insert, 'loc}}', 'the typed prefix is replaced');
    assert.deepEqual(captureNames(text), ['loc', 'tag']);
    assert.equal(completions('GET /a b', 8), null, 'nothing in the middle of a path');
  });

  test('warnings: methods nobody simulates, and captures that came back empty', () => {
    assert.deepEqual(warnings('# t\nPSOT /a\n').map((w) => [w.line, w.column, w.message]), [
      [2, 1, 'No policy simulates PSOT: every column answers it as method-not-allowed. Did you mean POST?'],
    ]);
    assert.deepEqual(warnings('GET /a\n'), []);
    const result = { steps: [{ line: 3, request: request('GET', '/docs/{{none}}'), results: { strict: { unfilled: ['none'] }, idem: { unfilled: ['none'] } } }] };
    const w = warnings('POST /a\nlet none = header X\nGET /docs/{{none}}\n', result);
    assert.deepEqual(w.map((x) => [x.line, x.column, x.length]), [[3, 11, 8]]);
    assert.match(w[0].message, /\{\{none\}\} is empty under strict, idem: its capture found nothing, so the path was sent without it/);
  });

  test('stepRanges maps each row to its lines, trailing blanks and comments left out', () => {
    const text = '# t\nPOST /a\nContent-Type: application/json\n{}\n\n# next\nGET /a\n\n';
    assert.deepEqual(stepRanges(text, { steps: [{ line: 2 }, { line: 7 }] }), [{ row: 0, from: 2, to: 4 }, { row: 1, from: 7, to: 7 }]);
  });

  test('embedOptions reads theme and compact', () => {
    assert.deepEqual(embedOptions('#z=abc&theme=light&compact'), { theme: 'light', compact: true });
    assert.deepEqual(embedOptions('#preset=x&theme=dark'), { theme: 'dark', compact: false });
    assert.deepEqual(embedOptions('#theme=<script>&compact=0'), { theme: 'auto', compact: false });
  });

  test('the catalog the page starts with lists presets and policies', () => {
    assert.ok(catalog.presets.length > 10 && catalog.presets.every((p) => p.name && p.title && p.text));
    assert.ok(catalog.policies.some((p) => p.id === 'strict' && p.default));
    assert.ok(catalog.presets.some((p) => p.name === catalog.defaultPreset));
  });
});

function inflate(b64) {
  return inflateRawSync(Buffer.from(b64, 'base64url')).toString('utf8');
}
