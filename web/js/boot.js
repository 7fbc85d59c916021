// boot.js starts downloading and compiling the engine while the page's
// modules are still loading; engine.js picks the compiled module up.
// It is a classic async script so that it runs as early as possible.
globalThis.httpplayCompile = (async () => {
  const res = await fetch('httpplay.wasm');
  if (!res.ok) throw new Error(`loading httpplay.wasm: ${res.status} ${res.statusText}`);
  // Streaming compilation needs application/wasm; static hosts that send
  // another type still work, compiling from the bytes.
  return (res.headers.get('Content-Type') || '').startsWith('application/wasm')
    ? WebAssembly.compileStreaming(res)
    : WebAssembly.compile(await res.arrayBuffer());
})();
// A failure is reported by engine.js when it awaits the promise; until
// then it must not count as an unhandled rejection.
globalThis.httpplayCompile.catch(() => {});
