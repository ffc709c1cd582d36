// The explorer's shell: search, the URL as the whole view state, the side
// panel, and which page shows. Everything on screen is named by the
// address (#view=graph&open=e:nis&exp=e:north_korea&sel=s:…), so a copied
// link or a reload reproduces it.
import { call, onAuthNeeded, setToken, token } from './api.js';
import { button, clear, errorBox, h, link } from './dom.js';
import { showWhy } from './evidence.js';
import { Explorer } from './graph.js';
import { loadVocabulary, nodeLabel, relationLabel, relations, remember, resolveParts, statementText } from './model.js';
import {
  claimantView, contestedView, documentReader, documentsView, pathView, sparqlView, timelineView,
} from './views.js';

const $ = (id) => document.getElementById(id);
const panel = $('panel');
const pageView = $('page-view');
const graphView = $('graph-view');

// ---- The URL ---------------------------------------------------------------

function params() {
  return new URLSearchParams(location.hash.slice(1));
}

function hashOf(values) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return `#${p.toString()}`;
}

// Records the graph's state without a new history entry.
function saveGraphState() {
  if ((params().get('view') || 'graph') !== 'graph') return;
  const p = Object.fromEntries(params());
  const { opened, expanded } = explorer.state();
  p.view = 'graph';
  p.open = opened.join(',');
  p.exp = expanded.join(',');
  const next = hashOf(p);
  if (next !== location.hash) history.replaceState(null, '', next);
  lastGraphHash = next;
}

function setParam(name, value) {
  const p = Object.fromEntries(params());
  p[name] = value;
  history.replaceState(null, '', hashOf(p));
  if ((p.view || 'graph') === 'graph') lastGraphHash = location.hash;
}

// ---- Navigation --------------------------------------------------------------

const nav = {
  go(values) { location.hash = hashOf(values); },
  statement(id) { showStatement(id); },
  openInGraph(key) {
    const p = graphParams();
    const open = new Set((p.open || '').split(',').filter(Boolean));
    open.add(key);
    location.hash = hashOf({ ...p, view: 'graph', open: [...open].join(','), sel: key });
  },
  documentSpan(statements) {
    if (statements.length === 1) { showStatement(statements[0].id); return; }
    clear(panel, h('h2', { id: 'panel-title' }, `${statements.length} statements from this sentence`),
      h('ul', { class: 'stmt-list' }, statements.map((s) => h('li', {}, link(statementText(s), () => showStatement(s.id))))));
    panel.focus();
  },
};

function graphParams() {
  return Object.fromEntries(new URLSearchParams((lastGraphHash || '#view=graph').slice(1)));
}

const handlers = {
  onClaimant: (id) => nav.go({ view: 'claimant', id }),
  onStatement: (id) => showStatement(id),
  onDocument: (id, statementId) => nav.go({ view: 'doc', id, s: statementId || '' }),
  onShowInGraph: (id) => nav.openInGraph(`s:${id}`),
  onTimeline: (id) => nav.go({ view: 'timeline', id }),
};

async function showStatement(id) {
  setParam('sel', `s:${id}`);
  await showWhy(panel, id, handlers);
  panel.focus();
}

// ---- The graph -----------------------------------------------------------------

let lastGraphHash = '';
const explorer = new Explorer($('cy'), {
  onSelect: (id, el) => selectElement(id, el),
  onChange: () => {
    $('graph-empty').hidden = !explorer.isEmpty();
    $('undo').disabled = explorer.history.length === 0;
    refreshTypes();
    saveGraphState();
  },
});
window.kgExplorer = explorer; // for tests and the console

function refreshTypes() {
  const select = $('filter-type');
  const current = select.value;
  const types = explorer.types();
  if (select.options.length - 1 === types.length) return;
  clear(select, h('option', { value: '' }, 'any'), types.map((t) => h('option', { value: t, selected: t === current }, t)));
}

function selectElement(id, el) {
  if (!id) return;
  const statementId = el && (el.data('statementId') || (el.data('statement') && el.data('statement').id));
  if (el && el.isEdge() && statementId) { showStatement(statementId); return; }
  if (id.startsWith('s:')) { showStatement(id.slice(2)); return; }
  setParam('sel', id);
  showNode(id);
}

