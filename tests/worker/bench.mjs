// Worker budgets (`make bench-worker`): the gzip size of the Worker's
// module next to the browser's, and the latency of POST /api/run for the
// default preset on workerd (wrangler dev) and on the native server, p50 and
// p99 over sequential requests from one client on loopback. Numbers are
// printed, never asserted: they depend on the machine.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, build, startNative, startWorker } from './harness.mjs';

const N = Number(process.env.BENCH_N || 300);
const WARMUP = 20;
const BUDGET = 2.5e6; // bytes of gzip; Cloudflare's free plan allows 3 MiB compressed

async function gzipSize(file) {
  return gzipSync(await readFile(join(ROOT, file))).length;
}

/** timeRuns sends WARMUP+N sequential requests and returns N durations in ms. */
async function timeRuns(base, body) {
  const times = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(base + '/api/run', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
    await res.arrayBuffer();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 200) throw new Error(`${base}: status ${res.status}`);
    if (i >= WARMUP) times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

await build();
const worker = await gzipSize('build/app.wasm');
const browser = await gzipSize('web/httpplay.wasm');
const kb = (n) => `${(n / 1e6).toFixed(2)} MB`;
console.log(`build/app.wasm (Worker)     ${kb(worker)} gzip  (budget ${kb(BUDGET)}${worker > BUDGET ? ': OVER BUDGET' : ''})`);
console.log(`web/httpplay.wasm (browser) ${kb(browser)} gzip`);

// Started together; whichever started is stopped even if the other failed.
const started = await Promise.allSettled([startNative(), startWorker()]);
const servers = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
try {
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  // follow-twice is simulator.DefaultPreset, the scenario the page opens with.
  const preset = JSON.parse(await (await fetch(servers[0].base + '/api/presets')).text())
    .find((p) => p.name === 'follow-twice');
  if (!preset) throw new Error('no preset follow-twice');
  console.log(`\nPOST /api/run, default preset, ${N} sequential requests after ${WARMUP} warm-up:`);
  for (const [name, srv] of [['native ', servers[0]], ['workerd', servers[1]]]) {
    const t = await timeRuns(srv.base, preset.text);
    console.log(`${name}  p50 ${pct(t, 50).toFixed(2)} ms  p99 ${pct(t, 99).toFixed(2)} ms  (min ${t[0].toFixed(2)}, max ${t[t.length - 1].toFixed(2)})`);
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
