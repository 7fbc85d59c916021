// The scenario editor: a plain textarea (native undo, selection, IME and
// screen-reader support) over a highlighted copy of its text, with a
// line-number gutter, marks for errors and warnings, the lines of the
// matrix row in focus, and a completion list. The textarea's own text is
// transparent; the layer under it draws the same characters in colour.
// Neither wraps, so line N is always at the same height and column C at
// the same distance from the left.

import { h } from './dom.js';
import { classify, completions } from './language.js';

const TAB = 4;

/** Editor wraps the textarea and the elements drawn beside it. */
export class Editor {
  #ta;
  #gutter;
  #layer;
  #code;
  #list;
  #band;
  #lines = [];
  #gutterKey = '';
  #rendered = new Map(); // line key -> elements showing it, for reuse
  #error = null;
  #warnings = [];
  #linked = null;
  #charWidth = 0;
  #completion = null;
  #active = 0;
  #syncQueued = false;
  #scrolled = false; // whether the textarea may be off its top left corner

  constructor({ textarea, gutter, layer, list, band }) {
    this.#ta = textarea;
    this.#gutter = gutter;
    this.#layer = layer;
    this.#list = list;
    this.#band = band;
    this.#code = h('code', { class: 'hl-code' });
    layer.replaceChildren(this.#code);
    textarea.addEventListener('input', (event) => {
      this.#refresh();
      if (event.inputType?.startsWith('insert')) this.#suggest();
      else this.#closeList();
    });
    textarea.addEventListener('scroll', () => {
      this.#scrolled = true;
      this.#syncNow();
    });
    textarea.addEventListener('keydown', (event) => this.#onKey(event));
    textarea.addEventListener('blur', () => setTimeout(() => this.#closeList(), 150));
    textarea.addEventListener('mousemove', (event) => this.#hover(event));
    textarea.addEventListener('click', () => this.#closeList());
    list.addEventListener('mousedown', (event) => {
      const li = event.target.closest('li[data-index]');
      if (!li) return;
      event.preventDefault();
      this.#accept(Number(li.dataset.index));
    });
    new ResizeObserver(() => this.#syncNow()).observe(textarea);
    this.#refresh();
  }

  get value() {
    return this.#ta.value;
  }

  /** value replaces the text and forgets the marks shown for the old one. */
  set value(text) {
    this.#ta.value = text;
    // Setting a scroll offset forces a layout; a textarea that never
    // scrolled is at 0 already (the page's start sets its first text).
    if (this.#scrolled) {
      this.#ta.scrollTop = 0;
      this.#ta.scrollLeft = 0;
      this.#scrolled = false;
    }
    this.#error = null;
    this.#warnings = [];
    this.#linked = null;
    this.#ta.setAttribute('aria-invalid', 'false');
    this.#closeList();
    this.#refresh();
  }

  /** caretLine is the 1-based line of the caret. */
  get caretLine() {
    return this.#ta.value.slice(0, this.#ta.selectionStart).split('\n').length;
  }

  /** onInput calls fn after every edit by the user. */
  onInput(fn) {
    this.#ta.addEventListener('input', fn);
  }

  /** onCaret calls fn(line) when the caret may have moved to another line. */
  onCaret(fn) {
    let last = 0;
    const check = () => {
      const line = this.caretLine;
      if (line !== last) {
        last = line;
        fn(line);
      }
    };
    for (const type of ['keyup', 'click', 'focus', 'input']) this.#ta.addEventListener(type, check);
  }

  /** showError marks {line, column, message} (1-based); null clears the mark. */
  showError(pos) {
    const next = pos && pos.line > 0 ? { line: pos.line, column: Math.max(1, pos.column || 1), message: pos.message || '' } : null;
    // Most runs succeed after a success: nothing to redraw, and no layout
    // to force in the middle of a re-run.
    if (!next && !this.#error) return;
    this.#error = next;
    this.#ta.setAttribute('aria-invalid', next ? 'true' : 'false');
    this.#draw();
  }

  /** showWarnings marks [{line, column, length, message}]. */
  showWarnings(list) {
    if (list.length === 0 && this.#warnings.length === 0) return;
    this.#warnings = list;
    this.#draw();
  }

  /** link highlights lines from..to (1-based) as the request of a matrix row; null clears it. */
  link(range) {
    const same = range && this.#linked && range.from === this.#linked.from && range.to === this.#linked.to;
    if (same || (!range && !this.#linked)) return;
    this.#linked = range ? { from: range.from, to: range.to } : null;
    this.#drawBand();
  }

  /** reveal scrolls lines from..to into view without moving the caret. */
  reveal(from, to = from) {
    const { lineHeight, padTop } = this.#metrics();
    const top = padTop + (from - 1) * lineHeight;
    const bottom = padTop + to * lineHeight;
    const ta = this.#ta;
    if (top < ta.scrollTop || bottom > ta.scrollTop + ta.clientHeight) {
      ta.scrollTop = Math.max(0, top - Math.max(lineHeight, (ta.clientHeight - (bottom - top)) / 2));
      this.#scrolled = true;
    }
  }

  /** goTo puts the caret at line and column and scrolls it into view, both ways. */
  goTo(line, column) {
    const lines = this.#ta.value.split('\n');
    const l = Math.min(Math.max(1, line), lines.length);
    let offset = 0;
    for (let i = 0; i < l - 1; i++) offset += lines[i].length + 1;
    offset += Math.min(Math.max(0, column - 1), lines[l - 1].length);
    this.#ta.focus({ preventScroll: true });
    this.#ta.setSelectionRange(offset, offset);
    this.reveal(l);
    const { padLeft } = this.#metrics();
    const x = padLeft + visualColumn(lines[l - 1], column) * this.#cw();
    const ta = this.#ta;
    const margin = 4 * this.#cw();
    if (x < ta.scrollLeft + margin || x > ta.scrollLeft + ta.clientWidth - margin) {
      ta.scrollLeft = Math.max(0, x - ta.clientWidth / 2);
      this.#scrolled = true;
    }
    this.#syncNow();
  }

  /** visibleColumns is how many characters of a line fit in the editor. */
  visibleColumns() {
    const { padLeft } = this.#metrics();
    return Math.floor((this.#ta.clientWidth - 2 * padLeft) / this.#cw());
  }

  #refresh() {
    this.#lines = this.#ta.value.split('\n');
    this.#draw();
  }

  // draw renders the highlighted text, the gutter and the marks. Lines
  // whose text and kind did not change keep their elements, so that a
  // keystroke redraws one line rather than the whole scenario.
  #draw() {
    const classes = classify(this.#ta.value);
    const old = this.#rendered;
    const next = [];
    const frag = document.createDocumentFragment();
    classes.forEach((line, i) => {
      const key = `${line.kind}\u0000${this.#lines[i]}`;
      let div = old.get(key)?.pop();
      if (!div) {
        div = h('div', { class: `hl-line k-${line.kind}` });
        for (const [cls, text] of line.segments) div.append(cls ? h('span', { class: cls }, text) : text);
        if (line.segments.length === 0) div.append('\u200b');
      }
      next.push([key, div]);
      frag.append(div);
    });
    this.#rendered = new Map();
    for (const [key, div] of next) {
      if (!this.#rendered.has(key)) this.#rendered.set(key, []);
      this.#rendered.get(key).push(div);
    }
    const marks = [];
    for (const w of this.#warnings) marks.push({ ...w, cls: 'warn' });
    if (this.#error) marks.push({ line: this.#error.line, column: this.#error.column, length: 1, message: this.#error.message, cls: 'error' });
    for (const m of marks) {
      const text = this.#lines[m.line - 1] ?? '';
      const col = visualColumn(text, m.column);
      const len = Math.max(1, m.length || 1);
      const el = h('span', { class: `mark mark-${m.cls}`, dataset: { line: String(m.line) } });
      el.style.top = `calc(var(--editor-pad) + ${m.line - 1} * var(--editor-lh))`;
      el.style.left = `calc(var(--editor-pad-x) + ${col}ch)`;
      el.style.width = `${len}ch`;
      frag.append(el);
    }
    this.#code.replaceChildren(frag);
    this.#drawGutter();
    this.#drawBand();
    this.#sync();
  }

  #drawGutter() {
    const warned = new Set(this.#warnings.map((w) => w.line));
    const key = `${this.#lines.length}|${this.#error?.line ?? 0}|${[...warned].join(',')}`;
    if (key === this.#gutterKey) return;
    this.#gutterKey = key;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= this.#lines.length; i++) {
      let cls = 'ln';
      if (this.#error?.line === i) cls += ' error';
      else if (warned.has(i)) cls += ' warn';
      frag.append(h('span', { class: cls }, String(i)));
    }
    this.#gutter.replaceChildren(frag);
    this.#drawBand();
  }

  #drawBand() {
    const band = this.#band;
    if (!this.#linked) {
      band.hidden = true;
      return;
    }
    band.hidden = false;
    band.dataset.from = String(this.#linked.from);
    band.dataset.to = String(this.#linked.to);
    band.style.top = `calc(${this.#linked.from - 1} * var(--editor-lh) + var(--editor-pad))`;
    band.style.height = `calc(${this.#linked.to - this.#linked.from + 1} * var(--editor-lh))`;
    for (const ln of this.#gutter.children) ln.classList.remove('linked');
    for (let i = this.#linked.from; i <= this.#linked.to; i++) this.#gutter.children[i - 1]?.classList.add('linked');
    this.#sync();
  }

  #metrics() {
    const cs = getComputedStyle(this.#ta);
    return {
      lineHeight: parseFloat(cs.lineHeight) || 20,
      padTop: parseFloat(cs.paddingTop) || 0,
      padLeft: parseFloat(cs.paddingLeft) || 0,
    };
  }

  // cw is the width of one character of the editor's monospace font.
  #cw() {
    if (!this.#charWidth) {
      const probe = h('span', { class: 'hl-probe' }, 'x'.repeat(100));
      this.#layer.append(probe);
      this.#charWidth = probe.getBoundingClientRect().width / 100 || 8;
      probe.remove();
    }
    return this.#charWidth;
  }

  // sync aligns the drawn layers at the next frame. Reading the
  // textarea's scroll offsets forces a layout, and redraws come in the
  // middle of other DOM work (the page's start, a run that also rebuilds
  // the matrix): aligning at once would lay the page out twice.
  #sync() {
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    requestAnimationFrame(() => {
      this.#syncQueued = false;
      this.#syncNow();
    });
  }

  // syncNow keeps the layer, the gutter and the band aligned with the
  // scrolled text; scroll and resize events call it directly, when the
  // layout is up to date anyway.
  #syncNow() {
    const { scrollTop, scrollLeft } = this.#ta;
    this.#code.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.#gutter.style.transform = `translateY(${-scrollTop}px)`;
    this.#band.style.transform = `translateY(${-scrollTop}px)`;
    if (this.#completion) this.#placeList();
  }

  // hover shows the message of an error or warning under the pointer.
  #hover(event) {
    const { lineHeight, padTop } = this.#metrics();
    const line = Math.floor((event.offsetY + this.#ta.scrollTop - padTop) / lineHeight) + 1;
    const msgs = [];
    if (this.#error?.line === line && this.#error.message) msgs.push(this.#error.message);
    for (const w of this.#warnings) if (w.line === line) msgs.push(`Warning: ${w.message}`);
    const title = msgs.join('\n');
    if (title) this.#ta.title = title;
    else this.#ta.removeAttribute('title');
  }

  #suggest() {
    const at = this.#ta.selectionStart;
    if (at !== this.#ta.selectionEnd) return this.#closeList();
    const c = completions(this.#ta.value, at);
    if (!c) return this.#closeList();
    this.#completion = c;
    this.#active = 0;
    this.#list.replaceChildren(...c.items.slice(0, 12).map((it, i) => h('li', {
      id: `completion-${i}`, role: 'option', dataset: { index: String(i) }, 'aria-selected': i === 0 ? 'true' : 'false',
    }, h('span', { class: 'c-label' }, it.label), it.detail ? h('span', { class: 'c-detail' }, it.detail) : null)));
    this.#list.hidden = false;
    this.#ta.setAttribute('aria-expanded', 'true');
    this.#ta.setAttribute('aria-activedescendant', 'completion-0');
    this.#placeList();
  }

  #placeList() {
    const { lineHeight, padTop, padLeft } = this.#metrics();
    const before = this.#ta.value.slice(0, this.#completion.from);
    const lineNo = before.split('\n').length;
    const col = visualColumn(this.#lines[lineNo - 1] ?? '', before.length - before.lastIndexOf('\n'));
    const x = padLeft + col * this.#cw() - this.#ta.scrollLeft;
    const y = padTop + lineNo * lineHeight - this.#ta.scrollTop;
    this.#list.style.left = `${Math.max(0, Math.min(x, this.#ta.clientWidth - 200))}px`;
    this.#list.style.top = `${y + 2}px`;
  }

  #closeList() {
    if (!this.#completion) return;
    this.#completion = null;
    this.#list.hidden = true;
    this.#list.replaceChildren();
    this.#ta.setAttribute('aria-expanded', 'false');
    this.#ta.removeAttribute('aria-activedescendant');
  }

  #onKey(event) {
    if (!this.#completion || event.isComposing) return;
    const n = Math.min(12, this.#completion.items.length);
    const move = (d) => {
      this.#active = (this.#active + d + n) % n;
      for (const li of this.#list.children) li.setAttribute('aria-selected', String(Number(li.dataset.index) === this.#active));
      this.#ta.setAttribute('aria-activedescendant', `completion-${this.#active}`);
    };
    switch (event.key) {
      case 'ArrowDown': move(1); break;
      case 'ArrowUp': move(-1); break;
      case 'Enter':
      case 'Tab':
        if (event.ctrlKey || event.metaKey) return;
        this.#accept(this.#active);
        break;
      case 'Escape': this.#closeList(); break;
      default: return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  // accept replaces the typed prefix with the chosen item through the
  // browser's editing commands, so that one Ctrl+Z takes it back.
  #accept(i) {
    const c = this.#completion;
    const item = c?.items[i];
    this.#closeList();
    if (!item) return;
    this.#ta.focus();
    this.#ta.setSelectionRange(c.from, c.to);
    if (!document.execCommand?.('insertText', false, item.insert)) {
      this.#ta.setRangeText(item.insert, c.from, c.to, 'end');
      this.#ta.dispatchEvent(new Event('input'));
    }
  }
}

// visualColumn is how many character cells precede column (1-based) in
// text, expanding tabs the way the textarea's tab-size does.
export function visualColumn(text, column) {
  let cells = 0;
  const chars = [...text];
  for (let i = 0; i < column - 1 && i < chars.length; i++) {
    cells = chars[i] === '\t' ? cells + TAB - (cells % TAB) : cells + 1;
  }
  if (column - 1 > chars.length) cells += column - 1 - chars.length;
  return cells;
}