async function showNode(key) {
  const node = explorer.cy.getElementById(key);
  const e = explorer.expansions.get(key);
  const title = node.nonempty() ? node.data('label') : key.slice(2);
  const entity = node.nonempty() && node.data('entity');
  const counts = h('p', { class: 'meta', id: 'node-counts' }, 'Counting statements…');
  const remaining = e ? Math.max(0, e.total - e.shown) : 0;
  const label = !e ? 'Expand'
    : remaining > 0 ? `Expand next ${Math.min(explorer.cap, remaining)} (+${remaining.toLocaleString('en')} more)`
      : 'Expanded';
  const expandButton = button(label, async () => {
    expandButton.disabled = true;
    try {
      await explorer.expand(key);
    } catch (err) {
      panel.append(errorBox(err));
    }
    showNode(key);
  }, { id: 'expand-button' });
  const drawn = explorer.statementsAt(key);
  for (const s of drawn) await resolveParts(s);
  clear(panel,
    h('h2', { id: 'panel-title' }, title),
    entity ? h('div', { class: 'chips' },
      entity.type ? h('span', { class: 'chip' }, entity.type) : null,
      (entity.aliases || []).map((a) => h('span', { class: 'chip' }, `aka ${a}`))) : null,
    counts,
    h('div', { class: 'actions' },
      expandButton,
      e ? button('Collapse', () => { explorer.collapse(key); showNode(key); }, { class: 'ghost' }) : null,
      button('Remove', () => { explorer.remove(key); clear(panel); }, { class: 'ghost' }),
      entity ? button('Paths from here', () => nav.go({ view: 'path', from: entity.id }), { class: 'ghost' }) : null,
      entity ? button('Claimant page', () => nav.go({ view: 'claimant', id: entity.id }), { class: 'ghost' }) : null),
    h('h3', {}, `In the graph (${drawn.length})`),
    drawn.length ? h('ul', { class: 'stmt-list', 'aria-label': 'Statements drawn at this node' },
      drawn.map((s) => h('li', {}, link(statementText(s), () => showStatement(s.id)))))
      : h('p', { class: 'meta' }, 'Expand to draw its statements.'),
    h('p', { class: 'meta' }, key));
  try {
    const c = e ? { asSubject: null, total: e.total } : await explorer.counts(key);
    const total = e ? e.total : c.asSubject + c.asObject;
    const shown = e ? e.shown : 0;
    clear(counts, e
      ? `${total.toLocaleString('en')} statements; ${shown.toLocaleString('en')} drawn` +
        (e.quotedOnly ? `, and ${e.quotedOnly} only quoted by claims` : '')
      : `${total.toLocaleString('en')} statements (${c.asSubject.toLocaleString('en')} as subject, ` +
        `${c.asObject.toLocaleString('en')} as object)${c.exact ? '' : ', estimated'}` +
        (total > explorer.cap ? `; an expand draws ${explorer.cap} at a time` : ''));
    if (e && e.subjectDone && e.objectDone) expandButton.disabled = true;
  } catch (err) {
    clear(counts, errorBox(err));
  }
}

$('cap').addEventListener('change', (e) => { explorer.cap = Number(e.target.value); });
$('filter-relation').addEventListener('change', (e) => { explorer.filters.relation = e.target.value; });
$('filter-type').addEventListener('change', (e) => { explorer.filters.type = e.target.value; });
$('filter-polarity').addEventListener('change', (e) => { explorer.filters.polarity = e.target.value; });
$('undo').addEventListener('click', () => explorer.undo());
$('relayout').addEventListener('click', () => explorer.layout());
$('fit').addEventListener('click', () => explorer.fit());
$('clear').addEventListener('click', () => { explorer.clear(); clear(panel); setParam('sel', ''); });

// ---- Search ----------------------------------------------------------------------

const input = $('search-input');
const results = $('search-results');
let items = [];
let active = -1;
let searchSeq = 0;
let documentsCache = null;

