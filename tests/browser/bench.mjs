// bench.mjs measures the playground's delivery and latency budgets in
// headless Chromium against the native server, and prints them (it asserts
// nothing):
//
//   bytes:        what a cold load of the playground transfers (bodies and
//                 headers, from the DevTools protocol), with compression and
//                 with Accept-Encoding: identity;
//   first matrix: navigation start to the first rendered matrix of the
//                 default preset (performance mark "httpplay:first-matrix"),
//                 and to the frame that draws it ("painted": the next
//                 animation frame's rendering is done), cold (a new browser
//                 profile for every load) on loopback and at 20 Mbit/s with
//                 40 ms latency (DevTools network emulation), with the time
//                 the engine is ready; and warm (the browser's caches
//                 filled), with when the engine started;
//   blank floor:  the same cold load of a page with one empty module script
//                 (served by the same server), interleaved with the others:
//                 what any page costs on this machine;
//   where:        one traced cold load of each page (median of three per
//                 kind of work): the renderer main thread's time by kind
//                 (tests/browser/timeline.mjs) up to the mark and from there
//                 to the painted frame, and the resource timings;
//   re-run:       an edit run with Ctrl+Enter to the next painted frame.
//
// With BASELINE=DIR (another checkout, e.g. of the main branch) the cold
// loads also run against that checkout's server and page, interleaved with
// this one's, so that before and after are measured in the same run on the
// same noisy machine.
//
// Usage: [BASELINE=DIR] node tests/browser/bench.mjs [warm loads] [edits] [cold loads] [traced loads]   (make bench-web)

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../lib/ports.mjs';
import { BINARY, ROOT, buildBinary, launchBrowser, startServer, waitForRun } from './harness.mjs';
import { paintedAfterMark, traceLoad } from './timeline.mjs';

const loads = Number(process.argv[2] || 10);
const edits = Number(process.argv[3] || 30);
const colds = Number(process.argv[4] || 5);
const traced = Number(process.argv[5] || 3);
const MARK = 'httpplay:first-matrix';
const BLANK_MARK = 'blank:ran';
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
  return `${name.padEnd(56)} median ${f(st.median)}   p95 ${f(st.p95)}   min ${f(st.min)}   max ${f(st.max)}   (n=${st.n})`;
}

/**
 * coldLoad loads url in a new browser with an empty profile (no HTTP
 * cache, no compiled code cache) under network conditions net, and
 * returns the times to the mark and to the frame that draws it, when the
 * engine was ready (null for a page without one), and the bytes received.
 */
async function coldLoad(url, net, { headers = {}, mark = MARK } = {}) {
  const fresh = await launchBrowser();
  try {
    const page = await fresh.context.newPage();
    await page.addInitScript(paintedAfterMark, mark);
    const cdp = await fresh.context.newCDPSession(page);
    await cdp.send('Network.enable');
    if (net) await cdp.send('Network.emulateNetworkConditions', net);
    if (Object.keys(headers).length) await cdp.send('Network.setExtraHTTPHeaders', { headers });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    // The machine is shared and noisy: a slow load is a number, not a failure.
    await page.goto(url, { timeout: 120000 });
    const engine = mark === MARK;
    const ready = engine ? 'httpplay:engine-started' : `${mark}:painted`;
    await page.waitForFunction((names) => names.every((n) => performance.getEntriesByName(n).length > 0),
      [mark, `${mark}:painted`, ready], { timeout: 120000 });
    const at = (name) => page.evaluate((n) => performance.getEntriesByName(n)[0].startTime, name);
    return { first: await at(mark), painted: await at(`${mark}:painted`), engine: engine ? await at(ready) : null, bytes };
  } finally {
    await fresh.close();
  }
}

/**
 * startBlank serves, with this checkout's binary, a page with one empty
 * module script that sets a mark: the floor of any cold load here.
 */
