// Shared harness of the browser tests and the web benchmark: builds and
// starts the native server on a free port, and launches Debian's Chromium
// headless through playwright-core (browsers are never downloaded).

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/ports.mjs';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { chromium } from 'playwright-core';

/** ROOT is the repository. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** BINARY is the native httpplay built for the tests. */
export const BINARY = join(ROOT, 'build', 'httpplay');
/** ARTIFACTS is where tests leave screenshots. */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const run = promisify(execFile);

/** buildBinary compiles the native server and CLI into build/httpplay. */
export async function buildBinary() {
  await run('go', ['build', '-o', BINARY, '.'], { cwd: ROOT, maxBuffer: 16 << 20 });
}

/** cli runs build/httpplay with args and returns its stdout. */
export async function cli(...args) {
  const { stdout } = await run(BINARY, args, { cwd: ROOT, maxBuffer: 64 << 20 });
  return stdout;
}


/**
 * startServer runs `httpplay serve` on a free loopback port and resolves
 * to {url, stop} once the server printed its URL.
 */
export async function startServer() {
  const port = await freePort();
  const child = spawn(BINARY, ['serve', '--addr', `127.0.0.1:${port}`, '--web', join(ROOT, 'web')], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((ok) => child.once('exit', ok));
  // A test process that dies without calling stop must not leave a server.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server did not start: ${stderr}`)), 15000);
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
    async stop() {
      process.removeListener('exit', reap);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * launchBrowser starts headless Chromium with a fresh profile; touch
 * makes it a touch screen (coarse pointer, no hover), as tablets are.
 */
export async function launchBrowser({ touch = false } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'httpplay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    hasTouch: touch,
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * watchPage records what must never happen on a page: dialogs, page
 * errors, console errors and requests to anything but the test server.
 */
export function watchPage(page, origin) {
  const seen = { dialogs: [], errors: [], console: [], foreign: [], requests: [] };
  page.on('dialog', (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') seen.console.push(m.text()); });
  page.on('request', (r) => {
    seen.requests.push(r.url());
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) seen.foreign.push(r.url());
  });
  return seen;
}

/** waitForRun waits until the playground rendered run number n (default: the first). */
export async function waitForRun(page, n = 1) {
  await page.waitForFunction((k) => Number(document.getElementById('matrix')?.dataset.runs || 0) >= k, n);
}

/**
 * fragmentFor builds a permalink fragment in Node, independently of the
 * page's own encoder, so a test can check that the two agree.
 */
export function fragmentFor(state) {
  return `z=${deflateRawSync(Buffer.from(JSON.stringify({ v: 1, ...state }))).toString('base64url')}`;
}