async function search(text) {
  const seq = ++searchSeq;
  const q = text.trim();
  if (!q) { closeResults(); return; }
  const found = [];
  try {
    const [entities, docs] = await Promise.all([
      call('SearchEntities', { prefix: q, pageSize: 8 }),
      documentsCache || (documentsCache = call('ListDocuments', { pageSize: 1000 })),
    ]);
    for (const e of entities.entities || []) {
      const alias = (e.aliases || []).find((a) => a.toLowerCase().startsWith(q.toLowerCase()));
      found.push({ kind: 'entity', label: e.label || e.id, sub: alias && alias !== e.label ? `alias ${alias}` : e.type || '',
        go: () => nav.openInGraph(`e:${e.id}`) });
    }
    const top = (entities.entities || [])[0];
    if (top) {
      const page = await call('MatchStatements', { subject: { entity: top.id }, pageSize: 3 });
      for (const s of page.statements || []) {
        remember(s);
        await resolveParts(s);
        found.push({ kind: 'statement', label: statementText(s), sub: '', go: () => showStatement(s.id) });
      }
    }
    if (/^s[0-9a-f]{32}$/.test(q)) {
      found.push({ kind: 'statement', label: q, sub: 'by id', go: () => showStatement(q) });
    }
    const lower = q.toLowerCase();
    for (const d of (docs.documents || []).filter((d) =>
      (d.title || '').toLowerCase().includes(lower) || d.id.toLowerCase().startsWith(lower)).slice(0, 5)) {
      found.push({ kind: 'document', label: d.title || d.id, sub: d.published || '', go: () => nav.go({ view: 'doc', id: d.id }) });
    }
  } catch (e) {
    if (seq === searchSeq) showResults([{ kind: 'error', label: `${e.code}: ${e.message}`, sub: '', go: null }]);
    return;
  }
  if (seq === searchSeq) showResults(found);
}

function showResults(list) {
  items = list;
  active = list.length ? 0 : -1;
  clear(results, list.length ? list.map((item, i) => h('li', {
    id: `search-item-${i}`, role: 'option', 'aria-selected': i === active ? 'true' : 'false',
    onmousedown: (e) => { e.preventDefault(); choose(i); },
  }, h('span', { class: 'kind' }, item.kind), h('span', {}, item.label), item.sub ? h('span', { class: 'sub' }, item.sub) : null))
    : h('li', { class: 'none', role: 'option', 'aria-disabled': 'true' }, 'Nothing found'));
  results.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  input.setAttribute('aria-activedescendant', active >= 0 ? `search-item-${active}` : '');
}

function closeResults() {
  results.hidden = true;
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
}

function choose(i) {
  const item = items[i];
  if (!item || !item.go) return;
  closeResults();
  item.go();
}

let searchTimer;
input.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search(input.value), 120);
});
input.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    if (!items.length) return;
    active = (active + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
    [...results.children].forEach((li, i) => li.setAttribute('aria-selected', i === active ? 'true' : 'false'));
    input.setAttribute('aria-activedescendant', `search-item-${active}`);
  } else if (e.key === 'Enter') {
    e.preventDefault();
    if (!results.hidden && items.length) choose(Math.max(active, 0));
    else search(input.value);
  } else if (e.key === 'Escape') {
    closeResults();
  }
});
input.addEventListener('blur', () => setTimeout(closeResults, 150));
document.addEventListener('keydown', (e) => {
  if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement.tagName)) {
    e.preventDefault();
    input.focus();
  }
});

// ---- Auth --------------------------------------------------------------------------

const banner = $('banner');
function showBanner(message, isError, action) {
  clear(banner, message, action ? [' ', action] : null);
  banner.className = isError ? 'error' : '';
  banner.hidden = false;
}

onAuthNeeded((error) => {
  const enter = button('Enter a token', () => openTokenDialog());
  if (error.httpStatus === 401) {
    showBanner(token() ? `The server refused the token (${error.message}).`
      : 'This server needs an access token.', true, enter);
  } else {
    showBanner(`Not allowed with this token: ${error.message}`, true, enter);
  }
});

