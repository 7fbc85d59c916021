// Permalinks: the scenario and the chosen policies live in the URL fragment,
// compressed, so a link reproduces a view without any server storage. A
// fragment is never sent to a server, which also keeps scenarios private.
//
//   #z=<base64url(deflate-raw(JSON {"v":1,"text":"...","policies":["strict"]}))>
//   #preset=<name>[&policies=a,b]            (short links for documentation)
//
// Links come from anyone, so decoding bounds every size and checks every type.

const MAX_FRAGMENT = 64 * 1024;
const MAX_TEXT = 200 * 1024;
const POLICY_ID = /^[a-z0-9][a-z0-9@._-]{0,63}$/;

/** LinkError is a fragment that is not a readable permalink. */
export class LinkError extends Error {}

/** encodeState returns the fragment (without '#') for {text, policies}. */
export async function encodeState({ text, policies }) {
  const json = JSON.stringify({ v: 1, text, policies });
  const bytes = await pipe(new TextEncoder().encode(json), new CompressionStream('deflate-raw'), Infinity);
  return `z=${toBase64URL(bytes)}`;
}

/**
 * decodeState reads a fragment (with or without '#'). It resolves to null
 * when there is nothing to read, to {text, policies} or {preset, policies},
 * and rejects with LinkError when the link is damaged or hostile.
 */
export async function decodeState(fragment) {
  const hash = String(fragment || '').replace(/^#/, '');
  if (hash === '') return null;
  if (hash.length > MAX_FRAGMENT) throw new LinkError('the link is too long');
  const params = new URLSearchParams(hash);
  const policies = params.has('policies') ? checkPolicies(params.get('policies').split(',')) : null;
  if (params.has('preset')) {
    const preset = params.get('preset');
    if (!/^[a-z0-9-]{1,64}$/.test(preset)) throw new LinkError('the link names no valid preset');
    return { preset, policies };
  }
  if (!params.has('z')) throw new LinkError('the link holds no scenario');
  let bytes;
  try {
    bytes = await pipe(fromBase64URL(params.get('z')), new DecompressionStream('deflate-raw'), MAX_TEXT * 4);
  } catch (err) {
    throw new LinkError(err instanceof LinkError ? err.message : 'the scenario in the link is damaged');
  }
  let state;
  try {
    state = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new LinkError('the scenario in the link is damaged');
  }
  if (state === null || typeof state !== 'object' || state.v !== 1) throw new LinkError('the link has an unknown format');
  if (typeof state.text !== 'string') throw new LinkError('the link holds no scenario');
  if (state.text.length > MAX_TEXT) throw new LinkError('the scenario in the link is too long');
  return { text: state.text, policies: state.policies === undefined ? policies : checkPolicies(state.policies) };
}

function checkPolicies(list) {
  if (!Array.isArray(list)) throw new LinkError('the link lists policies in an unknown form');
  const ids = list.filter((id) => typeof id === 'string' && POLICY_ID.test(id));
  if (ids.length !== list.length) throw new LinkError('the link names a policy that is not a valid id');
  return ids.slice(0, 64);
}

// pipe runs bytes through a transform stream, giving up past limit bytes so
// that a small link cannot expand into gigabytes.
async function pipe(bytes, transform, limit) {
  const writer = transform.writable.getWriter();
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const chunks = [];
  let size = 0;
  const reader = transform.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new LinkError('the scenario in the link is too long');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function toBase64URL(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64URL(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new LinkError('the link is not valid base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  let bin;
  try {
    bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  } catch {
    throw new LinkError('the link is not valid base64url');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * embedOptions reads the embed view's own options from a fragment such as
 * "#z=…&theme=light&compact": theme is light, dark or auto (the default,
 * which follows the reader's system), compact hides the situations.
 */
export function embedOptions(hash) {
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const theme = params.get('theme');
  return {
    theme: ['light', 'dark'].includes(theme) ? theme : 'auto',
    compact: params.has('compact') && params.get('compact') !== '0',
  };
}
