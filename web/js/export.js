// Text exports of a result for the share menu: the scenario as curl
// commands and the iframe snippet of the embed. The Markdown table is the
// engine's own (Engine.markdown), the same the CLI prints.

/**
 * toCurl turns the scenario's requests into a shell script of curl
 * commands against $BASE. Races become background jobs joined by wait.
 */
export function toCurl(result) {
  const out = [
    '#!/bin/sh',
    `# ${oneLine(result.title || 'httpplay scenario')}`,
    '# Requests of the scenario as curl commands; set BASE to your server.',
    "BASE=\"${BASE:-http://localhost:8080}\"",
  ];
  let captures = false;
  for (const step of result.steps || []) {
    out.push('');
    if (step.race) {
      out.push(`# line ${step.line}: race: these requests run concurrently`);
      for (const req of step.race) out.push(`${curlCommand(req)} &`);
      out.push('wait');
    } else if (step.request) {
      out.push(`# line ${step.line}`);
      out.push(curlCommand(step.request));
    }
    if (JSON.stringify(step.race || step.request || {}).includes('{{')) captures = true;
  }
  if (captures) out.push('', '# {{name}} stands for a value captured from an earlier response: fill it in by hand.');
  return `${out.join('\n')}\n`;
}

function curlCommand(req) {
  const method = String(req.method || 'GET');
  const parts = ['curl -i'];
  if (method === 'HEAD') parts.push('--head');
  else if (method !== 'GET' || req.body) parts.push(`-X ${shellQuote(method)}`);
  parts.push(`"$BASE"${shellQuote(req.path || '/')}`);
  for (const [name, value] of Object.entries(req.headers || {})) parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  if (req.body) parts.push(`--data-raw ${shellQuote(req.body)}`);
  return parts.join(' \\\n  ');
}

/** shellQuote quotes s for a POSIX shell: nothing inside single quotes is special. */
export function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function oneLine(s) {
  return String(s).replace(/[\r\n]+/g, ' ');
}

/**
 * embedSnippet is the iframe that shows the embed view of url; its height
 * fits a result with the given number of steps and property rows.
 */
export function embedSnippet(url, title, steps, properties = 0) {
  const height = Math.min(960, 110 + 62 * Math.max(1, steps) + (properties > 0 ? 60 + 40 * properties : 0));
  return `<iframe src="${htmlAttr(url)}" title="${htmlAttr(`httpplay: ${title || 'scenario'}`)}" ` +
    `width="100%" height="${height}" style="border:0" loading="lazy" referrerpolicy="no-referrer"></iframe>\n`;
}

// htmlAttr escapes a value for a double-quoted HTML attribute, so a hostile
// title cannot break out of the snippet pasted into someone's documentation.
function htmlAttr(s) {
  return String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
