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
  ARTIFACTS, buildBinary, cli, fragmentFor, launchBrowser, startServer, waitForRun, watchPage,
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

/** open loads the playground (with an optional fragment) and waits for its first run. */
async function open(fragment = '', { width = 1280, scheme = 'light' } = {}) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height: 900 });
  await page.emulateMedia({ colorScheme: scheme });
  const seen = watchPage(page, server.url.replace(/\/$/, ''));
  await page.goto(server.url + (fragment ? `#${fragment}` : ''));
  await waitForRun(page);
  return { page, seen };
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
    assert.ok(await page.locator('#error-mark').isVisible(), 'the error line is marked');
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
    assert.match(md, /^\*\*Follow twice, then unfollow twice\*\*\n\n\| Line \| Request \| strict \|/);
    assert.match(md, /\| 18 \| POST \/users\/alice\/following \| 409 Conflict \| 200 OK \|/);
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
      assert.deepEqual(found, { pwned: null, scripts: ['js/boot.js', 'wasm_exec.js', 'js/app.js'], imgs: ['favicon.svg'], handlers: [], injected: 0, badLinks: [] }, name);
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
  test('offline after load with no request, light and dark, 1280 and 360 px, screenshots', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    for (const [width, scheme] of [[1280, 'light'], [1280, 'dark'], [360, 'light'], [360, 'dark']]) {
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
      await page.locator('#matrix td.cell[data-row="1"][data-col="strict"]').click();
      await page.waitForFunction(() => !document.getElementById('toast').classList.contains('show'));
      await page.screenshot({ path: join(ARTIFACTS, `playground-${width}-${scheme}.png`), fullPage: true, animations: 'disabled' });
      if (width === 1280 && scheme === 'light') await page.screenshot({ path: join(ARTIFACTS, 'playground.png'), fullPage: true, animations: 'disabled' });
      assertClean(seen);
      await page.close();
    }
  });
});