function openTokenDialog() {
  const dialog = $('token-dialog');
  $('token-input').value = token();
  dialog.showModal();
}
$('token-button').addEventListener('click', openTokenDialog);
$('token-dialog').addEventListener('close', () => {
  const dialog = $('token-dialog');
  if (dialog.returnValue === 'save') setToken($('token-input').value.trim());
  else if (dialog.returnValue === 'clear') setToken('');
  else return;
  banner.hidden = true;
  start();
});

// ---- Views ------------------------------------------------------------------------------

const VIEWS = {
  path: pathView,
  contested: contestedView,
  documents: documentsView,
  doc: documentReader,
  claimant: claimantView,
  timeline: timelineView,
  sparql: sparqlView,
};

async function render() {
  const p = params();
  const view = p.get('view') || 'graph';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === view || (a.dataset.view === 'documents' && view === 'doc')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `kg explorer · ${view}`;
  if (view === 'graph') {
    pageView.hidden = true;
    graphView.hidden = false;
    explorer.resize();
    if (location.hash !== lastGraphHash) {
      const wanted = { opened: (p.get('open') || '').split(',').filter(Boolean),
        expanded: (p.get('exp') || '').split(',').filter(Boolean) };
      const have = explorer.state();
      if (wanted.opened.join() !== have.opened.join() || wanted.expanded.join() !== have.expanded.join()) {
        explorer.clear();
        try {
          await explorer.restore(wanted);
        } catch (e) {
          showBanner(`Could not restore the graph: ${e.code || ''} ${e.message}`, true);
        }
      }
      // A link to a statement's evidence shows the statement too.
      const sel = p.get('sel');
      if (explorer.isEmpty() && sel && sel.startsWith('s:')) {
        try {
          await explorer.open(sel, { silent: true });
          explorer.layout(null, true);
        } catch (_) {
          // The panel says what is wrong with it.
        }
      }
      lastGraphHash = location.hash;
      saveGraphState();
      explorer.onChange();
    }
  } else {
    graphView.hidden = true;
    pageView.hidden = false;
    await VIEWS[view](pageView, p, nav);
  }
  const sel = p.get('sel');
  if (sel) {
    if (view === 'graph' && explorer.cy.getElementById(sel).nonempty()) explorer.select(sel);
    else if (sel.startsWith('s:')) showWhy(panel, sel.slice(2), handlers);
    else if (view === 'graph') showNode(sel);
  } else {
    showWelcome();
  }
}

function showWelcome() {
  clear(panel,
    h('h2', { id: 'panel-title' }, 'Who says what, and how things connect'),
    h('p', {}, 'Search for an entity (', h('kbd', {}, '/'), ' focuses the box), open it, and expand its neighbours. ',
      'Select a statement to see its evidence: the supporting and opposing claims, each with its sentence.'),
    h('ul', {},
      h('li', {}, link('Contested statements', () => nav.go({ view: 'contested' }))),
      h('li', {}, link('Paths: how is the NIS connected to Ukraine?', () =>
        nav.go({ view: 'path', from: 'nis', to: 'ukraine', walk: '1' }))),
      h('li', {}, link('Documents', () => nav.go({ view: 'documents' }))),
      h('li', {}, link('SPARQL', () => nav.go({ view: 'sparql' })))));
}

async function start() {
  try {
    await loadVocabulary();
  } catch (e) {
    if (e.httpStatus !== 401 && e.httpStatus !== 403) showBanner(`kg-server: ${e.code}: ${e.message}`, true);
    return;
  }
  clear($('filter-relation'), h('option', { value: '' }, 'any'),
    [...relations.values()].sort((a, b) => relationLabel(a.id).localeCompare(relationLabel(b.id)))
      .map((r) => h('option', { value: r.id }, relationLabel(r.id))));
  lastGraphHash = '';
  await render();
}

window.addEventListener('hashchange', () => render());
window.kgReady = start().then(() => { document.body.dataset.ready = '1'; });
