// Browser tests of the playground: headless Chromium against the native
// server, checking that the page shows exactly what the CLI computes, and
// that nothing a scenario or a link contains can run or load anything.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import {
  ARTIFACTS, ROOT, buildBinary, cli, fragmentFor, launchBrowser, startServer, waitForRun, watchPage,
} from './harness.mjs';

let server;
let browser;
let presets;

before(async () => {
  await buildBinary();
  server = await startServer();
  browser = await launchBrowser();
  presets = JSON.parse(await cli('presets', '--format', 'json'));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * open loads the playground (with an optional fragment) and waits for its
 * first run. The draft and layout an earlier test left in this browser's
 * storage are forgotten first, unless keepStorage says otherwise.
 */
async function open(fragment = '', { width = 1280, height = 900, scheme = 'light', keepStorage = false } = {}) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height });
  await page.emulateMedia({ colorScheme: scheme });
  if (!keepStorage) await forgetStorage(page);
  const seen = watchPage(page, server.url.replace(/\/$/, ''));
  await page.goto(server.url + (fragment ? `#${fragment}` : ''));
  await waitForRun(page);
  return { page, seen };
}

// forgetStorage clears this browser's storage for the page's first
// document only: reloads of the same tab keep what the page saved since.
async function forgetStorage(page) {
  await page.addInitScript(() => {
    if (!sessionStorage.getItem('httpplay-test-fresh')) {
      localStorage.clear();
      sessionStorage.setItem('httpplay-test-fresh', '1');
    }
  });
}

async function runs(page) {
  return Number(await page.locator('#matrix').getAttribute('data-runs'));
}

/** edit replaces the scenario text as a user would and waits for the auto-run. */
async function edit(page, text) {
  const n = await runs(page);
  await page.locator('#scenario').fill(text);
  await waitForRun(page, n + 1);
}

function assertClean(seen) {
  assert.deepEqual(seen.dialogs, [], 'no dialog may open');
  assert.deepEqual(seen.errors, [], 'no uncaught error');
  assert.deepEqual(seen.console, [], 'no console error (CSP violations are reported there)');
  assert.deepEqual(seen.foreign, [], 'no request may leave the server');
}

/** cellText returns the visible text of every cell, keyed "row|col". */
async function cellTexts(page) {
  return page.$$eval('#matrix td.cell', (tds) => Object.fromEntries(tds.map((td) => [`${td.dataset.row}|${td.dataset.col}`, td.innerText])));
}

describe('presets', () => {
  test('every preset renders exactly the CLI result', async () => {
    const { page, seen } = await open();
    assert.ok(presets.length > 0, 'the CLI lists presets');
    const options = await page.$$eval('#preset option', (os) => os.map((o) => [o.value, o.textContent]));
    for (const p of presets) assert.ok(options.some(([v, t]) => v === p.name && t === p.title), `picker offers ${p.name}`);
    for (const preset of presets) {
      const want = await cli('run', '--format', 'json', `preset:${preset.name}`);
      const n = await runs(page);
      if ((await page.locator('#preset').inputValue()) !== preset.name) {
        await page.selectOption('#preset', preset.name);
        await waitForRun(page, n + 1);
      }
      assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok', `${preset.name} runs`);
      assert.equal(await page.locator('#scenario').inputValue(), preset.text);
      assert.equal(await page.locator('#preset-description').textContent(), preset.description);
      // Same engine, same bytes: the module's answer is the CLI's answer.
      const got = await page.evaluate((text) => globalThis.httpplay.run(text, '{}'), preset.text);
      assert.equal(got, want, `${preset.name}: wasm JSON equals CLI JSON`);
      const all = await page.evaluate((text) => globalThis.httpplay.run(text, '{"policies":"all"}'), preset.text);
      assert.equal(all, await cli('run', '--format', 'json', '--policies', 'all', `preset:${preset.name}`), `${preset.name}: the same under every policy`);

      const result = JSON.parse(want);
      assert.equal(await page.locator('#matrix-title').textContent(), result.title);
      const heads = await page.$$eval('#matrix thead th[data-col]', (ths) => ths.map((th) => th.dataset.col));
      assert.deepEqual(heads, result.policies, `${preset.name}: columns`);
      const cells = await cellTexts(page);
      result.steps.forEach((step, i) => {
        for (const id of result.policies) {
          const text = cells[`${i}|${id}`];
          const r = step.results[id];
          assert.ok(text !== undefined, `${preset.name}: cell ${i}|${id} exists`);
          if (step.race) {
            for (const o of r.outcomes) {
              assert.ok(text.includes(`×${o.orders}`), `${preset.name} ${i}|${id}: ${text} shows ×${o.orders}`);
              assert.ok(text.replace(/\s+/g, ' ').includes(o.statuses.join(' ')), `${preset.name} ${i}|${id}: ${text} shows ${o.statuses}`);
            }
          } else {
            const flat = text.replace(/\s+/g, ' ');
            assert.ok(flat.startsWith(`${r.status} ${r.reason}`), `${preset.name} ${i}|${id}: "${flat}" starts with ${r.status} ${r.reason}`);
            assert.ok(flat.includes(r.situation), `${preset.name} ${i}|${id}: shows situation ${r.situation}`);
          }
        }
      });
      const differs = await page.$$eval('#matrix tbody tr[data-row]:not([data-row^="prop:"])', (trs) => trs.map((tr) => tr.classList.contains('differs')));
      assert.deepEqual(differs, result.steps.map((s) => new Set(result.policies.map((id) =>
        JSON.stringify(s.race ? s.results[id].outcomes.map((o) => o.statuses).sort() : s.results[id].status))).size > 1),
      `${preset.name}: rows where policies disagree are marked`);
      for (const [id, props] of Object.entries(result.properties || {})) {
        for (const [key, prop] of Object.entries(props)) {
          const text = cells[`prop:${key}|${id}`];
          if (text === undefined) continue; // a property no column can judge is listed once
          const want = prop.value === null ? 'n/a' : prop.value ? 'yes' : 'no';
          assert.ok(text.includes(want), `${preset.name}: ${key} under ${id} is ${want}, shows ${text}`);
        }
      }
    }
    assertClean(seen);
    await page.close();
  });
});

