// bench.mjs measures the playground's two latency budgets in headless
// Chromium against the native server, and prints them (it asserts nothing):
//
//   first matrix: navigation start to the first rendered matrix of the
//                 default preset (performance mark "httpplay:first-matrix"),
//                 cold (a new browser profile for every load) and warm (the
//                 browser's caches filled), with the part of the warm time
//                 spent until the engine is ready;
//   re-run:       an edit run with Ctrl+Enter to the next painted frame.
//
// Usage: node tests/browser/bench.mjs [warm loads] [edits] [cold loads]   (make bench-web)

import { buildBinary, launchBrowser, startServer, waitForRun } from './harness.mjs';

const loads = Number(process.argv[2] || 10);
const edits = Number(process.argv[3] || 30);
const colds = Number(process.argv[4] || 5);

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: s[0], median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}

function fmt(name, st) {
  const f = (x) => `${x.toFixed(1).padStart(7)} ms`;
  return `${name.padEnd(32)} median ${f(st.median)}   p95 ${f(st.p95)}   min ${f(st.min)}   max ${f(st.max)}   (n=${st.n})`;
}

/** firstMatrix loads the page and returns its performance marks. */
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

await buildBinary();
const server = await startServer();
// Every cold load gets a new browser with an empty profile: no HTTP cache,
// no compiled code cache.
const coldFirsts = [];
for (let i = 0; i < colds; i++) {
  const fresh = await launchBrowser();
  try {
    coldFirsts.push((await firstMatrix(fresh.context, server.url)).first);
  } finally {
    await fresh.close();
  }
}
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

  console.log(`httpplay playground in headless Chromium (${await browser.context.browser()?.version() ?? 'chromium'})`);
  console.log(fmt('first matrix, cold profile', stats(coldFirsts)));
  console.log(fmt('first matrix, warm caches', stats(firsts.slice(1))));
  console.log(fmt('  of which: engine started', stats(engines.slice(1))));
  console.log(fmt('re-run after edit (run+DOM)', stats(syncs)));
  console.log(fmt('re-run after edit (to paint)', stats(painted)));
  console.log('budgets: first matrix < 600 ms, re-run < 50 ms');
} finally {
  await browser.close();
  await server.stop();
}