async function startBlank() {
  const dir = await mkdtemp(join(tmpdir(), 'httpplay-blank-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>blank</title>' +
    '<script type="module" src="empty.js"></script></head><body></body></html>\n');
  await writeFile(join(dir, 'empty.js'), `performance.mark(${JSON.stringify(BLANK_MARK)});\n`);
  const srv = await serveDir(BINARY, dir);
  return { ...srv, async stop() { await srv.stop(); await rm(dir, { recursive: true, force: true }); } };
}

/** firstMatrix loads the page in a warm context and returns its performance marks. */
async function firstMatrix(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await waitForRun(page);
  // A first visit starts the engine only after the first matrix.
  await page.waitForFunction(() => performance.getEntriesByName('httpplay:engine-started').length > 0, null, { timeout: 120000 });
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
  return serveDir(bin, join(dir, 'web'), dir);
}

/** serveDir runs `bin serve --web web` on a free loopback port. */
async function serveDir(bin, web, cwd = ROOT) {
  const port = await freePort();
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--web', web], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise((ok) => child.once('exit', ok));
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server for ${web} did not start`)), 15000);
    child.stdout.on('data', (d) => {
      if (String(d).includes('httpplay playground: ')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`server for ${web} exited with ${code}`)); });
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

const median = (xs) => stats(xs).median;

/** printWhere prints the traced breakdowns side by side, kinds as rows. */
function printWhere(traces) {
  const names = [...traces.keys()];
  const kinds = new Set();
  for (const runs of traces.values()) for (const r of runs) for (const k of [...Object.keys(r.busy), ...Object.keys(r.after)]) kinds.add(k);
  const col = (xs) => xs.map((x) => String(x).padStart(16)).join('');
  console.log(`where the time goes (renderer main thread, ms; median of ${traced} traced cold loads on loopback;`);
  console.log('  "to mark": navigation start to the mark; "to paint": from the mark to the frame that draws it)');
  console.log(`${''.padEnd(28)}${col(names.map((n) => n.split(' (')[0]))}`);
  const row = (label, f) => console.log(`${label.padEnd(28)}${col(names.map((n) => f(traces.get(n))))}`);
  row('mark (ms after navigation)', (runs) => median(runs.map((r) => r.mark)).toFixed(0));
  row('painted', (runs) => median(runs.map((r) => r.painted)).toFixed(0));
  for (const kind of [...kinds].sort((a, b) => (a === 'idle') - (b === 'idle'))) {
    row(kind, (runs) => `${median(runs.map((r) => r.busy[kind] || 0)).toFixed(0)} + ${median(runs.map((r) => r.after[kind] || 0)).toFixed(0)}`);
  }
}

/** printRequests prints a traced load's requests: when each started, was sent, answered and done. */
function printRequests(name, load) {
  console.log(`requests of one traced load, ${name} (ms after navigation start: queued, sent, first byte, done; bytes)`);
  for (const r of load.resources) {
    const t = [r.start, r.requestStart, r.responseStart, r.end].map((x) => x.toFixed(0).padStart(6)).join('');
    console.log(`  ${r.name.slice(0, 48).padEnd(48)}${t}${String(r.bytes).padStart(9)}${r.blocking === 'blocking' ? '  render-blocking' : ''}`);
  }
}

await buildBinary();
const servers = [['this checkout', await startServer()]];
if (process.env.BASELINE) servers.unshift([`baseline (${process.env.BASELINE})`, await startBaseline(resolve(process.env.BASELINE))]);
const blank = await startBlank();
console.log(`httpplay playground in headless Chromium; server ${BINARY.replace(ROOT + '/', '')}`);
try {
  // Bytes of one cold load, with and without compression.
  for (const [name, srv] of servers) {
    const compressed = await coldLoad(srv.url, null);
    const identity = await coldLoad(srv.url, null, { headers: { 'Accept-Encoding': 'identity' } });
    const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
    console.log(`${`bytes of a cold load, ${name}`.padEnd(40)} ${mb(compressed.bytes)} as the browser asks` +
      ` (gzip, deflate, br, zstd), ${mb(identity.bytes)} with Accept-Encoding: identity`);
  }
  // Cold first matrix: before, after and the blank page interleaved, load by load.
  const cold = new Map();
  const push = (key, x) => {
    if (!cold.has(key)) cold.set(key, []);
    cold.get(key).push(x);
  };
  for (let i = 0; i < colds; i++) {
    for (const [name, srv] of servers) {
      for (const [net, cond] of Object.entries(NETWORKS)) {
        const t = await coldLoad(srv.url, cond);
        push(`first matrix, cold, ${net}, ${name}`, t.first);
        push(`  painted, ${net}, ${name}`, t.painted);
        push(`  engine ready, ${net}, ${name}`, t.engine);
      }
    }
    const t = await coldLoad(blank.url, null, { mark: BLANK_MARK });
    push('blank page (one empty module), cold, loopback', t.first);
    push('  painted, blank page', t.painted);
  }
  for (const [key, xs] of cold) console.log(fmt(key, stats(xs)));

  // Where the time goes: traced loads, interleaved the same way.
  const traces = new Map();
  const targets = [...servers.map(([name, srv]) => [name, srv.url, MARK]), ['blank page', blank.url, BLANK_MARK]];
  for (let i = 0; i < traced; i++) {
    for (const [name, url, mark] of targets) {
      const r = await traceLoad(url, mark);
      if (!traces.has(name)) traces.set(name, []);
      traces.get(name).push({ ...r, mark: r.marks[mark] });
    }
  }
  printWhere(traces);
  for (const [name] of servers) {
    const runs = traces.get(name);
    const mid = [...runs].sort((a, b) => a.mark - b.mark)[Math.floor(runs.length / 2)];
    printRequests(name, mid);
  }

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
    console.log(fmt('  engine started, warm caches', stats(engines.slice(1))));
    console.log(fmt('re-run after edit (run+DOM)', stats(syncs)));
    console.log(fmt('re-run after edit (to paint)', stats(painted)));
    console.log('budgets: cold first matrix < 600 ms on loopback, < 1.5 s at 20 Mbit/s; re-run < 50 ms');
  } finally {
    await browser.close();
  }
} finally {
  await Promise.all([...servers.map(([, s]) => s.stop()), blank.stop()]);
}