describe('editing', () => {
  test('an edit re-runs the matrix, and Ctrl+Enter runs at once', async () => {
    const { page, seen } = await open();
    await edit(page, '# Edited here\nDELETE /things/1\n');
    assert.equal(await page.locator('#matrix-title').textContent(), 'Edited here');
    const rows = await page.locator('#matrix tbody tr[data-row="0"] td.cell').count();
    assert.ok(rows > 0);
    assert.equal(await page.locator('#matrix tbody tr.request-row').count(), 1);
    assert.match(await page.locator('#matrix td.cell[data-row="0"][data-col="strict"]').innerText(), /^404/);
    assert.equal(await page.locator('#preset').inputValue(), '', 'the picker says the text is no preset');

    const n = await runs(page);
    await page.locator('#scenario').press('End');
    await page.locator('#scenario').pressSequentially('\nDELETE /things/2\n', { delay: 0 });
    await page.keyboard.press('Control+Enter');
    await waitForRun(page, n + 1);
    assert.equal(await page.locator('#matrix tbody tr.request-row').count(), 2);
    assertClean(seen);
    await page.close();
  });

  test('a syntax error shows at its line and column and keeps the last matrix', async () => {
    const { page, seen } = await open();
    const before = await page.locator('#matrix table').innerText();
    await edit(page, '# Broken\n\nGET users\n');
    assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'error');
    assert.match(await page.locator('#editor-status').innerText(), /Line 3, column 5: the path must start with "\/"/);
    assert.deepEqual(await page.$$eval('#gutter .ln.error', (els) => els.map((e) => e.textContent)), ['3']);
    assert.equal(await page.locator('#scenario').getAttribute('aria-invalid'), 'true');
    assert.ok(await page.locator('#highlight .mark-error').isVisible(), 'the error is marked in place');
    assert.equal(await page.locator('#matrix table').innerText(), before, 'the last good matrix stays');
    assert.ok(await page.locator('#matrix-note').isVisible(), 'the matrix says it is the last good one');

    await page.getByRole('button', { name: 'Go to error' }).click();
    const caret = await page.locator('#scenario').evaluate((ta) => ta.selectionStart);
    assert.equal(caret, '# Broken\n\n'.length + 4, 'Go to error puts the caret at line 3, column 5');

    await edit(page, '# Fixed\n\nGET /users\n');
    assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok');
    assert.equal(await page.locator('#gutter .ln.error').count(), 0);
    assert.ok(!(await page.locator('#matrix-note').isVisible()));
    assertClean(seen);
    await page.close();
  });

  test('cells are reachable by keyboard and the details follow', async () => {
    const { page, seen } = await open();
    const first = page.locator('#matrix td.cell[data-row="0"][data-col="strict"]');
    await first.click();
    assert.equal(await first.getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowRight');
    const next = page.locator('#matrix td.cell[data-row="0"][data-col="idempotent"]');
    assert.equal(await next.getAttribute('aria-selected'), 'true');
    assert.ok(await next.evaluate((td) => td === document.activeElement));
    assert.match(await page.locator('#details .policy-id').textContent(), /^idempotent$/);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('#matrix td.cell[data-row="1"][data-col="idempotent"]').getAttribute('aria-selected'), 'true');
    const details = await page.locator('#details').innerText();
    for (const part of ['REQUEST', 'RESPONSE', 'SITUATION', 'DECISION TRACE', 'LINT', 'HTTP/1.1']) {
      assert.ok(details.toUpperCase().includes(part), `details show ${part}`);
    }
    const links = await page.$$eval('#details a[href]', (as) => as.map((a) => a.href));
    assert.ok(links.length > 0 && links.every((h) => h.startsWith('https://')), 'trace cites link to their sources');
    assertClean(seen);
    await page.close();
  });
});

