// <httpplay-matrix>: a live httpplay table for documentation pages, loaded
// with one tag:
//
//   <link rel="stylesheet" href="https://your.host/httpplay-render.css">
//   <script type="module" src="https://your.host/embed.js"></script>
//
//   <httpplay-matrix scenario="DELETE /users/7&#10;&#10;DELETE /users/7&#10;"
//                    policies="strict,zalando" playground="https://your.host/">
//     …the fragment of `httpplay render --format html` (optional)…
//   </httpplay-matrix>
//
// `httpplay render` writes the whole element for a block with the `live`
// option. The element shows what it holds until it scrolls into view; then
// the engine (httpplay.wasm and Go's wasm_exec.js, next to this file) is
// loaded, once for every element of the page, and the table is computed
// again with the same Go code that rendered it, so an up-to-date table is
// kept as it is (no jump) and a stale one is replaced. Edit and Run re-run
// the scenario; "Open in playground" follows the permalink.
//
// It works under a strict Content-Security-Policy: it needs script-src and
// connect-src for its own origin plus 'wasm-unsafe-eval' (Go's WebAssembly),
// style-src for the stylesheet, and no inline script or style. It never
// parses a string as HTML (the engine returns a node tree), so
// `require-trusted-types-for 'script'; trusted-types 'none'` holds too.

const HERE = new URL('.', import.meta.url);

let engine = null;

/** loadEngine starts the engine once per page and resolves to its API. */
function loadEngine() {
  engine ??= (async () => {
    // wasm_exec.js is a classic script that only assigns globalThis.Go;
    // importing it as a module needs no script element (which Trusted
    // Types would refuse) and no inline code.
    if (typeof globalThis.Go !== 'function') await import(new URL('wasm_exec.js', HERE).href);
    const go = new globalThis.Go();
    const res = await fetch(new URL('httpplay.wasm', HERE));
    if (!res.ok) throw new Error(`loading httpplay.wasm: ${res.status} ${res.statusText}`);
    const { instance } = (res.headers.get('Content-Type') || '').startsWith('application/wasm')
      ? await WebAssembly.instantiateStreaming(res, go.importObject)
      : await WebAssembly.instantiate(await res.arrayBuffer(), go.importObject);
    go.run(instance); // installs globalThis.httpplay before it blocks
    const api = globalThis.httpplay;
    if (!api || typeof api.renderTree !== 'function') throw new Error('the engine did not start');
    return api;
  })();
  return engine;
}

// The tree the engine returns uses only these elements and attributes, and
// nothing else is built: the allowlist keeps a damaged engine answer from
// becoming script or style.
const TAGS = new Set(['div', 'table', 'caption', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'span', 'ul', 'li', 'p', 'a']);
const ATTRS = new Set(['class', 'scope', 'colspan', 'title', 'href']);

/** build turns ["tag", [name, value, ...], kid...] (kid: tree or text) into DOM nodes. */
function build(tree, depth = 0) {
  if (typeof tree === 'string') return document.createTextNode(tree);
  if (!Array.isArray(tree) || depth > 32 || !TAGS.has(tree[0]) || !Array.isArray(tree[1])) throw new Error('the engine returned an unknown node');
  const el = document.createElement(tree[0]);
  const attrs = tree[1];
  for (let i = 0; i + 1 < attrs.length; i += 2) {
    const [name, value] = [String(attrs[i]), String(attrs[i + 1])];
    if (!ATTRS.has(name)) throw new Error(`the engine returned an unknown attribute ${name}`);
    if (name === 'href' && !/^https?:$/.test(new URL(value, document.baseURI).protocol)) continue;
    el.setAttribute(name, value);
  }
  for (const kid of tree.slice(2)) el.append(build(kid, depth + 1));
  return el;
}

const visible = typeof IntersectionObserver === 'function'
  ? new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      visible.unobserve(e.target);
      e.target.upgrade();
    }
  }, { rootMargin: '200px 0px' })
  : null;

class HttpplayMatrix extends HTMLElement {
  #editor = null;
  #error = null;
  #api = null;

  connectedCallback() {
    if (!this.dataset.state) this.dataset.state = 'static';
    this.#controls();
    if (this.dataset.state !== 'static') return;
    if (visible) visible.observe(this);
    else this.upgrade();
  }

