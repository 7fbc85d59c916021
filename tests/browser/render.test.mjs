// The documentation widget (web/embed.js) in headless Chromium: a page
// with three <httpplay-matrix> elements written by `httpplay render`, served
// with a strict Content-Security-Policy (no inline code, Trusted Types with
// no policy). The engine must be fetched once, and only when a widget comes
// into view; each table must equal `render --format html` byte for byte
// before and after the upgrade, and stay in place (no jump) when it was
// up to date.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ARTIFACTS, BINARY, ROOT, buildBinary, launchBrowser, watchPage } from './harness.mjs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "style-src 'self'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

// The three scenarios; the second is written into the page with a stale
// table, which the widget must replace.
const BLOCKS = [
  { info: 'policies=strict,zalando', text: '# Delete twice\nPOST /users\n{"id": "7"}\n\nDELETE /users/7\n\nDELETE /users/7\n' },
  { info: '', text: '# Follow twice\nPOST /users/alice/following\n{"id": "bob"}\n\nPOST /users/alice/following\n{"id": "bob"}\n' },
  { info: 'policies=strict,conditional', text: '# A <tag> & "quotes"\nPUT /docs/1\n{"v": 1}\n\nDELETE /docs/1\n' },
];

let dir;
let server;
let origin;
const counts = new Map();

/** renderBlocks runs `httpplay render` on a Markdown file of the blocks and returns each block's region. */
async function renderBlocks(extra, args) {
  const md = BLOCKS.map((b) => `\`\`\`httpplay ${b.info} ${extra}\n${b.text}\`\`\`\n`).join('\n');
  const file = join(dir, `blocks-${counts.size}-${extra || 'plain'}.md`);
  await writeFile(file, md);
  const { stdout } = await exec(BINARY, ['render', ...args, file], { cwd: ROOT, maxBuffer: 16 << 20 });
  const regions = [...stdout.matchAll(/<!-- httpplay:begin -->\n\n([\s\S]*?)\n\n<!-- httpplay:end -->/g)].map((m) => m[1]);
  assert.equal(regions.length, BLOCKS.length, stdout);
  return regions;
}

let fragments;
let page;

before(async () => {
  await buildBinary();
  dir = await mkdtemp(join(tmpdir(), 'httpplay-render-'));
  server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    counts.set(path, (counts.get(path) || 0) + 1);
    const files = {
      '/embed.js': ['web/embed.js', 'text/javascript'],
      '/wasm_exec.js': ['web/wasm_exec.js', 'text/javascript'],
      '/httpplay.wasm': ['web/httpplay.wasm', 'application/wasm'],
      '/httpplay-render.css': ['web/httpplay-render.css', 'text/css'],
    };
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Cache-Control', 'no-store');
    if (path === '/' || path === '/page.html') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(page);
    }
    if (path === '/test.css') {
      res.setHeader('Content-Type', 'text/css');
      return res.end('.spacer { height: 2400px; } body { font-family: sans-serif; }');
    }
    if (!files[path]) {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('Content-Type', files[path][1]);
    res.end(await readFile(join(ROOT, files[path][0])));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${server.address().port}`;
  const playground = `${origin}/play/`;
  fragments = await renderBlocks('', ['--format', 'html', '--playground', playground]);
  const live = await renderBlocks('live', ['--playground', playground]);
  live.forEach((region, i) => assert.ok(region.includes(fragments[i]), `the live element ${i} holds the html fragment`));
  // The second widget's table is stale: a different answer in one cell.
  live[1] = live[1].replace('409 Conflict', '418 Stale');
  assert.ok(live[1].includes('418 Stale'));
  page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docs with httpplay</title>
<link rel="stylesheet" href="/test.css">
<link rel="stylesheet" href="/httpplay-render.css">
<script type="module" src="/embed.js"></script>
</head><body>
<h1>A documentation page</h1>
<div class="spacer"></div>
${live[0]}
<div class="spacer"></div>
${live[1]}
<div class="spacer"></div>
${live[2]}
<div class="spacer"></div>
</body></html>`;
});