describe('sharing', () => {
  let link;

  test('a permalink opened in a new page reproduces the view', async () => {
    const { page, seen } = await open();
    let n = await runs(page);
    await page.selectOption('#preset', 'delete-twice');
    await waitForRun(page, ++n);
    await page.locator('.chip[data-policy="zalando"]').click();
    await waitForRun(page, ++n);
    await page.locator('.chip[data-policy="see-other"]').click();
    await waitForRun(page, ++n);
    await page.waitForFunction(() => location.hash.startsWith('#z='));
    await page.waitForFunction(() => !document.getElementById('matrix').textContent.includes('see-other'));
    link = page.url();
    const text = await page.locator('#scenario').inputValue();
    const table = await page.locator('#matrix table').innerText();
    assert.ok(table.includes('zalando') && !table.includes('see-other'));

    const other = await browser.context.newPage();
    const seen2 = watchPage(other, server.url.replace(/\/$/, ''));
    await other.goto(link);
    await waitForRun(other);
    assert.equal(await other.locator('#scenario').inputValue(), text);
    assert.equal(await other.locator('#matrix table').innerText(), table);
    assert.equal(await other.locator('#preset').inputValue(), 'delete-twice');
    const pressed = await other.$$eval('.chip[aria-pressed="true"]', (bs) => bs.map((b) => b.dataset.policy));
    assert.ok(pressed.includes('zalando') && !pressed.includes('see-other'));

    // The page's encoder and an independent one agree on the format.
    const policies = await page.$$eval('.chip[aria-pressed="true"]', (bs) => bs.map((b) => b.dataset.policy));
    const third = await browser.context.newPage();
    await third.goto(`${server.url}#${fragmentFor({ text, policies })}`);
    await waitForRun(third);
    assert.equal(await third.locator('#matrix table').innerText(), table);
    assertClean(seen);
    assertClean(seen2);
    await Promise.all([page.close(), other.close(), third.close()]);
  });

  test('the share menu copies the link, the Markdown matrix, curl commands and the embed snippet', async () => {
    const { page, seen } = await open();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
    const labels = { 'copy-link': 'Link', 'copy-markdown': 'Matrix as Markdown', 'copy-curl': 'Scenario as curl', 'copy-embed': 'Embed snippet' };
    const copied = async (action) => {
      await page.locator('#share-button').click();
      await page.locator(`#share-menu button[data-action="${action}"]`).click();
      // The toast names what was copied, so an earlier toast cannot be mistaken for this one.
      await page.waitForFunction((what) => document.getElementById('toast').textContent === `${what} copied to the clipboard.`, labels[action]);
      return page.evaluate(() => navigator.clipboard.readText());
    };
    await page.waitForFunction(() => location.hash.startsWith('#z='));
    assert.equal(await copied('copy-link'), page.url());
    const md = await copied('copy-markdown');
    // The engine's table, byte for byte what the CLI prints.
    const policies = await page.$$eval('.chip[aria-pressed="true"]', (bs) => bs.map((b) => b.dataset.policy));
    assert.equal(md, await cli('run', '--format', 'markdown', '--policies', policies.join(','), `preset:follow-twice`));
    assert.match(md, /\| 18 \| `POST \/users\/alice\/following` ≠ \| 409 Conflict \| 200 OK \|/);
    const curl = await copied('copy-curl');
    assert.ok(curl.includes([
      '# line 14',
      "curl -i \\\n  -X 'POST' \\\n  \"$BASE\"'/users/alice/following' \\\n  -H 'Content-Type: application/json' \\\n  --data-raw '{\"id\": \"bob\"}'",
    ].join('\n')), curl);
    assert.match(curl, /# line 22\ncurl -i \\\n {2}-X 'DELETE' \\\n {2}"\$BASE"'\/users\/alice\/following\/bob'\n/);
    // The same by keyboard: the menu takes focus and the arrows move in it.
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.locator('#share-button').focus();
    await page.keyboard.press('Enter');
    // The popover's toggle event, which moves the focus, is dispatched asynchronously.
    await page.waitForFunction(() => document.activeElement?.dataset.action === 'copy-link');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('toast').textContent === 'Matrix as Markdown copied to the clipboard.');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), md);
    const snippet = await copied('copy-embed');
    assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\.html#z=[\w-]+" title="httpplay: Follow twice, then unfollow twice"/);
    assertClean(seen);
    await page.close();
  });

  test('the embed view renders a compact read-only matrix that links back', async () => {
    assert.ok(link, 'the permalink test ran first');
    const hash = new URL(link).hash;
    const page = await browser.context.newPage();
    const seen = watchPage(page, server.url.replace(/\/$/, ''));
    const res = await page.goto(`${server.url}embed.html${hash}`);
    assert.match(res.headers()['content-security-policy'], /frame-ancestors \*/);
    await page.waitForFunction(() => document.getElementById('embed-matrix').dataset.state === 'ok');
    assert.equal(await page.locator('#embed-title').textContent(), 'DELETE the same resource twice');
    assert.ok(await page.locator('#embed-matrix table.matrix.compact').isVisible());
    assert.equal(await page.locator('#embed-matrix td[tabindex]').count(), 0, 'read-only: no focusable cells');
    assert.equal(await page.locator('#open-playground').getAttribute('href'), `${server.url}${hash}`);
    const index = await page.request.get(server.url);
    assert.equal(index.headers()['x-frame-options'], 'DENY', 'the playground itself refuses framing');
    await page.setViewportSize({ width: 360, height: 640 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'the embed fits a narrow iframe (the matrix scrolls inside)');
    assertClean(seen);
    await page.close();
  });
  test('documentation on another origin can frame the embed view, not the playground', async () => {
    // The host page is served from another port of the loopback address:
    // another origin, but a local one, which Chromium lets frame a local server.
    const docs = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>docs</title>
        <iframe name="embed" src="${server.url}embed.html#preset=delete-twice"></iframe>
        <iframe name="playground" src="${server.url}#preset=delete-twice"></iframe>`);
    });
    await new Promise((ok) => docs.listen(0, '127.0.0.1', ok));
    const page = await browser.context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${docs.address().port}/`);
      const embed = page.frame({ name: 'embed' });
      await embed.waitForFunction(() => document.getElementById('embed-matrix')?.dataset.state === 'ok');
      assert.equal(await embed.locator('#embed-title').textContent(), 'DELETE the same resource twice');
      const playground = page.frame({ name: 'playground' });
      // Wait until the second frame has settled on a document, either the
      // playground (a failure) or the browser's error page for a refusal.
      for (let i = 0; i < 100 && ['', 'about:blank'].includes(playground.url()); i++) await page.waitForTimeout(50);
      assert.match(playground.url(), /^chrome-error:/, 'the playground refuses to be framed');
    } finally {
      await page.close();
      // Chromium keeps a connection to the docs server open, unused, for
      // minutes; close would wait for it.
      docs.closeAllConnections();
      await new Promise((ok) => docs.close(ok));
    }
  });
});

