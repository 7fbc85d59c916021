// Unit tests of the page's pure modules (exports, permalinks, matrix
// helpers) in Node: the browser tests cover them end to end, these pin the
// escaping and the limits case by case.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { embedSnippet, shellQuote, toCurl, toMarkdown } from '../../web/js/export.js';
import { decodeState, encodeState, LinkError } from '../../web/js/permalink.js';
import { differs, propertyValue, raceSummary, stepLabel } from '../../web/js/matrix.js';

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

  test('toMarkdown escapes table syntax and markup', () => {
    const result = {
      title: '<b>A | B</b>',
      policies: ['strict', 'x|y'],
      steps: [
        { line: 3, request: request('GET', '/a|b'), results: { strict: response(200, 'OK'), 'x|y': response(404, 'Not Found') } },
        {
          line: 5,
          race: [request('PUT', '/d', { client: 'a' }), request('PUT', '/d', { client: 'b' })],
          results: { strict: { outcomes: [{ statuses: [200, 412], orders: 1 }, { statuses: [412, 200], orders: 1 }] }, 'x|y': { outcomes: [] } },
        },
      ],
      properties: { strict: { retry_safe: { value: false } }, 'x|y': { retry_safe: { value: null } } },
    };
    assert.equal(toMarkdown(result), [
      '**\\<b\\>A | B\\</b\\>**',
      '',
      '| Line | Request | strict | x\\|y |',
      '| ---: | --- | --- | --- |',
      '| 3 | GET /a\\|b | 200 OK | 404 Not Found |',
      '| 5 | race: a: PUT /d; b: PUT /d | 200 412 ×1<br>412 200 ×1 |  |',
      '|  | *Safe to retry* | no | n/a |',
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
  test('differs compares statuses, and race outcome sets regardless of order', () => {
    const same = { request: request('GET', '/'), results: { a: response(200, 'OK'), b: response(200, 'OK') } };
    const split = { request: request('GET', '/'), results: { a: response(200, 'OK'), b: response(404, 'Not Found') } };
    const o = (statuses, orders = 1) => ({ statuses, orders });
    const raceSame = { race: [], results: { a: { outcomes: [o([200, 412]), o([412, 200])] }, b: { outcomes: [o([412, 200]), o([200, 412])] } } };
    const raceSplit = { race: [], results: { a: { outcomes: [o([200, 412])] }, b: { outcomes: [o([200, 200])] } } };
    assert.equal(differs(same, ['a', 'b']), false);
    assert.equal(differs(split, ['a', 'b']), true);
    assert.equal(differs(split, ['a']), false);
    assert.equal(differs(raceSame, ['a', 'b']), false);
    assert.equal(differs(raceSplit, ['a', 'b']), true);
    assert.deepEqual(raceSummary(raceSame.results.a), ['200 412 ×1', '412 200 ×1']);
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

function inflate(b64) {
  return inflateRawSync(Buffer.from(b64, 'base64url')).toString('utf8');
}