  disconnectedCallback() {
    visible?.unobserve(this);
  }

  /** scenario is the attribute, else the text of a child pre or textarea. */
  get scenario() {
    if (this.hasAttribute('scenario')) return this.getAttribute('scenario');
    return this.querySelector(':scope > pre, :scope > textarea')?.textContent ?? '';
  }

  /** upgrade loads the engine and computes the table; the page calls it when the element is seen. */
  async upgrade() {
    if (this.dataset.state !== 'static') return;
    this.dataset.state = 'loading';
    try {
      this.#api = await loadEngine();
    } catch (err) {
      this.dataset.state = 'failed';
      this.#say(`The simulator could not start: ${err.message}`);
      return;
    }
    this.#run(this.scenario);
    for (const b of this.querySelectorAll(':scope > .httpplay-controls button')) b.disabled = false;
    this.dataset.state = 'live';
  }

  #options() {
    const opts = {};
    for (const name of ['policies', 'isolation']) {
      const v = this.getAttribute(name);
      if (v) opts[name] = v.split(',').map((s) => s.trim()).filter(Boolean);
    }
    const playground = this.getAttribute('playground');
    if (playground) opts.playground = new URL(playground, document.baseURI).href;
    return opts;
  }

  #run(text) {
    const out = this.#api.renderTree(String(text), JSON.stringify(this.#options()));
    if (typeof out !== 'string') {
      const where = out?.line > 0 ? `line ${out.line}, column ${out.column}: ` : '';
      this.#say(`The scenario has an error: ${where}${out?.detail ?? out?.message ?? out}`);
      return;
    }
    this.#say('');
    const fresh = build(JSON.parse(out));
    const old = this.querySelector(':scope > .httpplay-result');
    // An identical table is left in place: nothing moves, nothing reflows.
    if (old && old.outerHTML === fresh.outerHTML) return;
    if (old) old.replaceWith(fresh);
    else this.querySelector(':scope > .httpplay-controls').before(fresh);
  }

  #say(message) {
    if (!this.#error) {
      this.#error = document.createElement('p');
      this.#error.className = 'httpplay-error';
      this.#error.setAttribute('role', 'alert');
      this.append(this.#error);
    }
    this.#error.textContent = message;
    this.#error.hidden = message === '';
  }

  // #controls adds the Edit and Run buttons when the element was written
  // without them, and wires them up.
  #controls() {
    let bar = this.querySelector(':scope > .httpplay-controls');
    if (!bar) {
      bar = document.createElement('p');
      bar.className = 'httpplay-controls';
      for (const [cls, label] of [['httpplay-edit', 'Edit'], ['httpplay-run', 'Run']]) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = cls;
        b.disabled = true;
        b.textContent = label;
        bar.append(b, ' ');
      }
      this.append(bar);
    }
    if (bar.dataset.wired) return;
    bar.dataset.wired = 'true';
    bar.querySelector('.httpplay-edit')?.addEventListener('click', (e) => this.#toggleEditor(e.currentTarget));
    bar.querySelector('.httpplay-run')?.addEventListener('click', () => this.#runNow());
  }

  #toggleEditor(button) {
    if (!this.#editor) {
      this.#editor = document.createElement('textarea');
      this.#editor.className = 'httpplay-editor';
      this.#editor.spellcheck = false;
      this.#editor.setAttribute('aria-label', 'Scenario');
      this.#editor.value = this.scenario;
      this.#editor.rows = Math.min(20, this.#editor.value.split('\n').length + 1);
      this.#editor.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          this.#runNow();
        }
      });
      this.querySelector(':scope > .httpplay-controls').before(this.#editor);
      this.#editor.hidden = true;
    }
    this.#editor.hidden = !this.#editor.hidden;
    button.setAttribute('aria-expanded', String(!this.#editor.hidden));
    if (!this.#editor.hidden) this.#editor.focus();
  }

  #runNow() {
    if (!this.#api) return;
    this.#run(this.#editor && !this.#editor.hidden ? this.#editor.value : this.scenario);
  }
}

if (!customElements.get('httpplay-matrix')) customElements.define('httpplay-matrix', HttpplayMatrix);
