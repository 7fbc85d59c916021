// The scenario language as the editor sees it: a line classifier for the
// highlighting, completion of what can be typed where, and warnings about
// text that parses but is probably not what was meant. The engine stays the
// judge of what is valid; nothing here decides whether a scenario runs.
// Pure functions, no DOM: the Node tests import this module directly.

/** METHODS are the methods the simulator handles; others are method-not-allowed. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** DECLARATIONS are the @ lines of SYNTAX.md, with what each takes. */
export const DECLARATIONS = [
  { label: '@unique', detail: 'COLLECTION FIELD' },
  { label: '@immutable', detail: 'COLLECTION' },
  { label: '@min', detail: 'COLLECTION N' },
  { label: '@ref', detail: 'COLLECTION FIELD TARGET' },
  { label: '@required', detail: 'COLLECTION FIELD[:TYPE]…' },
  { label: '@isolation', detail: 'atomic | check-then-act' },
  { label: '@policy', detail: 'ID, then JSON lines' },
];

/** HEADERS are the request headers the simulated servers read, and a few common ones. */
export const HEADERS = ['Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'Authorization', 'Accept', 'Prefer', 'Range', 'If-Modified-Since'];

const KEYWORDS = [
  { label: 'let', detail: 'NAME = header H | body PATH | status', insert: 'let ' },
  { label: 'race {', detail: 'requests that run concurrently', insert: 'race {' },
  { label: 'client', detail: 'NAME { a sequence inside a race }', insert: 'client ' },
];

const REQUEST_LINE = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(\s+)(\S.*?)(\s+HTTP\/[\d.]+)?\s*$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(\s*:)(.*)$/;
const LET_LINE = /^(let)(\s+)([A-Za-z_][A-Za-z0-9_-]*)?(\s*=?\s*)(header|body|status)?(.*)$/;
const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * classify reads the text line by line the way the scenario grammar does
 * and returns one entry per line: {kind, segments: [[class, text], ...]}.
 * kind is blank, comment, declaration, policy-json, request, header,
 * body, let, block or text. The segments concatenate to the line.
 */
export function classify(text) {
  const lines = String(text).split('\n');
  const out = [];
  let seenRequest = false;
  let state = 'top'; // top | headers | body | policy
  let depth = 0; // open brackets of a body, so that "}" inside JSON is body
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    const lead = line.slice(0, line.length - line.trimStart().length);
    let kind;
    let segs;
    if (trimmed === '') {
      kind = 'blank';
      segs = [['', line]];
      if (state !== 'policy' || depth <= 0) state = 'top';
      depth = state === 'policy' ? depth : 0;
    } else if (trimmed.startsWith('#') && state !== 'body') {
      kind = 'comment';
      segs = [['', lead], ['tok-comment', trimmed]];
    } else if (state === 'policy') {
      kind = 'policy-json';
      segs = [['', lead], ...json(trimmed)];
      depth += bracketDelta(trimmed);
      if (depth <= 0) state = 'top';
    } else if (trimmed.startsWith('@') && !seenRequest) {
      kind = 'declaration';
      const [name, ...rest] = trimmed.split(/(\s+)/);
      segs = [['', lead], ['tok-decl', name], ...rest.map((r) => [/^\s+$/.test(r) ? '' : 'tok-arg', r])];
      if (name === '@policy') {
        state = 'policy';
        depth = 0;
      }
    } else if (state === 'body') {
      if (trimmed === '}' && depth <= 0) {
        kind = 'block';
        segs = [['', lead], ['tok-block', trimmed]];
        state = 'top';
      } else if (LET_LINE.test(trimmed) && depth <= 0) {
        kind = 'let';
        segs = [['', lead], ...letSegments(trimmed)];
      } else {
        kind = 'body';
        segs = [['', lead], ...json(trimmed)];
        depth += bracketDelta(trimmed);
      }
    } else if (/^race\s*\{$/.test(trimmed) || /^client\s+\S+\s*\{$/.test(trimmed) || trimmed === '}') {
      kind = 'block';
      const m = /^(client)(\s+)(\S+)(\s*\{)$/.exec(trimmed);
      segs = m ? [['', lead], ['tok-block', m[1]], ['', m[2]], ['tok-client', m[3]], ['tok-block', m[4]]] : [['', lead], ['tok-block', trimmed]];
      state = 'top';
    } else if (/^let(\s|$)/.test(trimmed)) {
      kind = 'let';
      segs = [['', lead], ...letSegments(trimmed)];
    } else if (state === 'headers' && HEADER_LINE.test(trimmed)) {
      kind = 'header';
      const m = HEADER_LINE.exec(trimmed);
      segs = [['', lead], ['tok-header', m[1]], ['tok-punct', m[2]], ...templates(m[3], 'tok-value')];
    } else if (state === 'headers') {
      kind = 'body';
      state = 'body';
      depth = bracketDelta(trimmed);
      segs = [['', lead], ...json(trimmed)];
    } else if (REQUEST_LINE.test(trimmed)) {
      kind = 'request';
      seenRequest = true;
      state = 'headers';
      const m = REQUEST_LINE.exec(trimmed);
      const known = METHODS.includes(m[1]);
      segs = [['', lead], [known ? 'tok-method' : 'tok-method tok-unknown', m[1]], ['', m[2]], ...templates(m[3], 'tok-path')];
      if (m[4]) segs.push(['tok-version', m[4]]);
    } else {
      kind = 'text';
      segs = [['', line]];
    }
    out.push({ kind, segments: segs.filter(([, t]) => t !== '') });
  }
  return out;
}

function letSegments(trimmed) {
  const m = LET_LINE.exec(trimmed);
  if (!m) return [['tok-let', trimmed]];
  const segs = [['tok-let', m[1]], ['', m[2]]];
  if (m[3]) segs.push(['tok-capture-name', m[3]]);
  segs.push(['tok-punct', m[4] || '']);
  if (m[5]) segs.push(['tok-let', m[5]]);
  segs.push(['tok-arg', m[6] || '']);
  return segs;
}

// templates splits s into plain text of class cls and {{name}} uses.
function templates(s, cls) {
  const segs = [];
  let at = 0;
  for (const m of s.matchAll(TEMPLATE)) {
    if (m.index > at) segs.push([cls, s.slice(at, m.index)]);
    segs.push(['tok-capture', m[0]]);
    at = m.index + m[0].length;
  }
  if (at < s.length) segs.push([cls, s.slice(at)]);
  return segs;
}

// json colours a line of a (possibly partial or invalid) JSON body:
// strings, keys, numbers and literals; anything else stays body text.
function json(s) {
  const segs = [];
  const re = /("(?:[^"\\]|\\.)*"?)(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;
  let at = 0;
  for (const m of s.matchAll(re)) {
    if (m.index > at) segs.push(['tok-body', s.slice(at, m.index)]);
    if (m[1] !== undefined) {
      const cls = m[2] ? 'tok-key' : 'tok-string';
      segs.push(...templates(m[1], cls));
      if (m[2]) segs.push(['tok-punct', m[2]]);
    } else if (m[3] !== undefined) segs.push(['tok-number', m[3]]);
    else segs.push(['tok-literal', m[4]]);
    at = m.index + m[0].length;
  }
  if (at < s.length) segs.push(['tok-body', s.slice(at)]);
  return segs;
}

// bracketDelta counts opening minus closing brackets outside strings.
function bracketDelta(s) {
  let d = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') d++;
    else if (c === '}' || c === ']') d--;
  }
  return d;
}

/** captureNames lists the names the text captures with let, before line (1-based), in order. */
export function captureNames(text, beforeLine = Infinity) {
  const names = [];
  String(text).split('\n').forEach((line, i) => {
    if (i + 1 >= beforeLine) return;
    const m = /^\s*let\s+([A-Za-z_][A-Za-z0-9_-]*)\s*=/.exec(line);
    if (m && !names.includes(m[1])) names.push(m[1]);
  });
  return names;
}

/**
 * completions says what can be typed at offset: {from, to, items} where
 * items are {label, insert, detail} and [from, to) is the text they
 * replace, or null when nothing fits there.
 */
export function completions(text, offset) {
  text = String(text);
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(start, offset);
  const lineNo = text.slice(0, start).split('\n').length;
  const kinds = classify(text.slice(0, start) + before);
  const prevKind = lineNo > 1 ? kinds[lineNo - 2]?.kind : 'blank';
  const seenRequest = kinds.slice(0, lineNo - 1).some((l) => l.kind === 'request');

  const open = before.lastIndexOf('{{');
  if (open >= 0 && !before.slice(open).includes('}}')) {
    const prefix = before.slice(open + 2).trimStart();
    const items = captureNames(text, lineNo)
      .filter((n) => n.startsWith(prefix) && n !== prefix)
      .map((n) => ({ label: `{{${n}}}`, insert: `${n}}}`, detail: 'captured earlier' }));
    return items.length ? { from: offset - prefix.length, to: offset, items } : null;
  }
  const m = /^(\s*)(@?[A-Za-z-]*)$/.exec(before);
  if (!m) return null;
  const word = m[2];
  const from = offset - word.length;
  let items = [];
  const inRequest = ['request', 'header'].includes(prevKind);
  if (inRequest && !word.startsWith('@')) {
    items = HEADERS.map((hd) => ({ label: hd, insert: `${hd}: `, detail: 'header' }));
    items.push(...KEYWORDS.slice(0, 1));
  } else if (word.startsWith('@') || (!seenRequest && word === '')) {
    items = seenRequest ? [] : DECLARATIONS.map((d) => ({ label: d.label, insert: `${d.label} `, detail: d.detail }));
    if (!word.startsWith('@')) items.push(...METHODS.map((mt) => ({ label: mt, insert: `${mt} /`, detail: 'request' })));
  } else if (['blank', 'comment', 'block', 'let', 'body'].includes(prevKind) || lineNo === 1) {
    items = [...METHODS.map((mt) => ({ label: mt, insert: `${mt} /`, detail: 'request' })), ...KEYWORDS];
  }
  const lower = word.toLowerCase();
  items = items.filter((it) => it.label.toLowerCase().startsWith(lower) && it.label !== word);
  return items.length && word !== '' ? { from, to: offset, items } : null;
}

/**
 * warnings lists, for text that the engine accepts, what is legal but
 * probably wrong: {line, column, message}. result (optional) is the
 * engine's result for the text, which knows which captures came back empty.
 */
export function warnings(text, result = null) {
  const out = [];
  classify(text).forEach((l, i) => {
    if (l.kind !== 'request') return;
    const seg = l.segments.find(([cls]) => cls.includes('tok-unknown'));
    if (!seg) return;
    const method = seg[1];
    const line = String(text).split('\n')[i];
    const guess = closest(method.toUpperCase(), METHODS);
    const hint = guess && guess !== method ? ` Did you mean ${guess}?` : '';
    out.push({
      line: i + 1, column: line.indexOf(method) + 1, length: method.length,
      message: `No policy simulates ${method}: every column answers it as method-not-allowed.${hint}`,
    });
  });
  for (const step of result?.steps || []) {
    const empty = new Map();
    for (const col of result.policies || Object.keys(step.results || {})) {
      for (const name of step.results?.[col]?.unfilled || []) empty.set(name, [...(empty.get(name) || []), col]);
    }
    for (const [name, cols] of empty) {
      const reqs = step.race || (step.request ? [step.request] : []);
      const inPath = reqs.some((q) => new RegExp(`\\{\\{\\s*${escapeRe(name)}\\s*\\}\\}`).test(q.path || ''));
      const where = inPath ? 'the path' : 'the request';
      const line = String(text).split('\n')[step.line - 1] || '';
      const at = line.indexOf(`{{${name}`);
      out.push({
        line: step.line, column: at >= 0 ? at + 1 : 1, length: at >= 0 ? name.length + 4 : 0,
        message: `{{${name}}} is empty under ${listNames(cols)}: its capture found nothing, so ${where} was sent without it.`,
      });
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

function listNames(cols) {
  return cols.length > 3 ? `${cols.slice(0, 3).join(', ')} and ${cols.length - 3} more` : cols.join(', ');
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// closest is the candidate within two edits of word, if one is.
function closest(word, candidates) {
  let best = null;
  let bestD = 3;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

// distance is the Damerau-Levenshtein distance (adjacent swaps count one),
// for words of a few letters.
function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * stepRanges maps each step of a result to the editor lines it covers:
 * [{row, from, to}], from its request line to the line before the next
 * step (blank and comment lines at the end left out).
 */
export function stepRanges(text, result) {
  const lines = String(text).split('\n');
  const steps = result?.steps || [];
  return steps.map((s, i) => {
    const next = steps[i + 1]?.line ?? lines.length + 1;
    let to = next - 1;
    while (to > s.line && /^\s*(#.*)?$/.test(lines[to - 1] ?? '')) to--;
    return { row: i, from: s.line, to };
  });
}
