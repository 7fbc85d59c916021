// Element construction for the playground. Everything the engine or a link
// provides is untrusted, so text only ever becomes a Text node, attributes
// are set one by one, and links are limited to http(s) URLs. There is no
// code path here that parses a string as HTML.

/**
 * h creates an element. Props set attributes (class, dataset, href and
 * plain attributes); children are nodes or values shown as text.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (/^on/i.test(key)) throw new Error(`h: ${key}: attach listeners with addEventListener`);
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'href') {
      const url = safeURL(value);
      if (url) el.setAttribute('href', url);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** append adds children (nested arrays allowed) as nodes or text. */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** safeURL returns url when it is an absolute http or https URL, else null. */
export function safeURL(url) {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/** externalLink is a link that opens a citation in a new tab, or plain text. */
export function externalLink(url, text, props = {}) {
  const href = safeURL(url);
  if (!href) return h('span', props, text);
  return h('a', { ...props, href, target: '_blank', rel: 'noopener noreferrer' }, text);
}

/** statusClass names a status code's class: s1 … s5, or s0 when unknown. */
export function statusClass(status) {
  const n = Number(status);
  return n >= 100 && n < 600 ? `s${Math.floor(n / 100)}` : 's0';
}

/** $ finds one element by id and fails loudly when the page is incomplete. */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}
