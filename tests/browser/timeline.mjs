// timeline.mjs records where a cold page load spends its time, for
// `make bench-web`: a Chrome DevTools Protocol trace of one load in a new
// browser profile, cut at a performance mark, with the renderer's main
// thread broken down by kind of work and the resource timings of every
// request. It measures; it asserts nothing.

import { launchBrowser } from './harness.mjs';

// CATEGORIES are what DevTools' performance panel records, plus fonts and
// WebAssembly compilation; V8's own compile and CPU-profiler categories
// are left out, as they slow the load down noticeably.
const CATEGORIES = [
  'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'loading', 'navigation',
  'v8', 'v8.execute', 'v8.wasm', 'fonts', 'toplevel',
];

// KINDS names the kind of work of a trace event; an event's time that
// none of its children account for goes to the innermost event with a
// kind, and to "other tasks" when no event up its stack has one.
const KINDS = [
  [/^RenderFrameImpl::CommitNavigation$|^AgentSchedulingGroup::CreateFrame$/, 'renderer start and commit'],
  [/^ParseHTML$/, 'HTML parsing'],
  [/^ParseAuthorStyleSheet$/, 'CSS parsing'],
  [/^UpdateLayoutTree$/, 'style'],
  [/^Layout$/, 'layout'],
  [/^FontCache::GetFontPlatformData$/, 'fonts (lookup, IPC)'],
  [/^(PrePaint|Paint|Layerize|Commit|UpdateLayer|RasterTask)$/, 'paint and composite'],
  [/^v8\.wasm\./, 'WebAssembly compile'],
  [/^(MinorGC|MajorGC|V8\.GC.*)$/, 'garbage collection'],
  [/^(v8\.compile|v8\.compileModule|v8\.produceModuleCache|v8\.produceCache)$/, 'script compile'],
  [/^(EvaluateScript|v8\.evaluateModule|FunctionCall|RunMicrotasks|FireAnimationFrame|TimerFire|EventDispatch|v8\.run|v8\.callFunction|XHRReadyStateChange)$/, 'script'],
];

function kindOf(name) {
  for (const [re, kind] of KINDS) if (re.test(name)) return kind;
  return null;
}

/**
 * traceLoad loads url in a new browser with an empty profile, traced,
 * waits until the page sets the performance mark `mark` and then until
 * the frame after it is drawn (a requestAnimationFrame callback, then a
 * task: the main thread has committed that frame), and returns
 * {marks, painted, resources, busy}: busy maps a kind of work to its
 * milliseconds on the renderer's main thread from navigation start to
 * the mark, and `after` the same from the mark to the painted frame.
 */
export async function traceLoad(url, mark) {
  const fresh = await launchBrowser();
  try {
    const page = await fresh.context.newPage();
    await page.addInitScript(paintedAfterMark, mark);
    const cdp = await fresh.context.newCDPSession(page);
    const events = [];
    cdp.on('Tracing.dataCollected', (e) => { for (const ev of e.value) events.push(ev); });
    const complete = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
    await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES, recordMode: 'recordAsMuchAsPossible' }, transferMode: 'ReportEvents' });
    await page.goto(url, { timeout: 120000 });
    await page.waitForFunction((m) => performance.getEntriesByName(`${m}:painted`).length > 0, mark, { timeout: 120000, polling: 50 });
    const perf = await page.evaluate((m) => ({
      marks: Object.fromEntries(performance.getEntriesByType('mark').map((e) => [e.name, e.startTime])),
      painted: performance.getEntriesByName(`${m}:painted`)[0].startTime,
      resources: [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')].map((r) => ({
        name: r.name.replace(location.origin, ''), start: r.startTime, requestStart: r.requestStart,
        responseStart: r.responseStart, end: r.responseEnd, bytes: r.encodedBodySize, blocking: r.renderBlockingStatus,
      })),
    }), mark);
    await cdp.send('Tracing.end');
    await complete;
    return { ...perf, ...breakdown(events, mark, perf.marks[mark], perf.painted) };
  } finally {
    await fresh.close();
  }
}

/**
 * paintedAfterMark runs in the page before its scripts (page.addInitScript):
 * when the page sets the mark, it sets `${mark}:painted` once the next
 * frame is drawn. It changes nothing else, so it measures any checkout.
 */
export function paintedAfterMark(mark) {
  const set = performance.mark.bind(performance);
  performance.mark = function (name, ...rest) {
    const entry = set(name, ...rest);
    if (name === mark) requestAnimationFrame(() => setTimeout(() => set(`${mark}:painted`)));
    return entry;
  };
}

// breakdown sums the main thread's time by kind of work, from navigation
// start to the mark (at `to` ms) and from there to `painted`; the rest is
// idle.
function breakdown(events, mark, to, painted) {
  // The mark's own trace event names the page's main thread, and places
  // navigation start (time 0 of the page's clock) on the trace's clock.
  const at = events.find((e) => e.name === mark && e.cat === 'blink.user_timing');
  if (!at) throw new Error(`the trace has no mark ${mark}`);
  const nav = { pid: at.pid, tid: at.tid, ts: at.ts - to * 1000 };
  const windows = [[nav.ts, at.ts], [at.ts, nav.ts + painted * 1000]];
  const sums = windows.map(() => new Map());
  const main = events.filter((e) => e.pid === nav.pid && e.tid === nav.tid && e.ph === 'X' && e.dur > 0)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // The stack of open events, each with its kind (inherited) and the
  // time its children took.
  const stack = [];
  const close = (upTo) => {
    while (stack.length && stack[stack.length - 1].end <= upTo) {
      const top = stack.pop();
      add(top.kind, top.start, top.end, top.children);
      if (stack.length) stack[stack.length - 1].children.push([top.start, top.end]);
    }
  };
  // add credits [start, end) minus its children's spans to kind, split
  // over the windows.
  const add = (kind, start, end, children) => {
    const spans = [];
    let at = start;
    for (const [s, e] of children.sort((x, y) => x[0] - y[0])) {
      if (s > at) spans.push([at, s]);
      at = Math.max(at, e);
    }
    if (end > at) spans.push([at, end]);
    windows.forEach(([lo, hi], i) => {
      let ms = 0;
      for (const [s, e] of spans) ms += Math.max(0, Math.min(e, hi) - Math.max(s, lo)) / 1000;
      if (ms > 0) sums[i].set(kind, (sums[i].get(kind) || 0) + ms);
    });
  };
  for (const e of main) {
    close(e.ts);
    const parent = stack[stack.length - 1];
    const top = !parent;
    // Only whole tasks count: events outside any task are nested
    // records of something else.
    if (top && e.name !== 'RunTask') continue;
    const kind = kindOf(e.name) ?? parent?.kind ?? 'other tasks';
    stack.push({ kind, start: e.ts, end: e.ts + e.dur, children: [] });
  }
  close(Infinity);
  const [busy, after] = sums.map((m, i) => {
    const total = (windows[i][1] - windows[i][0]) / 1000;
    const out = Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
    out.idle = Math.max(0, total - [...m.values()].reduce((a, b) => a + b, 0));
    return out;
  });
  return { busy, after };
}
