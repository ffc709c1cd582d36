// End to end: Debian's Chromium (headless, driven by playwright-core)
// against a real kg-server serving the seed graph and the built explorer
// on a loopback port. Screenshots go to $KG_ARTIFACTS_DIR for people to
// look at. Timings are printed, never asserted (docs/benchmarks.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (tests/CMakeLists.txt sets it)`);
  return value;
};
const SERVER = env('KG_SERVER');
const SEED = env('KG_SEED');
const WEB_DIR = env('KG_WEB_DIR');
const NODE_MODULES = env('KG_WEB_NODE_MODULES');
const ARTIFACTS = env('KG_ARTIFACTS_DIR');
const CHROMIUM = process.env.KG_CHROMIUM || '/usr/bin/chromium';

const require = createRequire(join(NODE_MODULES, '/'));
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

mkdirSync(ARTIFACTS, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'kg-explorer-'));

// A kg-server on 127.0.0.1 port 0; resolves with its HTTP base URL.
async function startServer(name, extraArgs) {
  const portFile = join(scratch, `${name}.port`);
  const child = spawn(SERVER, [
    '--listen=127.0.0.1:0', '--http_listen=127.0.0.1:0', `--http_port_file=${portFile}`,
    `--data_dir=${join(scratch, name)}`, `--seed_file=${SEED}`, `--web_dir=${WEB_DIR}`, ...extraArgs,
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  const deadline = Date.now() + 60000;
  while (!existsSync(portFile) || !readFileSync(portFile, 'utf8').trim()) {
    if (child.exitCode !== null) throw new Error(`kg-server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('kg-server did not write its port file in 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, base: `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}` };
}

// SIGTERM, then the exit: a stopping server still writes (its flush).
function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

async function rpc(base, method, body, headers = {}) {
  const response = await fetch(`${base}/kg.v1.KnowledgeGraph/${method}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

// A hub entity with `count` statements to distinct leaves.
async function makeHub(base, count) {
  await rpc(base, 'WriteStatements', {
    entities: [{ id: 'hub', label: 'Test hub', type: 'Hub' }],
    relations: [{ id: 'links_to', label: 'links to' }],
    documents: [{ id: 'hub_doc', title: 'Hub fixture' }],
    statements: [],
  });
  for (let start = 0; start < count; start += 1000) {
    const entities = [];
    const statements = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      entities.push({ id: `leaf_${i}`, label: `Leaf ${i}`, type: 'Leaf' });
      statements.push({ triple: { subject: { entity: 'hub' }, relation: 'links_to', object: { entity: `leaf_${i}` } },
        provenance: [{ documentId: 'hub_doc', confidence: 0.5 }] });
    }
    await rpc(base, 'WriteStatements', { entities, statements });
  }
}

// A document whose text has characters outside the Basic Multilingual
// Plane before the evidence: kg's offsets count code points, JavaScript's
// strings UTF-16 units, so a page that mixes them marks the wrong text.
const ASTRAL_SENTENCE = 'The rocket 🚀 team said the launch was delayed.';
async function makeAstralDocument(base) {
  const text = `Emoji first: 🚀🛰️🌍 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.\n${ASTRAL_SENTENCE} Nothing else.`;
  const start = Array.from(text.slice(0, text.indexOf(ASTRAL_SENTENCE))).length;
  const end = start + Array.from(ASTRAL_SENTENCE).length;
  const written = await rpc(base, 'WriteStatements', {
    entities: [{ id: 'rocket_team', label: 'Rocket team', type: 'Group' }, { id: 'launch', label: 'the launch', type: 'Event' }],
    relations: [{ id: 'delayed', label: 'delayed' }],
    documents: [{ id: 'astral', title: 'Astral offsets', text }],
    statements: [{ triple: { subject: { entity: 'rocket_team' }, relation: 'delayed', object: { entity: 'launch' } },
      provenance: [{ documentId: 'astral', evidenceStart: start, evidenceEnd: end, evidence: ASTRAL_SENTENCE,
        confidence: 0.9 }] }],
  });
  return written.statementIds[0];
}

const LAUNCH = {
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
};

let server;
let browser;
let deploymentId;
let astralId;
const pageErrors = [];

async function newPage(url) {
  // bypassCSP: axe-core is injected as an inline script, which the page's
  // Content-Security-Policy (rightly) forbids.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
  if (url) {
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 15000 });
  }
  return page;
}

async function shot(page, name) {
  await page.waitForTimeout(400); // the layout's animation
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

const graphHas = (page, id) => page.evaluate((i) => window.kgExplorer.cy.getElementById(i).nonempty(), id);

async function seriousViolations(page) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      target: v.nodes[0] && v.nodes[0].target.join(' ') }));
  });
  if (result.length) console.log('axe:', JSON.stringify(result));
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