describe('untrusted input', () => {
  const payload = (tag) => `<img src=x onerror="window.__pwned='${tag}'"><script>window.__pwned='${tag}'</script>`;
  const scenarios = {
    title: `# ${payload('title')}\nGET /a\n`,
    path: `# path\nGET /${encodeURIComponent('<svg onload=alert(1)>')}/<svg/onload=alert(2)>\n`,
    header: `# header\nPOST /items\nX-Note: ${payload('header')}\nContent-Type: application/json\n{"id": "x"}\n`,
    body: `# body\nPOST /items\nContent-Type: application/json\n{"id": "1", "name": "${payload('body').replace(/"/g, '\\"')}"}\n`,
    'body not JSON': `# raw\nPOST /items\nContent-Type: text/html\n${payload('raw')}\n`,
    'policy': `# policy\n@policy evil\n{"name": "${payload('policy').replace(/"/g, '\\"')}", "base": "strict", "url": "javascript:alert(3)", ` +
      `"summary": "<iframe src=javascript:alert(4)>"}\n\nDELETE /a/1\n`,
    'error message': `# err\n\nGET <script>alert(5)</script>\n`,
  };

  test('hostile scenarios never run script or load anything', async () => {
    const page = await browser.context.newPage();
    const seen = watchPage(page, server.url.replace(/\/$/, ''));
    for (const [name, text] of Object.entries(scenarios)) {
      await page.goto(`${server.url}#${fragmentFor({ text, policies: ['strict', 'zalando'] })}`);
      await waitForRun(page);
      assert.equal(await page.locator('#scenario').inputValue(), text, `${name}: the text arrives intact`);
      // Select every cell so that every details view is rendered too.
      const count = await page.locator('#matrix td.cell').count();
      for (let i = 0; i < count; i++) await page.locator('#matrix td.cell').nth(i).click();
      const found = await page.evaluate(() => ({
        pwned: window.__pwned ?? null,
        scripts: [...document.scripts].map((s) => s.getAttribute('src')),
        imgs: [...document.images].map((i) => i.getAttribute('src')),
        handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName}[${a.name}]`)),
        injected: document.querySelectorAll('svg, iframe, object, embed, main script, main img').length,
        badLinks: [...document.querySelectorAll('a[href]')].map((a) => a.href).filter((h) => !/^https?:/.test(h)),
      }));
      assert.deepEqual(found, { pwned: null, scripts: ['js/boot.js', 'js/app.js'], imgs: ['favicon.svg'], handlers: [], injected: 0, badLinks: [] }, name);
      if (name === 'title') assert.equal(await page.locator('#matrix-title').textContent(), payload('title'));
      if (name === 'error message') assert.match(await page.locator('#editor-status').innerText(), /Line 3/);
    }
    assertClean(seen);
    await page.close();
  });

  test('hostile permalinks are refused with a notice and the page keeps working', async () => {
    const bomb = deflateRawSync(Buffer.alloc(8 << 20, 0x20)).toString('base64url');
    const links = {
      'not base64': 'z=<script>alert(1)</script>',
      'not deflate': `z=${Buffer.from('hello').toString('base64url')}`,
      'not JSON': `z=${deflateRawSync(Buffer.from('<img src=x onerror=alert(1)>')).toString('base64url')}`,
      'wrong types': fragmentFor({ text: { toString: 1 }, policies: 'strict' }),
      'decompression bomb': `z=${bomb}`,
      'bad policy ids': fragmentFor({ text: 'GET /a\n', policies: ['<img src=x onerror=alert(1)>'] }),
      'bad preset': 'preset=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      'javascript text': fragmentFor({ text: 'javascript:alert(1)', policies: ['strict'] }),
    };
    const page = await browser.context.newPage();
    const seen = watchPage(page, server.url.replace(/\/$/, ''));
    for (const [name, frag] of Object.entries(links)) {
      await page.goto('about:blank');
      await page.goto(`${server.url}#${frag}`);
      await waitForRun(page);
      const notice = page.locator('#notice');
      if (name === 'javascript text') {
        assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'error', 'plain text that is not a scenario is a scenario error');
      } else {
        assert.ok(await notice.isVisible(), `${name}: a notice explains the link was refused`);
        assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok', `${name}: the default scenario still runs`);
      }
      assert.equal(await page.evaluate(() => document.querySelectorAll('main img, main script, main svg').length), 0, name);
    }
    assertClean(seen);
    await page.close();
  });
  test('a link with a huge race is explored only up to the page\'s bound', async () => {
    const clients = Array.from({ length: 6 }, (_, c) =>
      `  client c${c} {\n    POST /b\n    Content-Type: application/json\n    {"slot": "x", "n": ${c}}\n\n    DELETE /b/x\n  }`).join('\n');
    const race = `race {\n${clients}\n}`;
    const text = `# Huge\n@unique /b slot\n\n${[race, race, race, race].join('\n\n')}\n`;
    const { page, seen } = await open(fragmentFor({ text }));
    assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok');
    assert.ok(await page.locator('#matrix .partial').count() > 0, 'races past the bound are marked partial');
    await page.locator('#matrix td.cell.race:has(.partial)').first().click();
    assert.match(await page.locator('#details').innerText(), /exploration stopped at its bound/);
    assertClean(seen);
    await page.close();
  });
});

describe('offline and layout', () => {
  test('offline after load with no request, light and dark', async () => {
    for (const [width, scheme] of [[1280, 'light'], [1280, 'dark']]) {
      const { page, seen } = await open('', { width, scheme });
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
      const loaded = seen.requests.length;
      // Exercise the page offline: presets, chips, details and sharing.
      await browser.context.setOffline(true);
      try {
        let n = await runs(page);
        await page.selectOption('#preset', 'booking-race');
        await waitForRun(page, ++n);
        await page.locator('#chips-all').click();
        await waitForRun(page, ++n);
        await page.locator('#matrix td.cell').first().click();
        await page.selectOption('#preset', 'follow-twice');
        await waitForRun(page, ++n);
        await page.locator('#chips-default').click();
        await waitForRun(page, ++n);
        await page.locator('#share-button').click();
        await page.locator('#share-menu button[data-action="copy-markdown"]').click();
        await page.locator('#toast.show, #copy-dialog[open]').first().waitFor();
        await page.keyboard.press('Escape');
      } finally {
        await browser.context.setOffline(false);
      }
      assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok', 'the page kept working offline');
      assert.equal(seen.requests.length, loaded, `${width} ${scheme}: no network request after load: ${seen.requests.slice(loaded)}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `${width} ${scheme}: nothing overflows the page horizontally`);
      assertClean(seen);
      await page.close();
    }
  });
});

// measure reports, for the page in its current state, what the layout
// tests assert: characters visible per editor line, where the panes are,
// and whether anything overflows the page sideways.
async function measure(page) {
  return page.evaluate(() => {
    const box = (el) => {
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height };
    };
    const ta = document.getElementById('scenario');
    const probe = document.createElement('span');
    probe.className = 'hl-probe';
    probe.textContent = 'x'.repeat(100);
    document.getElementById('highlight').append(probe);
    const cw = probe.getBoundingClientRect().width / 100;
    probe.remove();
    const cs = getComputedStyle(ta);
    const visible = (el) => el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    return {
      vw: innerWidth,
      vh: innerHeight,
      chars: Math.floor((ta.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)) / cw),
      editor: visible(ta) ? box(ta) : null,
      matrix: visible(document.querySelector('#matrix table')) ? box(document.getElementById('matrix')) : null,
      details: visible(document.getElementById('details-pane')) ? box(document.getElementById('details-pane')) : null,
      heading: box(document.getElementById('details-heading')),
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    };
  });
}

function inside(b, m, what, minHeight = 40) {
  assert.ok(b, `${what} is shown`);
  assert.ok(b.top >= 0 && b.left >= 0 && b.bottom <= m.vh + 0.5 && b.right <= m.vw + 0.5 && b.height >= minHeight,
    `${what} lies inside the ${m.vw}×${m.vh} viewport: ${JSON.stringify(b)}`);
}

describe('layout', () => {
  const sizes = [[1280, 800], [1440, 900], [1920, 1080], [390, 844]];
  test('editor, matrix and details on one screen; tabs on phones; light and dark; screenshots', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    for (const [width, height] of sizes) {
      for (const scheme of ['light', 'dark']) {
        const name = `${width}x${height} ${scheme}`;
        const { page, seen } = await open('', { width, height, scheme });
        await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
        const phone = width < 900;
        let m = await measure(page);
        assert.equal(m.overflow, 0, `${name}: nothing overflows the page horizontally`);
        inside(m.matrix, m, `${name}: the matrix`);
        if (phone) {
          assert.equal(await page.locator('#tab-matrix').getAttribute('aria-selected'), 'true', `${name}: the matrix is the first tab`);
          assert.ok(await page.locator('#matrix td.cell').first().evaluate((td) => td.getBoundingClientRect().bottom <= innerHeight), `${name}: cells on the first screen`);
          const chip = await page.locator('.chip').first().boundingBox();
          assert.ok(chip.height >= 44, `${name}: chips are touch-sized (${chip.height} px)`);
          assert.equal(await page.locator('#editor-hint').isVisible(), false, `${name}: no keyboard hints on a phone`);
          await page.locator('#matrix td.cell[data-row="1"][data-col="strict"]').click();
          assert.equal(await page.locator('#tab-details').getAttribute('aria-selected'), 'true', `${name}: a cell opens its details`);
          m = await measure(page);
          inside(m.details, m, `${name}: the details`);
          inside(m.heading, m, `${name}: the details heading`, 10);
          await page.locator('#tab-editor').click();
          m = await measure(page);
          inside(m.editor, m, `${name}: the editor`);
          assert.ok(m.chars >= 40, `${name}: ${m.chars} characters per line in the editor`);
          await page.locator('#tab-matrix').click();
        } else {
          inside(m.editor, m, `${name}: the editor`);
          inside(m.details, m, `${name}: the details`);
          assert.ok(m.chars >= 60, `${name}: ${m.chars} characters per editor line, want at least 60`);
          assert.ok(m.matrix.left >= m.editor.right, `${name}: matrix beside the editor`);
          assert.ok(m.details.top >= m.matrix.bottom, `${name}: details below the matrix`);
          // The last row's cell, once selected, still has its details in view.
          const last = page.locator('#matrix tr.request-row').last().locator('td.cell').last();
          await last.click();
          m = await measure(page);
          inside(m.details, m, `${name}: details after selecting the last cell`);
          inside(m.heading, m, `${name}: the details heading after selecting the last cell`, 10);
          assert.ok(await last.evaluate((td) => {
            const r = td.getBoundingClientRect();
            const w = document.getElementById('matrix').getBoundingClientRect();
            return r.top >= w.top - 1 && r.bottom <= w.bottom + 1;
          }), `${name}: the selected cell is scrolled into the matrix's view`);
          // Column headers stay put while the matrix scrolls.
          const stuck = await page.evaluate(() => {
            const wrap = document.getElementById('matrix');
            wrap.scrollTop = wrap.scrollHeight;
            const th = wrap.querySelector('thead th[data-col]');
            return Math.abs(th.getBoundingClientRect().top - wrap.getBoundingClientRect().top);
          });
          assert.ok(stuck <= 2, `${name}: column headers stay visible while the matrix scrolls (${stuck} px off)`);
          await page.evaluate(() => { document.getElementById('matrix').scrollTop = 0; });
          await page.locator('#matrix td.cell[data-row="1"][data-col="strict"]').click();
        }
        await page.waitForFunction(() => !document.getElementById('toast').classList.contains('show'));
        await page.screenshot({ path: join(ARTIFACTS, `playground-${width}x${height}-${scheme}.png`), animations: 'disabled' });
        // The README's screenshot changes only when asked: a test run must
        // leave the checkout as it found it.
        if (width === 1280 && scheme === 'light' && process.env.UPDATE_SCREENSHOT) {
          await page.screenshot({ path: join(ROOT, 'docs', 'playground.png'), animations: 'disabled' });
        }
        assertClean(seen);
        await page.close();
      }
    }
  });

  test('the splitters resize the panes by pointer and keyboard, and the browser remembers', async () => {
    const { page, seen } = await open('', { width: 1440, height: 900 });
    const editorWidth = () => page.locator('#editor-pane').evaluate((el) => el.getBoundingClientRect().width);
    const matrixHeight = () => page.locator('#matrix-region').evaluate((el) => el.getBoundingClientRect().height);
    const w0 = await editorWidth();
    const split = await page.locator('#split-editor').boundingBox();
    await page.mouse.move(split.x + split.width / 2, split.y + split.height / 2);
    await page.mouse.down();
    await page.mouse.move(split.x + split.width / 2 - 150, split.y + split.height / 2, { steps: 5 });
    await page.mouse.up();
    const w1 = await editorWidth();
    assert.ok(Math.abs(w0 - 150 - w1) <= 4, `dragging 150 px left narrows the editor: ${w0} → ${w1}`);
    const h0 = await matrixHeight();
    await page.locator('#split-details').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const h1 = await matrixHeight();
    assert.ok(h1 > h0 + 20, `the keyboard makes the matrix taller: ${h0} → ${h1}`);
    await page.reload();
    await waitForRun(page);
    assert.ok(Math.abs(await editorWidth() - w1) <= 2, 'the editor width survives a reload');
    assert.ok(Math.abs(await matrixHeight() - h1) <= 2, 'the matrix height survives a reload');
    assertClean(seen);
    await page.close();
  });
});

