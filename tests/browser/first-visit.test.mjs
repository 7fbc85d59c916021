// The order of a cold first visit: boot.js asks the server for the first
// matrix while the page is still being parsed, and the engine (Go's
// wasm_exec.js, httpplay.wasm and its compilation) waits until that
// matrix is drawn. A link or a draft needs the engine at once: there the
// module is fetched by boot.js and compiled while it streams in. These
// tests fail when the first matrix again waits for the engine, or the
// question for it waits for the page's modules.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPreset } from '../../web/js/catalog.js';
import { ROOT, buildBinary, fragmentFor, launchBrowser, startServer, waitForRun, watchPage } from './harness.mjs';

let server;

before(async () => {
  await buildBinary();
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// record runs in the page before its scripts: it notes when the page
// calls WebAssembly's compile functions, and the status line at the
// first matrix.
function record() {
  globalThis.compileCalls = [];
  const mark = performance.mark.bind(performance);
  performance.mark = (name, ...rest) => {
    if (name === 'httpplay:first-matrix') globalThis.firstStatus = document.getElementById('editor-status').textContent;
    return mark(name, ...rest);
  };
  for (const name of ['compile', 'compileStreaming']) {
    const real = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      globalThis.compileCalls.push({ name, at: performance.now() });
      return real.apply(this, args);
    };
  }
}

/**
 * visit opens url in a new browser profile (no cache, no draft) and
 * returns, once the page is complete, the requests with the script that
 * issued each (from the DevTools protocol), the resource timings, the
 * marks and the compile calls.
 */
async function visit(url, { storage = null, route = null, act = null } = {}) {
  const fresh = await launchBrowser();
  try {
    const page = await fresh.context.newPage();
    const seen = watchPage(page, server.url.replace(/\/$/, ''));
    await page.addInitScript(record);
    // Init scripts run before the page's own, so boot.js sees the draft.
    if (storage) await page.addInitScript((s) => { for (const [k, v] of Object.entries(s)) localStorage.setItem(k, v); }, storage);
    const cdp = await fresh.context.newCDPSession(page);
    await cdp.send('Network.enable');
    const initiators = new Map();
    cdp.on('Network.requestWillBeSent', (e) => {
      const frame = e.initiator.stack?.callFrames?.[0] ?? null;
      initiators.set(new URL(e.request.url).pathname + new URL(e.request.url).search, frame ? new URL(frame.url).pathname : e.initiator.type);
    });
    if (route) await route(page);
    await page.goto(url);
    if (act) await act(page);
    await waitForRun(page);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
    const out = await page.evaluate(() => ({
      marks: Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])),
      resources: Object.fromEntries(performance.getEntriesByType('resource').map((r) => [new URL(r.name).pathname + new URL(r.name).search, r.startTime])),
      compiles: globalThis.compileCalls,
      status: globalThis.firstStatus,
      runs: document.getElementById('matrix').dataset.runs,
      state: document.getElementById('matrix').dataset.state,
    }));
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.console, []);
    return { ...out, initiators, requests: seen.requests.map((u) => new URL(u).pathname + new URL(u).search) };
  } finally {
    await fresh.close();
  }
}

test('a first visit asks for its matrix from boot.js and loads the engine after the matrix is drawn', async () => {
  const v = await visit(server.url);
  const first = v.marks['httpplay:first-matrix'];
  assert.ok(first > 0, 'a first matrix');
  // One question, under the default policies, asked by boot.js: it does
  // not wait for the page's modules.
  assert.deepEqual(v.requests.filter((u) => u.startsWith('/api/')), ['/api/presets/follow-twice']);
  assert.equal(v.initiators.get('/api/presets/follow-twice'), '/js/boot.js');
  // Nothing of the engine is fetched or compiled before the first matrix.
  for (const file of ['/httpplay.wasm', '/wasm_exec.js']) {
    assert.ok(v.resources[file] > first, `${file} fetched at ${v.resources[file]} ms, before the first matrix at ${first} ms`);
  }
  assert.equal(v.compiles.length, 1, JSON.stringify(v.compiles));
  assert.ok(v.compiles[0].at > first, `compiled at ${v.compiles[0].at} ms, before the first matrix at ${first} ms`);
  // The first matrix is the server's; then the engine starts, and that
  // matrix stays: it is the engine's own answer.
  assert.match(v.status, /run by the server while the simulator loads/);
  assert.ok(v.marks['httpplay:engine-started'] > first);
  assert.equal(v.state, 'ok');
  assert.equal(v.runs, '1');
});

test('a link or a draft loads the engine at once, compiling it as it streams in, and asks the server nothing', async () => {
  const link = `${server.url}#${fragmentFor({ text: '# Mine\nGET /users/ann\n', policies: ['strict'] })}`;
  const draft = { 'httpplay:draft': JSON.stringify({ v: 1, text: '# Draft\nDELETE /users/ann\n', policies: ['strict'] }) };
  for (const [name, v] of [['link', await visit(link)], ['draft', await visit(server.url, { storage: draft })]]) {
    assert.deepEqual(v.requests.filter((u) => u.startsWith('/api/')), [], `${name}: no question to the server`);
    assert.equal(v.initiators.get('/httpplay.wasm'), '/js/boot.js', `${name}: the module is fetched by boot.js`);
    assert.deepEqual(v.compiles.map((c) => c.name), ['compileStreaming'], `${name}: streaming compilation`);
    assert.ok(v.compiles[0].at < v.marks['httpplay:first-matrix'], `${name}: compiled before the first matrix`);
    assert.equal(v.state, 'ok', name);
    assert.doesNotMatch(v.status, /by the server/, name);
  }
});