after(async () => {
  await new Promise((ok) => server?.close(ok));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('three widgets under a strict CSP: one lazy engine fetch, tables equal to render --format html', async () => {
  const browser = await launchBrowser();
  try {
    const tab = await browser.context.newPage();
    const seen = watchPage(tab, origin);
    await tab.goto(`${origin}/page.html`);
    await tab.waitForFunction(() => customElements.get('httpplay-matrix') !== undefined);
    const state = () => tab.$$eval('httpplay-matrix', (els) => els.map((e) => e.dataset.state));
    const tables = () => tab.$$eval('httpplay-matrix > .httpplay-result', (els) => els.map((e) => e.outerHTML));

    // Nothing is in view yet: the engine is not fetched.
    await tab.waitForTimeout(800);
    assert.deepEqual(await state(), ['static', 'static', 'static']);
    assert.equal(counts.get('/httpplay.wasm') || 0, 0, 'the wasm is fetched before any widget is visible');
    assert.equal(counts.get('/wasm_exec.js') || 0, 0);
    const before = await tables();
    assert.equal(before[0], fragments[0], 'pre-rendered table 1 equals render --format html');
    assert.equal(before[2], fragments[2], 'pre-rendered table 3 equals render --format html');
    assert.notEqual(before[1], fragments[1]);
    // Mark the up-to-date tables and measure them, to see that the upgrade keeps them.
    const boxes = await tab.$$eval('httpplay-matrix', (els) => els.map((e) => {
      e.querySelector('.httpplay-result').httpplayKept = 'yes'; // a property, not an attribute: outerHTML stays
      return e.getBoundingClientRect().height;
    }));

    await tab.locator('httpplay-matrix').nth(0).scrollIntoViewIfNeeded();
    await tab.waitForFunction(() => document.querySelector('httpplay-matrix').dataset.state === 'live');
    assert.deepEqual(await state(), ['live', 'static', 'static'], 'only the visible widget upgrades');
    assert.equal(counts.get('/httpplay.wasm'), 1);

    for (const i of [1, 2]) {
      await tab.locator('httpplay-matrix').nth(i).scrollIntoViewIfNeeded();
      await tab.waitForFunction((k) => document.querySelectorAll('httpplay-matrix')[k].dataset.state === 'live', i);
    }
    assert.equal(counts.get('/httpplay.wasm'), 1, 'the wasm is fetched once for the page');
    assert.equal(counts.get('/wasm_exec.js'), 1);

    const after = await tables();
    assert.deepEqual(after, fragments, 'every live table equals render --format html byte for byte');
    const kept = await tab.$$eval('httpplay-matrix > .httpplay-result', (els) => els.map((e) => e.httpplayKept || 'replaced'));
    assert.deepEqual(kept, ['yes', 'replaced', 'yes'], 'up-to-date tables stay in place; the stale one is replaced');
    const heights = await tab.$$eval('httpplay-matrix', (els) => els.map((e) => e.getBoundingClientRect().height));
    assert.equal(heights[0], boxes[0], 'no jump on upgrade');
    assert.equal(heights[2], boxes[2], 'no jump on upgrade');
    assert.deepEqual(await tab.$$eval('httpplay-matrix .httpplay-controls button', (bs) => bs.map((b) => b.disabled)), [false, false, false, false, false, false]);

    // Edit and Run: a new scenario gives a new table and a new permalink.
    const third = tab.locator('httpplay-matrix').nth(2);
    const oldHref = await third.locator('a.httpplay-open').getAttribute('href');
    assert.ok(oldHref.startsWith(`${origin}/play/#z=`), oldHref);
    await third.locator('.httpplay-edit').click();
    await third.locator('textarea.httpplay-editor').fill('# Edited\nDELETE /docs/9\n');
    await third.locator('.httpplay-run').click();
    await tab.waitForFunction(() => document.querySelectorAll('httpplay-matrix')[2].querySelector('caption')?.textContent === 'Edited');
    assert.match(await third.locator('tbody tr').first().textContent(), /404 Not Found/);
    assert.notEqual(await third.locator('a.httpplay-open').getAttribute('href'), oldHref);
    // A mistake is reported with its position, as text.
    await third.locator('textarea.httpplay-editor').fill('GET users\n');
    await third.locator('.httpplay-run').click();
    assert.match(await third.locator('.httpplay-error').textContent(), /line 1, column 5: the path must start with/);

    await tab.screenshot({ path: join(ARTIFACTS, 'render-widgets.png'), fullPage: false });
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.console, [], 'no CSP violation or other console error');
    assert.deepEqual(seen.foreign, []);
  } finally {
    await browser.close();
  }
});