describe('touch screens', () => {
  test('a tablet gets touch-sized targets and no keyboard hints', async () => {
    const tablet = await launchBrowser({ touch: true });
    try {
      const page = await tablet.context.newPage();
      await page.setViewportSize({ width: 1280, height: 800 });
      const seen = watchPage(page, server.url.replace(/\/$/, ''));
      await page.goto(server.url);
      await waitForRun(page);
      assert.ok(await page.evaluate(() => matchMedia('(pointer: coarse)').matches), 'the emulated screen has a coarse pointer');
      assert.equal(await page.locator('#help-button').isVisible(), false, 'no Keyboard button');
      assert.equal(await page.locator('#editor-hint').isVisible(), false, 'no keyboard hint');
      const heights = await page.$$eval('.chip, #share-button, #compare-button', (els) => els.map((e) => e.getBoundingClientRect().height));
      assert.ok(heights.every((x) => x >= 44), `touch targets are at least 44 px: ${heights}`);
      const m = await measure(page);
      assert.equal(m.overflow, 0);
      inside(m.matrix, m, 'the matrix on a tablet', 10);
      assertClean(seen);
    } finally {
      await tablet.close();
    }
  });
});

describe('nothing lost', () => {
  test('edit, pick a preset, Back restores the edit; Undo too; reload and a new visit keep the draft', async () => {
    const { page, seen } = await open();
    const mine = '# Mine\nDELETE /things/1\n';
    await edit(page, mine);
    await page.waitForFunction(() => location.hash.startsWith('#z='));
    let n = await runs(page);
    await page.selectOption('#preset', 'delete-twice');
    await waitForRun(page, ++n);
    const preset = presets.find((p) => p.name === 'delete-twice');
    assert.equal(await page.locator('#scenario').inputValue(), preset.text);
    await page.waitForFunction(() => document.getElementById('toast-action').textContent === 'Undo');
    await page.waitForFunction((t) => history.length >= 3 && document.getElementById('scenario').value === t, preset.text);

    await page.goBack();
    await page.waitForFunction((t) => document.getElementById('scenario').value === t, mine);
    assert.equal(await page.locator('#matrix-title').textContent(), 'Mine', 'Back runs the restored text');
    await page.goForward();
    await page.waitForFunction((t) => document.getElementById('scenario').value === t, preset.text);
    await page.goBack();
    await page.waitForFunction((t) => document.getElementById('scenario').value === t, mine);

    // The toast's Undo takes a preset back in one step.
    n = await runs(page);
    await page.selectOption('#preset', 'follow-twice');
    await waitForRun(page, ++n);
    await page.locator('#toast-action').click();
    await page.waitForFunction((t) => document.getElementById('scenario').value === t, mine);

    // A change of policies is a step of its own.
    const before = await page.$$eval('.chip[aria-pressed="true"]', (bs) => bs.map((b) => b.dataset.policy));
    n = await runs(page);
    const h0 = await page.evaluate(() => location.hash);
    await page.locator('.chip[data-policy="zalando"]').click();
    await waitForRun(page, ++n);
    await page.waitForFunction((h) => location.hash !== h, h0);
    await page.goBack();
    await page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll('.chip[aria-pressed="true"]')].map((b) => b.dataset.policy)) === want, JSON.stringify(before));

    await page.reload();
    await waitForRun(page);
    assert.equal(await page.locator('#scenario').inputValue(), mine, 'a reload keeps the text');
    // A visit without a link finds the draft, kept in this browser only.
    const other = await browser.context.newPage();
    await other.goto(server.url);
    await waitForRun(other);
    assert.equal(await other.locator('#scenario').inputValue(), mine, 'the draft survives into a new visit');
    assert.equal(await other.evaluate(() => JSON.parse(localStorage.getItem('httpplay:draft')).text), mine);
    assert.ok(seen.requests.every((u) => !u.includes('Mine') && !u.includes('things')), 'the draft is never sent');
    assertClean(seen);
    await Promise.all([page.close(), other.close()]);
  });
});

