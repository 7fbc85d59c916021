// Worker budgets (`make bench-worker`): the gzip size of the Worker's
// module next to the browser's; the time of the first API request to a
// fresh isolate (which starts the Go instance); and the latency of
// GET /api/health, POST /api/run for the default preset, POST /api/run
// for concurrent-edit under every policy, and a GET and a PUT of the mock
// (on the Worker through the sandbox's Durable Object), p50 and p99 over
// sequential requests from one client on loopback, on three hosts: the
// native server; plain workerd, the runtime Cloudflare runs (from the npm
// package, without wrangler); and wrangler dev, what `make dev` runs, which
// puts its own proxy in front of workerd. Next to each Worker host runs a
// JavaScript Worker with a constant answer, its floor: what a request
// costs there before Go does anything. Next to each latency is the CPU time
// a request cost the server's processes, on Linux (from /proc; n/a
// elsewhere): for native the Go server with its collector's threads, for
// workerd the isolate and the runtime's own threads (V8 compiling and
// collecting, the HTTP), and for wrangler dev its proxy too. It is less
// disturbed by a shared machine than latency, and an upper bound of what
// Cloudflare's CPU limit counts, which is the isolate's thread alone.
// Numbers are printed, never asserted: they depend on the machine.
//
// Each figure is taken after BENCH_WARMUP requests (300 by default) of
// the same kind, and the warm-up's own median is printed beside it. V8
// runs a WebAssembly function first as its baseline compiler (Liftoff)
// made it, several times slower for Go's code, and compiles it again with
// TurboFan, in background threads, only once it has run enough: in this
// rotation workerd's /api/run took until about its 300th request to
// settle (medians of 7.1, 6.1 and 5.3 ms for the hundreds after 20
// warm-up requests, 4.5 to 4.9 ms for each hundred after 300), and under
// Node.js, `--no-liftoff` removes that slow start. The settled figure is
// what a long-lived isolate serves; the warm-up median shows what the
// first requests of each kind cost (the health checks' are an isolate's
// first; the later kinds' meet Go code the earlier ones had compiled), as
// the fresh-isolate figure shows its start.
//
// With BASELINE=DIR (another checkout, e.g. of the main branch, with
// node_modules or a link to this one's) its Worker is built with its own
// `make worker` and measured in the same run, request for request
// interleaved with this one's (but for the mock, which a baseline may not
// serve).

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ROOT, build, startNative, startWorker, startWorkerd } from './harness.mjs';

/** count reads a whole number from the environment, or def when unset. */
function count(name, def, least) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < least) throw new Error(`${name}=${v}: want a whole number of at least ${least}`);
  return n;
}
const N = count('BENCH_N', 300, 1);
const STARTS = count('BENCH_STARTS', 5, 1);
const WARMUP = count('BENCH_WARMUP', 300, 0);
// A sandbox's journal on the Worker keeps 256 requests, and every PUT is
// journaled: the PUTs take turns over enough sandboxes to stay under it.
const SANDBOXES = Math.max(8, Math.ceil((WARMUP + N) / 250));
const run = promisify(execFile);

async function gzipSize(file) {
  return gzipSync(await readFile(file)).length;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** timed sends one request and returns its duration in ms. */
async function timed(base, { path, init }) {
  const t0 = process.hrtime.bigint();
  const res = await fetch(base + path, init);
  await res.arrayBuffer();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 200 && !(res.status === 201 && init.method === 'PUT')) throw new Error(`${base}${path}: status ${res.status}`);
  return ms;
}

const baseline = process.env.BASELINE ? resolve(process.env.BASELINE) : null;
await build();
if (baseline) await run('make', ['--no-print-directory', '-C', baseline, 'worker'], { maxBuffer: 16 << 20 });

const kb = (n) => `${(n / 1e6).toFixed(2)} MB`;
console.log(`build/app.wasm (Worker)     ${kb(await gzipSize(join(ROOT, 'build/app.wasm')))} gzip`);
if (baseline) console.log(`  baseline                  ${kb(await gzipSize(join(baseline, 'build/app.wasm')))} gzip`);
console.log(`web/httpplay.wasm (browser) ${kb(await gzipSize(join(ROOT, 'web/httpplay.wasm')))} gzip`);

const checkouts = baseline ? [['baseline', baseline], ['this', ROOT]] : [['this', ROOT]];

// The first API request to a fresh isolate, which starts the Go instance.
// Plain workerd is ready when its port accepts a connection; wrangler dev
// is polled on a static file until it answers. Either way the request
// below meets an isolate that has not run any Go yet.
const hosts = [
  ['workerd', (root) => startWorkerd({ root })],
  ['wrangler dev', (root) => startWorker({ root, readyPath: '/favicon.svg' })],
];
console.log(`\nfirst GET /api/health to a fresh isolate (isolate start and Go start), ${STARTS} starts:`);
for (const [host, up] of hosts) {
  for (const [name, root] of checkouts) {
    const firsts = [];
    for (let i = 0; i < STARTS; i++) {
      const w = await up(root);
      try {
        firsts.push(await timed(w.base, { path: '/api/health', init: {} }));
      } finally {
        await w.stop();
      }
    }
    firsts.sort((a, b) => a - b);
    console.log(`${`${host} ${name}`.padEnd(22)} median ${pct(firsts, 50).toFixed(1)} ms  (${firsts.map((t) => t.toFixed(1)).join(', ')})`);
  }
}