test('the playground names the default preset as its first visit\'s', async () => {
  const html = await readFile(join(ROOT, 'web', 'index.html'), 'utf8');
  const named = html.match(/<script src="js\/boot\.js" data-first-preset="([^"]+)"><\/script>/);
  assert.ok(named, 'index.html loads boot.js, parser-blocking, with data-first-preset');
  assert.equal(named[1], defaultPreset);
  // boot.js runs before the stylesheet, so before the first frame.
  assert.ok(html.indexOf('js/boot.js') < html.indexOf('css/playground.css'));
});

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** slowly delays every request matching glob by ms. */
const slowly = (glob, ms) => (page) => page.route(glob, async (r) => { await sleep(ms); await r.continue(); });

test('an answer boot.js received is used when the page\'s modules run late', async () => {
  // A slow device: app.js runs after boot.js's time limit has passed.
  const v = await visit(server.url, { route: slowly('**/js/app.js', 2500) });
  assert.match(v.status, /run by the server while the simulator loads/);
  assert.deepEqual(v.requests.filter((u) => u.startsWith('/api/')), ['/api/presets/follow-twice']);
});

test('Ctrl+Enter before the answer waits for it; an edit makes it moot and the engine loads at once', async () => {
  const loading = (page) => page.waitForFunction(() => document.getElementById('matrix').dataset.state === 'loading');
  const again = await visit(server.url, {
    route: slowly('**/api/presets/**', 1500),
    act: async (page) => {
      await loading(page);
      await page.focus('#scenario');
      await page.keyboard.press('Control+Enter');
    },
  });
  assert.match(again.status, /run by the server while the simulator loads/, 'the answer on its way was used');
  assert.deepEqual(again.requests.filter((u) => u.startsWith('/api/')), ['/api/presets/follow-twice'], 'asked once');

  // Times on this process's clock: when the answer was let go, and when
  // the page asked for the module.
  let answeredAt = Infinity;
  let wasmAt = Infinity;
  const edited = await visit(server.url, {
    route: async (page) => {
      page.on('request', (r) => { if (new URL(r.url()).pathname === '/httpplay.wasm') wasmAt = Math.min(wasmAt, performance.now()); });
      await page.route('**/api/presets/**', async (r) => {
        await sleep(1500);
        answeredAt = performance.now();
        await r.continue();
      });
    },
    act: async (page) => {
      await loading(page);
      await page.focus('#scenario');
      await page.keyboard.press('Control+End');
      await page.keyboard.type('\nGET /users/ann\n');
    },
  });
  assert.ok(wasmAt < answeredAt, `the engine was asked for ${(wasmAt - answeredAt).toFixed(0)} ms after the moot answer`);
  assert.doesNotMatch(edited.status, /by the server/);
});

test('an answer that is JSON but no result is left to the engine', async () => {
  const v = await visit(server.url, {
    route: (page) => page.route('**/api/presets/**', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: '{"not": "a result"}' })),
  });
  assert.equal(v.state, 'ok');
  assert.doesNotMatch(v.status, /by the server/);
});

test('the skip link and in-page fragments move the focus and keep the scenario and its link', async () => {
  const fresh = await launchBrowser();
  try {
    const page = await fresh.context.newPage();
    const link = `${server.url}#${fragmentFor({ text: '# Kept\nGET /users/ann\n', policies: ['strict'] })}`;
    await page.goto(link);
    await waitForRun(page);
    const hash = await page.evaluate(() => location.hash);
    await page.focus('.skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'matrix-region');
    assert.equal(await page.evaluate(() => location.hash), hash, 'the address bar keeps the link');
    // Typed into the address bar, the same fragment changes nothing either.
    await page.evaluate(() => { location.hash = 'matrix-region'; });
    await sleep(300);
    assert.equal(await page.locator('#scenario').inputValue(), '# Kept\nGET /users/ann\n');
    assert.equal(await page.locator('#notice').isVisible().catch(() => false), false, 'no notice about a bad link');
  } finally {
    await fresh.close();
  }
});

test('the embed view fetches the engine once when boot.js runs late', async () => {
  const fresh = await launchBrowser();
  try {
    const page = await fresh.context.newPage();
    const seen = watchPage(page, server.url.replace(/\/$/, ''));
    await slowly('**/js/boot.js', 800)(page);
    await page.goto(`${server.url}embed#preset=delete-twice&policies=strict`);
    await page.waitForFunction(() => document.getElementById('embed-matrix').dataset.state === 'ok');
    await sleep(1200);
    assert.equal(seen.requests.filter((u) => new URL(u).pathname === '/httpplay.wasm').length, 1, seen.requests.join('\n'));
    assert.deepEqual(seen.errors, []);
  } finally {
    await fresh.close();
  }
});