describe('editor', () => {
  test('highlighting, completion, warnings, and Go to error scrolls sideways', async () => {
    const { page, seen } = await open();
    const kinds = await page.$$eval('#highlight .hl-line', (ls) => ls.slice(0, 16).map((l) => l.className));
    assert.ok(kinds.includes('hl-line k-declaration') && kinds.includes('hl-line k-request') && kinds.includes('hl-line k-header') && kinds.includes('hl-line k-body'));
    for (const cls of ['tok-comment', 'tok-decl', 'tok-method', 'tok-path', 'tok-header', 'tok-key', 'tok-string']) {
      assert.ok(await page.locator(`#highlight .${cls}`).count() > 0, `highlights ${cls}`);
    }
    // The layer shows the same text as the textarea, line for line.
    const same = await page.evaluate(() => [...document.querySelectorAll('#highlight .hl-line')].map((l) => l.textContent.replace(/\u200b/g, '')).join('\n') === document.getElementById('scenario').value);
    assert.ok(same, 'the highlighted layer matches the text');

    await edit(page, '# Completion\nPOST /notes\nContent-Type: application/json\n{}\nlet loc = header Location\n');
    const ta = page.locator('#scenario');
    await ta.press('Control+End');
    await ta.pressSequentially('\nPA', { delay: 0 });
    await page.locator('#completion li', { hasText: 'PATCH' }).waitFor();
    await ta.press('Tab');
    await ta.pressSequentially('{{l', { delay: 0 });
    await page.locator('#completion li', { hasText: '{{loc}}' }).waitFor();
    await ta.press('Enter');
    assert.ok((await ta.inputValue()).endsWith('\nPATCH /{{loc}}'), await ta.inputValue());
    await ta.press('Control+z');
    assert.ok((await ta.inputValue()).endsWith('\nPATCH /{{l'), 'one Ctrl+Z takes a completion back');

    await edit(page, '# Typo\nPSOT /users\n');
    assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok', 'a warning is not an error');
    assert.match(await page.locator('#editor-warnings').innerText(), /PSOT.*Did you mean POST\?/);
    assert.deepEqual(await page.$$eval('#gutter .ln.warn', (e) => e.map((x) => x.textContent)), ['2']);
    assert.equal(await page.locator('#highlight .mark-warn').count(), 1);

    const long = `# Far right\nPOST /a\nContent-Type: application/json\n{}\nlet ${'x'.repeat(90)} = cookie y\n`;
    await edit(page, long);
    const status = await page.locator('#editor-status').innerText();
    const col = Number(/column (\d+)/.exec(status)[1]);
    assert.ok(col > 90, status);
    await page.getByRole('button', { name: 'Go to error' }).click();
    const view = await ta.evaluate((el, c) => {
      const probe = document.createElement('span');
      probe.className = 'hl-probe';
      probe.textContent = 'x'.repeat(100);
      document.getElementById('highlight').append(probe);
      const cw = probe.getBoundingClientRect().width / 100;
      probe.remove();
      const x = parseFloat(getComputedStyle(el).paddingLeft) + (c - 1) * cw - el.scrollLeft;
      return { x, width: el.clientWidth, scrollLeft: el.scrollLeft };
    }, col);
    assert.ok(view.scrollLeft > 0 && view.x >= 0 && view.x <= view.width, `the error column is scrolled into view: ${JSON.stringify(view)}`);
    const mark = await page.locator('#highlight .mark-error').boundingBox();
    const box = await ta.boundingBox();
    assert.ok(mark.x >= box.x && mark.x <= box.x + box.width, 'the error mark is where the caret is');
    await ta.hover({ position: { x: 40, y: 10 + 4 * 20 + 5 } });
    assert.match(await ta.getAttribute('title'), /cookie/, 'hovering the error line shows the message');
    assertClean(seen);
    await page.close();
  });

  test('every example of the syntax reference runs, and Try it loads one as a history step', async () => {
    const { page, seen } = await open();
    await page.locator('#syntax-button').click();
    assert.ok(await page.locator('#syntax-panel').evaluate((d) => d.open));
    const examples = await page.$$eval('#syntax-panel pre.example', (ps) => ps.map((p) => p.textContent));
    assert.ok(examples.length >= 5, 'requests, declarations, captures, races and policies');
    for (const text of examples) {
      const out = await page.evaluate((t) => {
        const r = globalThis.httpplay.run(t, '{}');
        return typeof r === 'string' ? JSON.parse(r) : { error: String(r.message) };
      }, text);
      assert.equal(out.error, undefined, `example runs: ${text.split('\n')[0]}: ${out.error}`);
      assert.ok(out.steps.length > 0);
    }
    const before = await page.locator('#scenario').inputValue();
    const n = await runs(page);
    await page.locator('[data-try="race"]').click();
    await waitForRun(page, n + 1);
    assert.equal(await page.locator('#scenario').inputValue(), examples[3]);
    assert.equal(await page.locator('#matrix tr.race-row').count(), 1);
    await page.goBack();
    await page.waitForFunction((t) => document.getElementById('scenario').value === t, before);
    assertClean(seen);
    await page.close();
  });
});

