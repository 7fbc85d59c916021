// boot.js is the first script of a page: it starts loading the engine
// while the page's modules are still loading (engine.js picks the module
// up with httpplayCompile()), or on a first visit of the playground asks
// the server for the first matrix instead. The playground loads it as a
// classic script ahead of its stylesheet, so that it runs while the page
// is still being parsed, before the first frame and long before the
// page's modules; it does not need them. (Async, it would wait for the
// first frame's style and layout.)
//
// A first visit is one without a link after # and without a saved draft:
// the playground then shows the preset its script element names in
// data-first-preset (catalog.js's defaultPreset) under the default
// policies, and that matrix comes from the server (app.js askServer).
// Asking here lets the server run it while the page is still starting.
// Loading the engine meanwhile would take the main thread from that
// matrix: the module's bytes reach the page on the main thread, and V8
// decodes a streamed module there as they arrive (together about 150 ms
// for this 5.8 MB module on a slow machine), and on a slow network its
// download takes the bandwidth the page needs. So on a first visit the
// module is neither fetched nor compiled until engine.js asks for it,
// once the first matrix is drawn. Everywhere else (links, drafts, the
// embed view) the engine is needed at once: it compiles while it streams in.
//
// These are only guesses about what the page will want: app.js uses the
// early answer only when it asks that very question, and a module not yet
// loaded is loaded when asked for.
(() => {
  const url = 'httpplay.wasm';
  const preset = document.currentScript?.dataset.firstPreset;
  let first = false;
  if (preset) {
    const noLink = location.hash === '' || location.hash === '#';
    try {
      first = noLink && localStorage.getItem('httpplay:draft') === null;
    } catch {
      // A profile without storage has no draft either.
      first = noLink;
    }
  }
  if (first) {
    // Without policies the API answers under the default ones; the 2000 ms
    // are engine-api.js PRESET_WAIT, a limit for the server to answer. The
    // body is read at once, since app.js may run long after that on a slow
    // device, when an abort would throw away an answer already received.
    const response = fetch(`api/presets/${encodeURIComponent(preset)}`,
      { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(2000) })
      .then(async (res) => (res.status === 200 ? new Response(await res.text(), { status: 200, headers: res.headers }) : res));
    response.catch(() => {});
    globalThis.httpplayFirst = { preset, response };
  }
  // engine.js may have begun a compile already, where this script loads
  // async (the embed view) and ran late: that one is used.
  const started = globalThis.httpplayCompile;
  let compiled = started ? started() : null;
  const compile = () => {
    compiled ??= fetch(url).then((res) => {
      if (!res.ok) throw new Error(`loading ${url}: ${res.status} ${res.statusText}`);
      // Streaming compilation needs application/wasm; static hosts that
      // send another type still work, compiling from the bytes.
      return (res.headers.get('Content-Type') || '').startsWith('application/wasm')
        ? WebAssembly.compileStreaming(res)
        : res.arrayBuffer().then((b) => WebAssembly.compile(b));
    });
    // A failure is reported by engine.js when it awaits the promise; until
    // then it must not count as an unhandled rejection.
    compiled.catch(() => {});
    return compiled;
  };
  globalThis.httpplayCompile = compile;
  if (!first) compile();
})();
