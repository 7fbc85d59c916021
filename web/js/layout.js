// The workspace layout: on wide screens editor, matrix and details side by
// side with two draggable splitters, whose positions this browser
// remembers; on narrow screens one pane at a time behind tabs.

const KEY = 'httpplay:layout';
const NARROW = '(max-width: 899px)';
const MIN_EDITOR = 300;
const MIN_RESULTS = 380;

/** Layout owns the splitters and the tabs. */
export class Layout {
  #ws;
  #results;
  #editorSplit;
  #detailsSplit;
  #tabs;
  #saved;
  #narrow;

  constructor({ workspace, editorSplit, detailsSplit, tabs }) {
    this.#ws = workspace;
    this.#results = detailsSplit.parentElement;
    this.#editorSplit = editorSplit;
    this.#detailsSplit = detailsSplit;
    this.#tabs = tabs;
    this.#narrow = matchMedia(NARROW);
    this.#saved = load();
    this.#apply({ now: false });
    this.#drag(editorSplit, () => this.#editorWidth(), (start, dx) => this.#setEditor(start + dx));
    this.#drag(detailsSplit, () => this.#matrixHeight(), (start, dx, dy) => this.#setMatrix((start + dy) / this.#results.getBoundingClientRect().height));
    editorSplit.addEventListener('keydown', (e) => {
      const d = { ArrowLeft: -32, ArrowRight: 32 }[e.key];
      if (d === undefined) return;
      e.preventDefault();
      this.#setEditor(this.#editorWidth() + d);
      save(this.#saved);
    });
    detailsSplit.addEventListener('keydown', (e) => {
      const d = { ArrowUp: -0.05, ArrowDown: 0.05 }[e.key];
      if (d === undefined) return;
      e.preventDefault();
      this.#setMatrix((this.#saved.matrix ?? 0.55) + d);
      save(this.#saved);
    });
    for (const tab of tabs) tab.addEventListener('click', () => this.show(tab.dataset.pane));
    for (const tab of tabs) {
      tab.addEventListener('keydown', (e) => {
        const i = tabs.indexOf(tab);
        const j = { ArrowLeft: i - 1, ArrowRight: i + 1 }[e.key];
        if (j === undefined) return;
        const next = tabs[(j + tabs.length) % tabs.length];
        next.focus();
        this.show(next.dataset.pane);
      });
    }
    new ResizeObserver(() => this.#apply()).observe(this.#ws);
  }

  /** show brings a pane forward on narrow screens: editor, matrix or details. */
  show(pane) {
    this.#ws.dataset.tab = pane;
    for (const tab of this.#tabs) {
      const on = tab.dataset.pane === pane;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
    }
  }

  showDetails() {
    if (this.#narrow.matches) this.show('details');
  }

  showEditor() {
    if (this.#narrow.matches) this.show('editor');
  }

  showMatrix() {
    if (this.#narrow.matches) this.show('matrix');
  }

  #editorWidth() {
    return this.#ws.querySelector('.editor-pane').getBoundingClientRect().width;
  }

  #matrixHeight() {
    return this.#results.querySelector('.results-pane').getBoundingClientRect().height;
  }

  #setEditor(px) {
    const total = this.#ws.getBoundingClientRect().width;
    const w = Math.round(Math.max(MIN_EDITOR, Math.min(px, total - MIN_RESULTS)));
    this.#saved.editor = w;
    this.#apply();
  }

  #setMatrix(frac) {
    this.#saved.matrix = Math.max(0.2, Math.min(0.85, frac));
    this.#apply();
  }

  // apply sets the remembered sizes, kept within what the window allows.
  // Measuring forces a layout, so without a remembered width (a first
  // visit) the splitter's value is measured at the next frame, not while
  // the page is still being built.
  #apply({ now = true } = {}) {
    if (this.#saved.editor) {
      const total = this.#ws.getBoundingClientRect().width;
      const w = Math.max(MIN_EDITOR, Math.min(this.#saved.editor, total - MIN_RESULTS));
      this.#ws.style.setProperty('--editor-w', `${w}px`);
    }
    if (this.#saved.matrix) this.#ws.style.setProperty('--matrix-h', `${Math.round(this.#saved.matrix * 1000) / 10}%`);
    this.#detailsSplit.setAttribute('aria-valuenow', String(Math.round((this.#saved.matrix ?? 0.55) * 100)));
    if (now) this.#measure();
    else requestAnimationFrame(() => this.#measure());
  }

  // measure gives the editor's splitter its value: the editor's share of the width.
  #measure() {
    const total = this.#ws.getBoundingClientRect().width;
    const pct = total ? Math.round((this.#editorWidth() / total) * 100) : 45;
    this.#editorSplit.setAttribute('aria-valuenow', String(pct));
  }

  // drag follows a pointer on a splitter, moving the pane edge by as much
  // as the pointer moved, and saves the result on release.
  #drag(el, size, move) {
    el.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      el.setPointerCapture(e.pointerId);
      el.classList.add('dragging');
      const start = size();
      const [x0, y0] = [e.clientX, e.clientY];
      const onMove = (ev) => move(start, ev.clientX - x0, ev.clientY - y0);
      const onUp = () => {
        el.classList.remove('dragging');
        el.removeEventListener('pointermove', onMove);
        el.removeEventListener('pointerup', onUp);
        el.removeEventListener('pointercancel', onUp);
        save(this.#saved);
      };
      el.addEventListener('pointermove', onMove);
      el.addEventListener('pointerup', onUp);
      el.addEventListener('pointercancel', onUp);
    });
  }
}

function load() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '{}');
    return {
      editor: Number.isFinite(v.editor) ? v.editor : null,
      matrix: Number.isFinite(v.matrix) ? v.matrix : null,
    };
  } catch {
    return { editor: null, matrix: null };
  }
}

function save(v) {
  try {
    localStorage.setItem(KEY, JSON.stringify(v));
  } catch {
    // Without storage the layout is simply not remembered.
  }
}
