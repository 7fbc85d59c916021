// bench.mjs measures the playground's delivery and latency budgets in
// headless Chromium against the native server, and prints them (it asserts
// nothing):
//
//   bytes:        what a cold load of the playground transfers (bodies and
//                 headers, from the DevTools protocol), with compression and
//                 with Accept-Encoding: identity;
//   first matrix: navigation start to the first rendered matrix of the
//                 default preset (performance mark "httpplay:first-matrix"),
//                 cold (a new browser profile for every load) on loopback
//                 and at 20 Mbit/s with 40 ms latency (DevTools network
//                 emulation), and warm (the browser's caches filled), with
//                 the part of the warm time spent until the engine is ready;
//   re-run:       an edit run with Ctrl+Enter to the next painted frame.
//
// With BASELINE=DIR (another checkout, e.g. of the main branch) the cold
// loads also run against that checkout's server and page, interleaved with
// this one's, so that before and after are measured in the same run on the
// same noisy machine.
//
// Usage: [BASELINE=DIR] node tests/browser/bench.mjs [warm loads] [edits] [cold loads]   (make bench-web)

import { execFile, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../lib/ports.mjs';
import { BINARY, ROOT, buildBinary, launchBrowser, startServer, waitForRun } from './harness.mjs';

const loads = Number(process.argv[2] || 10);
const edits = Number(process.argv[3] || 30);
const colds = Number(process.argv[4] || 5);
const run = promisify(execFile);

/** NETWORKS are the conditions of the cold loads; null is plain loopback. */
const NETWORKS = {
  loopback: null,
  '20 Mbit/s, 40 ms': { offline: false, latency: 40, downloadThroughput: 20e6 / 8, uploadThroughput: 20e6 / 8 },
};

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: s[0], median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}

function fmt(name, st) {
  const f = (x) => `${x.toFixed(1).padStart(7)} ms`;
  return `${name.padEnd(40)} median ${f(st.median)}   p95 ${f(st.p95)}   min ${f(st.min)}   max ${f(st.max)}   (n=${st.n})`;
}

/**
 * coldLoad loads url in a new browser with an empty profile (no HTTP
 * cache, no compiled code cache) under network conditions net, and
 * returns the time to the first matrix and the bytes received.
 */
async function coldLoad(url, net, headers = {}) {
  const fresh = await launchBrowser();
  try {
    const page = await fresh.context.newPage();
    const cdp = await fresh.context.newCDPSession(page);
    await cdp.send('Network.enable');
    if (net) await cdp.send('Network.emulateNetworkConditions', net);
    if (Object.keys(headers).length) await cdp.send('Network.setExtraHTTPHeaders', { headers });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    // The machine is shared and noisy: a slow load is a number, not a failure.
    await page.goto(url, { timeout: 120000 });
    await waitForRun(page);
    const first = await page.evaluate(() => performance.getEntriesByName('httpplay:first-matrix')[0].startTime);
    return { first, bytes };
  } finally {
    await fresh.close();
  }
}

/** firstMatrix loads the page in a warm context and returns its performance marks. */
async function firstMatrix(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await waitForRun(page);
  const t = await page.evaluate(() => ({
    first: performance.getEntriesByName('httpplay:first-matrix')[0].startTime,
    engine: performance.getEntriesByName('httpplay:engine-started')[0].startTime,
  }));
  await page.close();
  return t;
}

/**
 * startBaseline builds the checkout at dir (its own `make wasm` and
 * binary) and serves its web/ with its binary on a free port.
 */
async function startBaseline(dir) {
  await run('make', ['--no-print-directory', '-C', dir, 'wasm'], { maxBuffer: 16 << 20 });
  const bin = join(dir, 'build', 'bench-baseline');
  await run('go', ['build', '-o', bin, '.'], { cwd: dir, maxBuffer: 16 << 20 });
  const port = await freePort();
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--web', join(dir, 'web')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise((ok) => child.once('exit', ok));
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('baseline server did not start')), 15000);
    child.stdout.on('data', (d) => {
      if (String(d).includes('httpplay playground: ')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`baseline server exited with ${code}`)); });
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

await buildBinary();
const servers = [['this checkout', await startServer()]];
if (process.env.BASELINE) servers.unshift([`baseline (${process.env.BASELINE})`, await startBaseline(resolve(process.env.BASELINE))]);
console.log(`httpplay playground in headless Chromium; server ${BINARY.replace(ROOT + '/', '')}`);
try {
  // Bytes of one cold load, with and without compression.
  for (const [name, srv] of servers) {
    const compressed = await coldLoad(srv.url, null);
    const identity = await coldLoad(srv.url, null, { 'Accept-Encoding': 'identity' });
    const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
    console.log(`${`bytes of a cold load, ${name}`.padEnd(40)} ${mb(compressed.bytes)} as the browser asks` +
      ` (gzip, deflate, br, zstd), ${mb(identity.bytes)} with Accept-Encoding: identity`);
  }
  // Cold first matrix: before and after interleaved, load by load.
  const cold = new Map();
  for (let i = 0; i < colds; i++) {
    for (const [name, srv] of servers) {
      for (const [net, cond] of Object.entries(NETWORKS)) {
        const key = `first matrix, cold, ${net}, ${name}`;
        if (!cold.has(key)) cold.set(key, []);
        cold.get(key).push((await coldLoad(srv.url, cond)).first);
      }
    }
  }
  for (const [key, xs] of cold) console.log(fmt(key, stats(xs)));

  const server = servers[servers.length - 1][1];
  const browser = await launchBrowser();
  try {
    const firsts = [];
    const engines = [];
    for (let i = 0; i < loads; i++) {
      const t = await firstMatrix(browser.context, server.url);
      firsts.push(t.first);
      engines.push(t.engine);
    }

    const page = await browser.context.newPage();
    await page.goto(server.url);
    await waitForRun(page);
    const base = await page.locator('#scenario').inputValue();
    const syncs = [];
    const painted = [];
    for (let i = 0; i < edits; i++) {
      const text = i % 2 ? base : `${base}\nGET /users/alice/following/bob\n`;
      const t = await page.evaluate((next) => new Promise((done) => {
        const ta = document.getElementById('scenario');
        const t0 = performance.now();
        ta.value = next;
        ta.dispatchEvent(new Event('input', { bubbles: true }));
        ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }));
        const t1 = performance.now();
        requestAnimationFrame(() => requestAnimationFrame(() => done({ sync: t1 - t0, paint: performance.now() - t0 })));
      }), text);
      syncs.push(t.sync);
      painted.push(t.paint);
    }
    await page.close();

    console.log(`(Chromium ${await browser.context.browser()?.version() ?? ''}; this checkout below)`);
    console.log(fmt('first matrix, warm caches', stats(firsts.slice(1))));
    console.log(fmt('  of which: engine started', stats(engines.slice(1))));
    console.log(fmt('re-run after edit (run+DOM)', stats(syncs)));
    console.log(fmt('re-run after edit (to paint)', stats(painted)));
    console.log('budgets: cold first matrix < 600 ms on loopback, < 1.5 s at 20 Mbit/s; re-run < 50 ms');
  } finally {
    await browser.close();
  }
} finally {
  await Promise.all(servers.map(([, s]) => s.stop()));
}