describe('explain', () => {
  const captures = `# Captures and a race
PUT /docs/1
Content-Type: application/json
{"a": 1}
let v1 = header ETag
let nope = header X-Nothing

GET /docs/{{nope}}

race {
  client ann {
    PUT /docs/1
    If-Match: {{v1}}
    Content-Type: application/json
    {"a": 2}
  }

  client bob {
    PUT /docs/1
    If-Match: {{v1}}
    Content-Type: application/json
    {"a": 3}
  }
}
`;

  test('rows and editor lines point at each other', async () => {
    const { page, seen } = await open(fragmentFor({ text: captures, policies: ['strict', 'idempotent'] }));
    await page.locator('#matrix tbody tr[data-row="1"] th').hover();
    assert.equal(await page.locator('#linked-band').getAttribute('data-from'), '8');
    assert.equal(await page.locator('#linked-band').getAttribute('data-to'), '8');
    assert.ok(await page.locator('#linked-band').isVisible());
    await page.locator('#matrix tbody tr[data-row="2"] th').hover();
    assert.deepEqual([await page.locator('#linked-band').getAttribute('data-from'), await page.locator('#linked-band').getAttribute('data-to')], ['10', '24']);
    assert.deepEqual(await page.$$eval('#gutter .ln.linked', (e) => e.map((x) => Number(x.textContent))), Array.from({ length: 15 }, (_, i) => 10 + i));
    // The other way round: the caret on line 3 marks the first row.
    await page.locator('#scenario').click();
    await page.locator('#scenario').evaluate((ta) => ta.setSelectionRange(ta.value.indexOf('Content-Type'), ta.value.indexOf('Content-Type')));
    await page.locator('#scenario').press('ArrowRight');
    assert.deepEqual(await page.$$eval('#matrix tr.linked', (trs) => trs.map((tr) => tr.dataset.row)), ['0']);
    assertClean(seen);
    await page.close();
  });

  test('race details show each request as sent, and an empty capture is marked', async () => {
    const { page, seen } = await open(fragmentFor({ text: captures, policies: ['strict', 'idempotent'] }));
    assert.match(await page.locator('#matrix tr[data-row="1"] .unfilled-tag').innerText(), /\{\{nope\}\} empty in 2 columns/);
    assert.equal(await page.locator('#matrix tr[data-row="1"] .unfilled-flag').count(), 2);
    assert.match(await page.locator('#editor-warnings').innerText(), /\{\{nope\}\} is empty under strict, idempotent/);
    await page.locator('#matrix td.cell[data-row="1"][data-col="strict"]').click();
    assert.match(await page.locator('#details .unfilled-note').innerText(), /\{\{nope\}\} was empty/);
    assert.match(await page.locator('#details').innerText(), /GET \/docs\/ HTTP\/1\.1/);
    assert.match(await page.locator('#details ol.trace').innerText(), /\{\{nope\}\} is empty: the capture at line 6 found nothing/, 'the trace says why');
    await page.locator('#matrix td.cell[data-row="0"][data-col="strict"]').click();
    assert.match(await page.locator('#details').innerText(), /nope = "" \(header X-Nothing is absent from this response\)/, 'the trace says the capture found nothing');

    await page.locator('#matrix td.cell[data-row="2"][data-col="strict"]').click();
    const details = await page.locator('#details').innerText();
    assert.match(details, /concurrent requests, as sent/i);
    assert.ok(!details.includes('{{v1}}'), 'captures are substituted');
    assert.match(details, /If-Match: "v1"/);
    const outcomes = await page.locator('#details .outcome-details > li').count();
    assert.ok(outcomes >= 1);
    const rows = await page.$$eval('#details table.race-requests tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.innerText.trim())));
    assert.equal(rows.length, 2 * outcomes, 'each raced request, in each outcome');
    for (const r of rows) {
      assert.match(r[1], /^PUT \/docs\/1 If-Match: "v1"$/);
      assert.match(r[2], /^\d{3}$/);
    }
    // Each raced request's response in the example order, in full.
    const first = page.locator('#details .outcome-details > li').first();
    assert.equal(await first.locator('details.race-response').count(), 2, 'both raced requests have their response');
    const status = (await first.locator('table.race-requests tbody tr td:nth-child(3)').first().innerText()).trim();
    await first.locator('details.race-response summary').first().click();
    const shown = await first.locator('details.race-response').first().innerText();
    assert.match(shown, new RegExp(`HTTP/1\\.1 ${status} `), 'the replayed response has the outcome\'s status');
    assert.match(shown, /situation/, 'and its trace');
    assertClean(seen);
    await page.close();
  });

  test('compare two columns side by side, differences highlighted', async () => {
    const { page, seen } = await open();
    const result = JSON.parse(await cli('run', '--format', 'json', 'preset:follow-twice'));
    await page.locator('#compare-button').click();
    await page.selectOption('#compare-a', 'strict');
    await page.selectOption('#compare-b', 'idempotent');
    const want = result.steps.map((s) => s.results.strict.status !== s.results.idempotent.status);
    const got = await page.$$eval('#details .compare-step', (ss) => ss.map((s) => s.classList.contains('differs')));
    assert.deepEqual(got, want);
    assert.equal(await page.locator('#details .compare-step[data-row="1"] .start-line.diff').count(), 2, 'the differing status lines are highlighted');
    assert.equal(await page.locator('#details .compare-step[data-row="0"] .diff').count(), 0, 'nothing is highlighted where the columns agree');
    assert.match(await page.locator('#details-heading').innerText(), /strict and idempotent/);
    assert.match(await page.locator('#details .compare-step[data-row="1"]').innerText(), /409 Conflict[\s\S]*200 OK/);
    const m = await measure(page);
    inside(m.details, m, 'the compare view');
    // Custom policies show their name and summary in the header and details.
    const head = page.locator('#matrix thead th[data-col="asker-401"]');
    const policy = /@policy asker-401\n(\{[\s\S]*?\}\}\})/.exec(presets.find((p) => p.name === 'follow-twice').text);
    const custom = JSON.parse(policy[1]);
    assert.equal(await head.getAttribute('title'), `${custom.name}: ${custom.summary}`);
    assert.equal(await head.locator('.col-name').innerText(), custom.name);
    await page.locator('#matrix td.cell[data-row="1"][data-col="asker-401"]').click();
    assert.equal(await page.locator('#compare-bar').isVisible(), false, 'selecting a cell leaves the compare view');
    assert.equal(await page.locator('#details .policy-summary').innerText(), custom.summary);
    assertClean(seen);
    await page.close();
  });
});