describe('explorer', () => {
  before(async () => {
    server = await startServer('seeded', ['--no_auth']);
    await makeHub(server.base, 5000);
    astralId = await makeAstralDocument(server.base);
    const match = await rpc(server.base, 'MatchStatements', {
      subject: { entity: 'north_korea' }, relation: 'deployed_troops_to', object: { entity: 'russia' }, includeQuoted: true,
    });
    deploymentId = match.statements[0].id;
    browser = await chromium.launch(LAUNCH);
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await stopServer(server.child);
    rmSync(scratch, { recursive: true, force: true });
    assert.deepEqual(pageErrors, [], 'no uncaught error in any page');
  });

  test('kg-server serves the page with its security headers', async () => {
    const response = await fetch(`${server.base}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /text\/html/);
    assert.match(response.headers.get('content-security-policy'), /default-src 'self'/);
    assert.match(await response.text(), /<title>kg explorer<\/title>/);
    const bundle = await fetch(`${server.base}/explorer.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type'), /javascript/);
  });

  test('search "Pyongyang", open North Korea, expand, see Russia', async () => {
    const page = await newPage(`${server.base}/`);
    await page.fill('#search-input', 'Pyongyang');
    const option = page.locator('#search-results li[role=option]', { hasText: 'North Korea' }).first();
    await option.waitFor();
    assert.match(await option.textContent(), /alias Pyongyang/);
    await page.keyboard.press('Enter');
    await page.locator('#panel-title', { hasText: 'North Korea' }).waitFor();
    await page.locator('#node-counts', { hasText: 'statements (' }).waitFor();
    await page.click('#expand-button');
    await page.waitForFunction(() => window.kgExplorer.cy.getElementById('e:russia').nonempty());
    await page.locator('#panel ul.stmt-list', { hasText: 'Russia' }).first().waitFor();
    await shot(page, '1-search-expand');
    assert.ok(await graphHas(page, 'e:north_korea'));
    // Another view and back by the Graph tab: the graph is as it was.
    const count = (p) => p.evaluate(() => window.kgExplorer.cy.nodes().length);
    const drawn = await count(page);
    await page.click('nav a[data-view=contested]');
    await page.locator('table tbody tr').first().waitFor();
    await page.click('nav a[data-view=graph]');
    await page.locator('#panel-title', { hasText: 'North Korea' }).waitFor();
    assert.equal(await count(page), drawn);
    assert.ok(await graphHas(page, 'e:russia'));
    // The URL names the view: a fresh page (no shared session) rebuilds it.
    const url = page.url();
    assert.match(url, /open=e%3Anorth_korea|open=e:north_korea/);
    const fresh = await newPage(url);
    await fresh.waitForFunction(() => window.kgExplorer.cy.getElementById('e:russia').nonempty());
    assert.equal(await count(fresh), await count(page));
    await fresh.locator('#panel-title', { hasText: 'North Korea' }).waitFor();
    await shot(fresh, '5-shared-url');
    // A reload loses nothing either.
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    await page.waitForFunction(() => window.kgExplorer.cy.getElementById('e:russia').nonempty());
    assert.equal(await count(page), await count(fresh));
    await page.context().close();
    await fresh.context().close();
  });

  test('the path NIS -> Ukraine with claims walked: three hops, each with its sentence', async () => {
    const page = await newPage(`${server.base}/#view=path&from=nis&to=ukraine&walk=1`);
    const hops = page.locator('ol.hops > li');
    await hops.first().waitFor();
    assert.equal(await hops.count(), 3);
    const sentences = [];
    for (let i = 0; i < 3; i++) {
      const mark = hops.nth(i).locator('blockquote mark');
      await mark.waitFor();
      sentences.push((await mark.textContent()).trim());
    }
    assert.match(sentences[0], /^According to the NIS/);
    assert.ok(sentences.every((s) => s.length > 20), JSON.stringify(sentences));
    assert.match(await hops.nth(0).textContent(), /claimed by National Intelligence Service/);
    // The NIS's "believed" report (confidence 0.7) is the weakest hop.
    assert.equal(await page.locator('ol.hops > li.weakest').count(), 1);
    assert.match(await hops.nth(0).getAttribute('class'), /weakest/);
    await page.waitForTimeout(300);
    await shot(page, '2-path');
    assert.deepEqual(await seriousViolations(page), []);
    // "Paths to here" on another node keeps the last search's other end.
    await page.goto(`${server.base}/#view=graph&open=e:russia&sel=e:russia`);
    await page.locator('#panel-title', { hasText: 'Russia' }).waitFor();
    await page.click('#panel button:has-text("Paths to here")');
    await page.locator('ol.hops > li').first().waitFor();
    const url = new URLSearchParams(new URL(page.url()).hash.slice(1));
    assert.equal(url.get('from'), 'nis');
    assert.equal(url.get('to'), 'russia');
    assert.equal(url.get('walk'), '1');
    await page.context().close();
  });

  test('the deployment statement\'s evidence: the NIS supports, the Kremlin opposes, sentences highlighted', async () => {
    const page = await newPage(`${server.base}/#view=graph&sel=s:${deploymentId}`);
    const supporting = page.locator('section.supporting');
    const opposing = page.locator('section.opposing');
    await supporting.locator('article.claim').first().waitFor();
    const claimBy = (section, who) => section.locator('article.claim', {
      has: page.locator('.who', { hasText: new RegExp(`^${who}$`) }) });
    const nis = claimBy(supporting, 'National Intelligence Service');
    const kremlin = claimBy(opposing, 'Kremlin');
    assert.equal(await nis.count(), 1);
    assert.equal(await kremlin.count(), 1);
    assert.equal(await claimBy(opposing, 'National Intelligence Service').count(), 0);
    assert.equal(await claimBy(supporting, 'Kremlin').count(), 0);
    // The sentence is shown in its paragraph, the sentence itself marked.
    await nis.locator('.meta cite').waitFor();
    assert.match(await nis.locator('mark').textContent(), /^According to the NIS, North Korea is believed/);
    await kremlin.locator('.meta cite').waitFor();
    assert.match(await kremlin.locator('mark').textContent(), /^The Kremlin has specifically rejected/);
    assert.match(await kremlin.locator('blockquote').textContent(), /Both Russia and North Korea have denied/);
    assert.match(await page.locator('#panel .chips').first().textContent(), /contested/);
    await shot(page, '3-evidence');
    assert.deepEqual(await seriousViolations(page), []);
    await page.context().close();
  });

  test('sentences are marked by code points, whatever UTF-16 makes of them', async () => {
    const page = await newPage(`${server.base}/#view=graph&sel=s:${astralId}`);
    const mark = page.locator('#panel .record mark');
    await page.locator('#panel .record .meta cite').waitFor();
    assert.equal(await mark.textContent(), ASTRAL_SENTENCE);
    await page.goto(`${server.base}/#view=doc&id=astral`);
    await page.locator('.doc-text mark').first().waitFor();
    assert.equal(await page.locator('.doc-text mark').textContent(), ASTRAL_SENTENCE);
    await page.context().close();
  });

  test('a hub of 5,000 edges expands one page at a time with "+N more"', async () => {
    const page = await newPage(`${server.base}/#view=graph&open=e:hub&sel=e:hub`);
    await page.locator('#node-counts', { hasText: '5,000 statements' }).waitFor();
    await page.evaluate(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
        .observe({ type: 'longtask', buffered: false });
    });
    const started = Date.now();
    await page.click('#expand-button');
    await page.waitForFunction(() => window.kgExplorer.cy.getElementById('more:e:hub').nonempty());
    const expandMillis = Date.now() - started;
    assert.equal(await page.evaluate(() => window.kgExplorer.cy.getElementById('more:e:hub').data('label')), '+4,950 more');
    assert.equal(await page.evaluate(() => window.kgExplorer.cy.nodes('[kind="entity"]').length), 51);
    // Responsive meanwhile: a round trip through the page's event loop.
    const t = Date.now();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    const frameMillis = Date.now() - t;
    await page.waitForTimeout(500);
    const longest = await page.evaluate(() => Math.max(0, ...window.longTasks));
    console.log(`explorer: hub of 5,000 edges: first page drawn ${expandMillis} ms after the click; ` +
      `next frame ${frameMillis} ms; longest main-thread task ${Math.round(longest)} ms`);
    await shot(page, '4-hub');
    // "+N more" fetches the next page.
    await page.evaluate(() => window.kgExplorer.select('more:e:hub'));
    await page.waitForFunction(() => window.kgExplorer.cy.getElementById('more:e:hub').data('label') === '+4,900 more');
    // Undo takes the page back.
    await page.click('#undo');
    await page.waitForFunction(() => window.kgExplorer.cy.getElementById('more:e:hub').data('label') === '+4,950 more');
    assert.equal(await page.evaluate(() => window.kgExplorer.cy.nodes('[kind="entity"]').length), 51);
    assert.match(decodeURIComponent(page.url()), /exp=e:hub(&|$)/);
    // Pages of 200 until 1,050 leaves are drawn: each stays quick, because
    // new nodes beyond a small neighbourhood are placed in rings, not by
    // the force layout (whose cost grows with the square of the nodes).
    await page.selectOption('#cap', '200');
    let last = 0;
    for (let i = 0; i < 5; i++) {
      await page.evaluate(() => { window.longTasks = []; });
      const t0 = Date.now();
      await page.evaluate(() => window.kgExplorer.expand('e:hub'));
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
      last = Date.now() - t0;
    }
    const leaves = await page.evaluate(() => window.kgExplorer.cy.nodes('[kind="entity"]').length - 1);
    assert.equal(leaves, 1050);
    assert.equal(await page.evaluate(() => window.kgExplorer.cy.getElementById('more:e:hub').data('label')),
      '+3,950 more');
    const longestLate = await page.evaluate(() => Math.max(0, ...window.longTasks));
    console.log(`explorer: the hub's 6th page of 200 (1,050 leaves drawn) took ${last} ms; ` +
      `longest main-thread task ${Math.round(longestLate)} ms`);
    assert.match(decodeURIComponent(page.url()), /cap=200/);
    // Removing the hub forgets its expansion: nothing left to undo, and
    // the address no longer names it.
    await page.evaluate(() => window.kgExplorer.select('e:hub'));
    await page.click('#panel button:has-text("Remove")');
    await page.waitForFunction(() => window.kgExplorer.cy.getElementById('e:hub').empty());
    assert.equal(await page.locator('#undo').isDisabled(), true);
    assert.doesNotMatch(decodeURIComponent(page.url()), /e:hub/);
    await page.context().close();
  });

  test('keyboard only: search, expand, the evidence panel', async () => {
    const page = await newPage(`${server.base}/`);
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'search-input');
    await page.keyboard.type('Pyongyang');
    await page.locator('#search-results li[role=option]', { hasText: 'North Korea' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('#panel-title', { hasText: 'North Korea' }).waitFor();
    // Opening moves the focus to the panel; from there on, Tab.
    await page.waitForFunction(() => document.activeElement.closest('#panel') !== null);
    const tabTo = async (predicate, what, most = 40) => {
      for (let i = 0; i < most; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(predicate)) return;
      }
      assert.fail(`Tab never reached ${what}`);
    };
    await tabTo(() => document.activeElement.id === 'expand-button', 'the Expand button', 3);
    await page.keyboard.press('Enter');
    await page.locator('#panel ul.stmt-list li').first().waitFor();
    // The panel was redrawn; the focus is on its controls, not lost (Expand
    // is disabled once all is drawn, so Collapse has it).
    await page.waitForFunction(() => ['expand-button', 'collapse-button'].includes(document.activeElement.id));
    await tabTo(() => document.activeElement.closest('ul.stmt-list') !== null &&
      /deployed troops to Russia/.test(document.activeElement.textContent), 'the deployment statement');
    await page.keyboard.press('Enter');
    await page.locator('section.supporting article.claim').first().waitFor();
    assert.match(await page.locator('#panel-title').textContent(), /North Korea deployed troops to Russia/);
    await shot(page, '6-keyboard');
    assert.deepEqual(await seriousViolations(page), []);
    await page.context().close();
  });

  test('the views: contested, document reader, claimant, timeline, SPARQL', async () => {
    const page = await newPage(`${server.base}/#view=contested`);
    const row = page.locator('table tbody tr', { hasText: 'North Korea deployed troops to Russia' });
    await row.first().waitFor();
    await shot(page, '7-contested');
    assert.deepEqual(await seriousViolations(page), []);

    await page.goto(`${server.base}/#view=doc&id=seed_article&s=${deploymentId}`);
    await page.locator('.doc-text mark').first().waitFor();
    assert.ok(await page.locator('.doc-text mark').count() >= 10);
    assert.match(await page.locator('#page-view h2').textContent(), /Yoon convenes emergency security meeting/);
    await page.locator('.doc-text mark', { hasText: 'Kremlin has specifically rejected' }).click();
    await page.locator('#panel-title', { hasText: /statements from this sentence|Kremlin/ }).waitFor();
    await shot(page, '8-document');
    assert.deepEqual(await seriousViolations(page), []);

    await page.goto(`${server.base}/#view=claimant&id=kremlin`);
    await page.locator('section.opposing li', { hasText: 'North Korea deployed troops to Russia' }).first().waitFor();
    await shot(page, '9-claimant');

    await page.goto(`${server.base}/#view=timeline&id=${deploymentId}`);
    await page.locator('td.stance-denied').first().waitFor();
    assert.ok(await page.locator('td.stance-asserted').count() >= 1);
    await shot(page, '10-timeline');

    const query = 'PREFIX rel: <https://kg.invalid/relation/>\nSELECT ?who WHERE { ?who rel:denied ?what }';
    await page.goto(`${server.base}/#view=sparql&q=${encodeURIComponent(query)}`);
    await page.locator('#page-view table tbody tr').first().waitFor();
    assert.match(await page.locator('#page-view table').textContent(), /russia/);
    await shot(page, '11-sparql');
    await page.click('text=Explain');
    await page.locator('pre.plan').first().waitFor();
    assert.match(await page.locator('pre.plan').first().textContent(), /bgp/);
    await page.goto(`${server.base}/#view=sparql&q=${encodeURIComponent('CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5')}`);
    await page.locator('#construct-cy canvas').first().waitFor();
    await page.goto(`${server.base}/#view=sparql&q=${encodeURIComponent('SELECT ?x WHERE { ?x }')}`);
    await page.locator('#page-view .error-text', { hasText: 'INVALID_ARGUMENT' }).waitFor();
    await shot(page, '12-sparql-error');
    await page.context().close();
  });

  test('a server that needs a token: the page says so, and a token entered for the session works', async () => {
    const secret = 'explorer-test-token';
    const tokens = join(scratch, 'tokens');
    writeFileSync(tokens, `analyst reader sha256:${createHash('sha256').update(secret).digest('hex')}\n`);
    const secured = await startServer('secured', [`--tokens_file=${tokens}`]);
    try {
      const page = await newPage();
      await page.goto(`${secured.base}/#view=contested`);
      await page.locator('#banner', { hasText: 'needs an access token' }).waitFor();
      await shot(page, '13-token-needed');
      await page.click('#banner button');
      await page.fill('#token-input', secret);
      await page.click('#token-dialog button[value=save]');
      await page.locator('table tbody tr', { hasText: 'North Korea deployed troops to Russia' }).first().waitFor();
      assert.equal(await page.locator('#banner').isHidden(), true);
      // Kept for the session only: not in the URL; another browser
      // session has to be given it again.
      assert.doesNotMatch(page.url(), new RegExp(secret));
      assert.equal(await page.evaluate(() => sessionStorage.getItem('kg.token')), secret);
      const other = await newPage();
      await other.goto(`${secured.base}/#view=contested`);
      await other.locator('#banner', { hasText: 'needs an access token' }).waitFor();
      await other.context().close();
      await page.context().close();
    } finally {
      await stopServer(secured.child);
    }
  });
});
