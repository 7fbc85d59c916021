// The scenario editor: a plain textarea (native undo, selection, IME and
// screen-reader support) with a line-number gutter and an error marker laid
// over it. The textarea does not wrap, so line N is always at the same height.

import { h } from './dom.js';

const TAB = 4;

/** Editor wraps the textarea and the elements drawn beside it. */
export class Editor {
  #ta;
  #gutter;
  #mark;
  #caret;
  #lines = 0;
  #error = null;

  constructor({ textarea, gutter, mark, caret }) {
    this.#ta = textarea;
    this.#gutter = gutter;
    this.#mark = mark;
    this.#caret = caret;
    textarea.addEventListener('input', () => this.#refresh());
    textarea.addEventListener('scroll', () => this.#sync());
    new ResizeObserver(() => this.#sync()).observe(textarea);
    this.#refresh();
  }

  get value() {
    return this.#ta.value;
  }

  /** value replaces the text and forgets the error shown for the old one. */
  set value(text) {
    this.#ta.value = text;
    this.#ta.scrollTop = 0;
    this.#error = null;
    this.#refresh();
  }

  /** onInput calls fn after every edit by the user. */
  onInput(fn) {
    this.#ta.addEventListener('input', fn);
  }

  /** showError marks line and column (1-based); null clears the mark. */
  showError(pos) {
    const next = pos && pos.line > 0 ? { line: pos.line, column: Math.max(1, pos.column || 1) } : null;
    // Most runs succeed after a success: nothing to redraw, and no layout
    // to force in the middle of a re-run.
    if (!next && !this.#error) return;
    this.#error = next;
    this.#ta.setAttribute('aria-invalid', this.#error ? 'true' : 'false');
    this.#drawGutter(true);
    this.#sync();
  }

  /** goTo puts the caret at line and column and scrolls it into view. */
  goTo(line, column) {
    const lines = this.#ta.value.split('\n');
    const l = Math.min(Math.max(1, line), lines.length);
    let offset = 0;
    for (let i = 0; i < l - 1; i++) offset += lines[i].length + 1;
    offset += Math.min(Math.max(0, column - 1), lines[l - 1].length);
    this.#ta.focus();
    this.#ta.setSelectionRange(offset, offset);
    const { lineHeight, padTop } = this.#metrics();
    const y = padTop + (l - 1) * lineHeight;
    if (y < this.#ta.scrollTop || y + lineHeight > this.#ta.scrollTop + this.#ta.clientHeight) {
      this.#ta.scrollTop = Math.max(0, y - this.#ta.clientHeight / 2);
    }
  }

  #refresh() {
    this.#drawGutter(false);
    this.#sync();
  }

  #drawGutter(force) {
    const count = this.#ta.value.split('\n').length;
    if (!force && count === this.#lines) return;
    this.#lines = count;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= count; i++) {
      frag.append(h('span', { class: this.#error?.line === i ? 'ln error' : 'ln' }, String(i)));
    }
    this.#gutter.replaceChildren(frag);
  }

  #metrics() {
    const cs = getComputedStyle(this.#ta);
    return {
      lineHeight: parseFloat(cs.lineHeight) || 20,
      padTop: parseFloat(cs.paddingTop) || 0,
      padLeft: parseFloat(cs.paddingLeft) || 0,
    };
  }

  // sync keeps the gutter and the error marks aligned with the scrolled text.
  #sync() {
    const { scrollTop, scrollLeft } = this.#ta;
    this.#gutter.style.transform = `translateY(${-scrollTop}px)`;
    if (!this.#error) {
      this.#mark.hidden = true;
      this.#caret.hidden = true;
      return;
    }
    const { lineHeight, padTop, padLeft } = this.#metrics();
    const top = padTop + (this.#error.line - 1) * lineHeight - scrollTop;
    this.#mark.hidden = false;
    this.#mark.style.transform = `translateY(${top}px)`;
    this.#mark.style.height = `${lineHeight}px`;
    const text = this.#ta.value.split('\n')[this.#error.line - 1] ?? '';
    const col = visualColumn(text, this.#error.column);
    this.#caret.hidden = false;
    this.#caret.style.height = `${lineHeight}px`;
    this.#caret.style.transform = `translate(calc(${padLeft - scrollLeft}px + ${col}ch), ${top}px)`;
  }
}

// visualColumn is how many character cells precede column (1-based) in
// text, expanding tabs the way the textarea's tab-size does.
function visualColumn(text, column) {
  let cells = 0;
  const chars = [...text];
  for (let i = 0; i < column - 1 && i < chars.length; i++) {
    cells = chars[i] === '\t' ? cells + TAB - (cells % TAB) : cells + 1;
  }
  if (column - 1 > chars.length) cells += column - 1 - chars.length;
  return cells;
}