describe('loading', () => {
  test('before the engine is ready: presets come from the server, written text waits, Share works', async () => {
    const page = await browser.context.newPage();
    await forgetStorage(page);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
    const seen = watchPage(page, server.url.replace(/\/$/, ''));
    const posts = [];
    page.on('request', (r) => { if (r.method() !== 'GET') posts.push(`${r.method()} ${r.url()}`); });
    let release;
    const held = new Promise((ok) => { release = ok; });
    await page.route('**/httpplay.wasm', async (route) => {
      await held;
      await route.continue();
    });
    let served;
    try {
      await page.goto(server.url);
      // The default preset's matrix is the server's answer.
      await waitForRun(page);
      assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok');
      assert.match(await page.locator('#editor-status').innerText(), /run by the server while the simulator loads/);
      assert.ok(await page.locator('#preset option').count() > 10, 'the presets are there');
      assert.ok(await page.locator('.chip[data-policy]').count() > 10, 'the chips are there');
      await page.selectOption('#preset', 'delete-twice');
      assert.equal(await page.locator('#scenario').inputValue(), presets.find((p) => p.name === 'delete-twice').text);
      await waitForRun(page, 2);
      assert.equal(await page.locator('#matrix-title').textContent(), 'DELETE the same resource twice');
      served = await page.locator('#matrix').innerHTML();
      // Text the user wrote is not sent anywhere: it waits for the engine.
      await page.locator('#scenario').fill('GET /users/alice\n');
      await page.locator('#scenario').press('Control+Enter');
      assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'loading');
      assert.match(await page.locator('#editor-status').innerText(), /Loading the simulator/);
      await page.locator('#share-button').click();
      await page.locator('#share-menu button[data-action="copy-link"]').click();
      await page.waitForFunction(() => document.getElementById('toast').textContent === 'Link copied to the clipboard.');
      const link = await page.evaluate(() => navigator.clipboard.readText());
      assert.match(link, /#z=[\w-]+$/);
      assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'loading');
    } finally {
      release();
    }
    await waitForRun(page, 3);
    assert.equal(await page.locator('#matrix').getAttribute('data-state'), 'ok');
    assert.doesNotMatch(await page.locator('#editor-status').innerText(), /by the server/);
    // The engine's matrix of the preset is the server's, to the last attribute.
    await page.selectOption('#preset', 'delete-twice');
    await waitForRun(page, 4);
    assert.equal(await page.locator('#matrix').innerHTML(), served);
    assert.deepEqual(posts, [], 'nothing was posted');
    // The first visit's question is boot.js's, under the default policies.
    assert.ok(seen.requests.every((u) => !u.includes('/api/') || /\/api\/presets\/(follow-twice$|delete-twice\?policies=)/.test(u)), seen.requests.join(' '));
    await page.unrouteAll({ behavior: 'wait' });
    assertClean(seen);
    await page.close();
  });
});

describe('embed', () => {
  test('a 600×400 frame on a light page: four columns without sideways scrolling, theme and isolation kept, lint opens', async () => {
    const text = '# Two isolations\n@isolation atomic check-then-act\n@policy gone401\n{"base": "strict", "name": "401 when gone", "rules": {"previously-deleted": {"status": 401}}}\n\n' +
      'PUT /a/1\nContent-Type: application/json\n{}\n\nDELETE /a/1\n\nDELETE /a/1\n\nrace {\n  PUT /a/1\n  Content-Type: application/json\n  {"x": 1}\n\n  DELETE /a/1\n}\n';
    const frag = fragmentFor({ text, policies: ['strict'] });
    const docs = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><meta name="color-scheme" content="light"><title>docs</title><body style="background:#fff">
        <iframe name="light" width="600" height="400" src="${server.url}embed.html#${frag}&theme=light"></iframe>
        <iframe name="dark" width="600" height="400" src="${server.url}embed.html#${frag}&theme=dark&compact"></iframe>
        <iframe name="auto" width="600" height="400" src="${server.url}embed.html#${frag}"></iframe>`);
    });
    await new Promise((ok) => docs.listen(0, '127.0.0.1', ok));
    const page = await browser.context.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await page.goto(`http://127.0.0.1:${docs.address().port}/`);
      const bg = (f) => f.evaluate(() => getComputedStyle(document.body).backgroundColor);
      for (const name of ['light', 'dark', 'auto']) {
        const f = page.frame({ name });
        await f.waitForFunction(() => document.getElementById('embed-matrix')?.dataset.state === 'ok');
        assert.equal(await f.locator('#embed-matrix thead th[data-col]').count(), 4, `${name}: four columns`);
        const over = await f.evaluate(() => ({
          page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          matrix: document.getElementById('embed-matrix').scrollWidth - document.getElementById('embed-matrix').clientWidth,
        }));
        assert.deepEqual(over, { page: 0, matrix: 0 }, `${name}: no horizontal scrolling in a 600 px frame`);
        const kinds = await f.$$eval('#embed-matrix thead .col-kind', (ks) => ks.filter((k) => k.getClientRects().length).map((k) => k.textContent));
        assert.deepEqual(kinds, ['atomic', 'check-then-act', 'atomic', 'check-then-act'], `${name}: isolation labels are shown`);
      }
      assert.equal(await bg(page.frame({ name: 'light' })), 'rgb(255, 255, 255)', 'theme=light wins over a dark system');
      assert.notEqual(await bg(page.frame({ name: 'dark' })), 'rgb(255, 255, 255)', 'theme=dark is dark');
      assert.notEqual(await bg(page.frame({ name: 'auto' })), 'rgb(255, 255, 255)', 'auto follows the (dark) system');
      assert.equal(await page.frame({ name: 'dark' }).locator('#embed-matrix .situation').count(), 0, 'compact leaves the situations out');
      assert.ok(await page.frame({ name: 'light' }).locator('#embed-matrix .situation').count() > 0);
      const lint = page.frame({ name: 'light' }).locator('#embed-matrix details.lint-open').first();
      assert.equal(await lint.locator('ul li').first().isVisible(), false);
      await lint.locator('summary').click();
      assert.match(await lint.locator('ul li').first().innerText(), /WWW-Authenticate/, 'a lint count opens its findings');
      await page.screenshot({ path: join(ARTIFACTS, 'embed-frames.png'), fullPage: true });
    } finally {
      await page.close();
      // Chromium keeps a connection to the docs server open, unused, for
      // minutes; close would wait for it.
      docs.closeAllConnections();
      await new Promise((ok) => docs.close(ok));
    }
  });
});