// targets are what every request is sent to; floors answer the health
// request only. A baseline's mock is not measured.
const floorRoot = join(ROOT, 'tests', 'worker', 'floor');
const wanted = [
  { name: 'native', up: () => startNative(), mock: true },
  ...hosts.flatMap(([host, up]) => checkouts.map(([name, root]) => ({ name: `${host} ${name}`, up: () => up(root), mock: name === 'this' }))),
];
const floorsWanted = [
  { name: 'workerd floor', up: () => startWorkerd({ floor: true }) },
  { name: 'wrangler dev floor', up: () => startWorker({ root: floorRoot, readyPath: '/' }) },
];
const started = await Promise.allSettled([...wanted, ...floorsWanted].map((t) => t.up()));
try {
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const targets = wanted.map((t, i) => ({ ...t, server: started[i].value }));
  const floors = floorsWanted.map((t, i) => ({ ...t, server: started[wanted.length + i].value }));
  const presets = JSON.parse(await (await fetch(targets[0].server.base + '/api/presets')).text());
  const text = (name) => {
    const p = presets.find((x) => x.name === name);
    if (!p) throw new Error(`no preset ${name}`);
    return p.text;
  };
  const requests = {
    'GET /api/health': { path: '/api/health', init: {}, floor: true },
    // follow-twice is simulator.DefaultPreset, the scenario the page opens with.
    'POST /api/run, default preset': {
      path: '/api/run', init: { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: text('follow-twice') },
    },
    'POST /api/run, concurrent-edit, all policies': {
      path: '/api/run?policies=all', init: { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: text('concurrent-edit') },
    },
    // The mock: a sandbox's world, made by a PUT before any is timed,
    // read and replaced.
    'GET /mock/strict/notes/1': {
      path: '/mock/strict/notes/1', mock: true, init: { headers: { 'Httpplay-Session': 'bench-0' } },
    },
    // The PUTs take turns over the sandboxes, each made before any is
    // timed (SANDBOXES above).
    'PUT /mock/strict/notes/1': {
      path: '/mock/strict/notes/1', mock: true,
      at: (i) => ({ method: 'PUT', headers: { 'Httpplay-Session': `bench-${i % SANDBOXES}`, 'Content-Type': 'application/json' }, body: '{"text": "bench"}' }),
    },
  };
  for (const t of targets.filter((x) => x.mock)) {
    for (let i = 0; i < SANDBOXES; i++) {
      const made = await fetch(t.server.base + '/mock/strict/notes/1', requests['PUT /mock/strict/notes/1'].at(i));
      await made.arrayBuffer();
      if (made.status !== 201 && made.status !== 200) throw new Error(`${t.name}: PUT /mock/strict/notes/1: ${made.status}`);
    }
  }
  console.log(`\n${N} sequential requests each after ${WARMUP} warm-up, the targets taking turns:`);
  for (const [what, req] of Object.entries(requests)) {
    const line = [...targets.filter((t) => !req.mock || t.mock), ...(req.floor ? floors : [])].map((t) => ({ ...t, times: [], warm: [] }));
    for (let i = 0; i < WARMUP + N; i++) {
      if (i === WARMUP) for (const t of line) t.cpu0 = t.server.cpuMs();
      for (const t of line) {
        const ms = await timed(t.server.base, req.at ? { path: req.path, init: req.at(i) } : req);
        (i >= WARMUP ? t.times : t.warm).push(ms);
      }
    }
    for (const t of line) t.cpu = t.cpu0 === null ? null : (t.server.cpuMs() - t.cpu0) / N;
    console.log(what);
    for (const t of line) {
      const s = t.times.sort((a, b) => a - b);
      const cpu = t.cpu === null ? 'n/a' : `${t.cpu.toFixed(2)} ms`;
      const warm = t.warm.length ? `  warm-up p50 ${pct(t.warm.sort((a, b) => a - b), 50).toFixed(2)} ms` : '';
      console.log(`  ${t.name.padEnd(22)} p50 ${pct(s, 50).toFixed(2).padStart(6)} ms  p99 ${pct(s, 99).toFixed(2).padStart(6)} ms` +
        `  (min ${s[0].toFixed(2)}, max ${s[s.length - 1].toFixed(2)})  CPU ${cpu.padStart(8)} a request${warm}`);
    }
  }
} finally {
  await Promise.all(started.filter((s) => s.status === 'fulfilled').map((s) => s.value.stop()));
}
