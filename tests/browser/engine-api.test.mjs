// The playground without its WebAssembly engine, as a `go install`ed
// httpplay serves it: the page must fall back to the server's /api/run,
// say so in its status line, and show the same results as the CLI.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lib/ports.mjs';
import { BINARY, ROOT, buildBinary, cli, launchBrowser, waitForRun, watchPage } from './harness.mjs';

let web;
let server;
let browser;

/** serve runs `httpplay serve --web dir` on a free port until stop. */
async function serve(dir) {
  const port = await freePort();
  const child = spawn(BINARY, ['serve', '--addr', `127.0.0.1:${port}`, '--web', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((ok) => child.once('exit', ok));
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start: ${stderr}`)), 15000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('httpplay playground: ')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    stderr: () => stderr,
    async stop() {
      process.removeListener('exit', reap);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

before(async () => {
  await buildBinary();
  // web/ as a checkout without build output has it.
  web = await mkdtemp(join(tmpdir(), 'httpplay-web-'));
  await cp(join(ROOT, 'web'), web, {
    recursive: true,
    filter: (src) => !/(httpplay\.wasm(\.br|\.gz)?|wasm_exec\.js)$/.test(src),
  });
  server = await serve(web);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (web) await rm(web, { recursive: true, force: true });
});

/**
 * expectedConsole are the console errors this mode cannot avoid: the two
 * engine files answer 404 (the script as a refused text/plain), and
 * Chromium logs every 422 the API gives for a scenario error.
 */
const expectedConsole = /status of 404|wasm_exec\.js' because its MIME type|status of 422/;

test('the server says the page will use the API', () => {
  assert.match(server.stderr(), /has no httpplay\.wasm .*\/api\/run/);
});

test('the playground runs scenarios through /api/run and says so', async () => {
  const page = await browser.context.newPage();
  const seen = watchPage(page, server.url.replace(/\/$/, ''));
  await page.goto(server.url);
  await waitForRun(page);
  assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok');
  assert.match(await page.locator('#editor-status').textContent(), /run by the server/);
  // The first matrix is a preset's, which the server answers by name.
  assert.ok(seen.requests.some((u) => u.endsWith('/api/presets/follow-twice')), 'no request for the preset');

  // The page shows the statuses the CLI computes for the default preset.
  const want = JSON.parse(await cli('run', '--format', 'json', 'preset:follow-twice'));
  const first = await page.locator('#matrix td').first().textContent();
  const status = String(Object.values(want.steps[0].results)[0].status);
  assert.ok(first.includes(status), `first cell ${JSON.stringify(first)} lacks ${status}`);

  // A scenario error is shown at its line and column, once.
  const n = Number(await page.locator('#matrix').getAttribute('data-runs'));
  await page.locator('#scenario').fill('GET /users\n\nGET users\n');
  await waitForRun(page, n + 1);
  const text = await page.locator('#editor-status').textContent();
  assert.match(text, /Line 3, column 5: /);
  assert.doesNotMatch(text, /line 3, column 5/, 'the position is repeated');
  assert.ok(seen.requests.some((u) => u.endsWith('/api/run')), 'no request to /api/run');
  // The footer no longer says that scenarios stay in the page.
  assert.match(await page.locator('#where-note').textContent(), /sent to the server that sent this page/);

  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.foreign, []);
  assert.deepEqual(seen.console.filter((m) => !expectedConsole.test(m)), []);
  await page.close();
});

test('the embed view works without the engine too', async () => {
  const page = await browser.context.newPage();
  const seen = watchPage(page, server.url.replace(/\/$/, ''));
  await page.goto(`${server.url}embed#preset=delete-twice&policies=strict,zalando`);
  await page.waitForFunction(() => document.getElementById('embed-matrix').dataset.state === 'ok');
  assert.equal(await page.locator('#embed-title').textContent(), 'DELETE the same resource twice');
  assert.match(await page.locator('.embed-foot').textContent(), /on the server that sent this page/);
  assert.deepEqual(seen.errors, []);
  await page.close();
});
