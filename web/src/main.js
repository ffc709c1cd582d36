// The explorer's shell: search, the URL as the whole view state, the side
// panel, and which page shows. Everything on screen is named by the
// address (#view=graph&open=e:nis&exp=e:north_korea&sel=s:…), so a copied
// link or a reload reproduces it.
//
// Renders are asynchronous; each writes into a container of its own, so
// one that finishes late writes into a container no longer on the page
// instead of over a newer view.
import { call, onAuthNeeded, setToken, token } from './api.js';
import { button, clear, errorBox, h, link } from './dom.js';
import { showWhy } from './evidence.js';
import { encodeKey, Explorer, remainingOf } from './graph.js';
import { loadVocabulary, relationLabel, relations, remember, resolveParts, statementText } from './model.js';
import {
  claimantView, contestedView, documentReader, documentsView, pathView, sparqlView, timelineView,
} from './views.js';

const $ = (id) => document.getElementById(id);
const panel = $('panel');
const pageView = $('page-view');
const graphView = $('graph-view');

// A fresh container in the panel: what a stale render writes is detached.
function panelSlot() {
  const slot = h('div', {});
  clear(panel, slot);
  return slot;
}

// ---- The URL ---------------------------------------------------------------

function params() {
  return new URLSearchParams(location.hash.slice(1));
}

function hashOf(values) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return `#${p.toString()}`;
}

// The graph's own parameters: what is drawn, and how expands draw.
const GRAPH_PARAMS = ['open', 'exp', 'cap', 'rel', 'type', 'pol'];
let lastGraphHash = '';
let restoring = false;

// Records the graph's state in the address without a history entry.
function saveGraphState() {
  if (restoring || (params().get('view') || 'graph') !== 'graph') return;
  const p = Object.fromEntries(params());
  const { opened, expanded } = explorer.state();
  Object.assign(p, {
    view: 'graph', open: opened.join(','), exp: expanded.join(','),
    cap: explorer.cap === 50 ? '' : String(explorer.cap), rel: explorer.filters.relation,
    type: explorer.filters.type, pol: explorer.filters.polarity,
  });
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

let pendingFocus = null;

const nav = {
  // A new view; the panel's selection goes along unless `values` says.
  go(values, { focus } = {}) {
    const next = { ...values };
    if (next.sel === undefined) next.sel = params().get('sel') || '';
    pendingFocus = focus || null;
    location.hash = hashOf(next);
  },
  statement(id) { showStatement(id); },
  openInGraph(key) {
    const p = graphParams();
    const open = new Set((p.open || '').split(',').filter(Boolean));
    open.add(encodeKey(key));
    pendingFocus = 'panel-title';
    location.hash = hashOf({ ...p, view: 'graph', open: [...open].join(','), sel: key });
  },
  documentSpan(statements) {
    if (statements.length === 1) { showStatement(statements[0].id); return; }
    clear(panelSlot(), h('h2', { id: 'panel-title', tabindex: -1 }, `${statements.length} statements from this sentence`),
      h('ul', { class: 'stmt-list' }, statements.map((s) => h('li', {}, link(statementText(s), () => showStatement(s.id))))));
    focusPanel();
  },
};

// The parameters of the last path search (its ends and filters).
function lastPath() {
  const kept = sessionStorage.getItem('kg.lastPath');
  return kept ? JSON.parse(kept) : {};
}

function graphParams() {
  return Object.fromEntries(new URLSearchParams((lastGraphHash || '#view=graph').slice(1)));
}

function focusPanel() {
  const title = $('panel-title');
  (title || panel).focus();
}

const handlers = {
  onClaimant: (id) => nav.go({ view: 'claimant', id }),
  onStatement: (id) => showStatement(id),
  onDocument: (id, statementId) => nav.go({ view: 'doc', id, s: statementId || '' }),
  onShowInGraph: (id) => nav.openInGraph(`s:${id}`),
  onTimeline: (id) => nav.go({ view: 'timeline', id }),
};

async function showStatement(id, { focus = true } = {}) {
  setParam('sel', `s:${id}`);
  await showWhy(panelSlot(), id, handlers);
  if (focus) focusPanel();
}

// ---- The graph -----------------------------------------------------------------

const explorer = new Explorer($('cy'), {
  onSelect: (id, el) => selectElement(id, el),
  onChange: () => {
    $('graph-empty').hidden = !explorer.isEmpty();
    $('undo').disabled = explorer.history.length === 0;
    refreshTypes();
    saveGraphState();
  },
  onError: (error) => showBanner(`${error.code || 'ERROR'}: ${error.message}`, true),
});
window.kgExplorer = explorer; // for tests and the console

function refreshTypes() {
  const select = $('filter-type');
  const wanted = explorer.filters.type;
  const types = explorer.types();
  if (wanted && !types.includes(wanted)) types.push(wanted);
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join('\n') === types.join('\n')) return;
  clear(select, h('option', { value: '' }, 'any'), types.map((t) => h('option', { value: t }, t)));
  select.value = wanted;
}

function selectElement(id, el) {
  if (!id) return;
  const statementId = el && (el.data('statementId') || (el.data('statement') && el.data('statement').id));
  if (el && el.isEdge() && statementId) { showStatement(statementId); return; }
  if (id.startsWith('s:')) { showStatement(id.slice(2)); return; }
  setParam('sel', id);
  showNode(id, { focus: true });
}

// The panel of an entity (or any node): counts before expanding, the
// actions, and what is drawn at it, so the keyboard reaches all of it.
async function showNode(key, { focus = false, focusId = null } = {}) {
  const slot = panelSlot();
  const node = explorer.cy.getElementById(key);
  const e = explorer.expansions.get(key);
  const title = node.nonempty() ? node.data('label') : key.slice(2);
  const entity = node.nonempty() && node.data('entity');
  const counts = h('p', { class: 'meta', id: 'node-counts' }, 'Counting statements…');
  const remaining = e ? remainingOf(e) : 0;
  const label = !e ? 'Expand'
    : remaining > 0 ? `Expand next ${Math.min(explorer.cap, remaining)} (+${remaining.toLocaleString('en')} more)`
      : 'Expanded';
  const act = (fn, id) => async () => {
    try {
      await fn();
    } catch (err) {
      slot.append(errorBox(err));
      return;
    }
    showNode(key, { focusId: id });
  };
  const drawn = explorer.statementsAt(key);
  for (const s of drawn) await resolveParts(s);
  const neighbours = node.nonempty()
    ? node.neighborhood('node').filter((n) => n.data('kind') !== 'more').map((n) => ({ id: n.id(), label: n.data('label') }))
    : [];
  clear(slot,
    h('h2', { id: 'panel-title', tabindex: -1 }, title),
    entity ? h('div', { class: 'chips' },
      entity.type ? h('span', { class: 'chip' }, entity.type) : null,
      (entity.aliases || []).map((a) => h('span', { class: 'chip' }, `aka ${a}`))) : null,
    counts,
    h('div', { class: 'actions' },
      button(label, act(() => explorer.expand(key), 'expand-button'),
        { id: 'expand-button', disabled: e && remaining === 0 }),
      e ? button('Collapse', act(() => explorer.collapse(key), 'collapse-button'), { class: 'ghost', id: 'collapse-button' }) : null,
      button('Remove', () => { explorer.remove(key); setParam('sel', ''); showWelcome(); }, { class: 'ghost' }),
      // The other end comes from the last path search, so two clicks on
      // two nodes make a path search.
      entity ? button('Paths from here', () => nav.go({ ...lastPath(), view: 'path', from: entity.id }), { class: 'ghost' }) : null,
      entity ? button('Paths to here', () => nav.go({ ...lastPath(), view: 'path', to: entity.id }), { class: 'ghost' }) : null,
      entity ? button('Claimant page', () => nav.go({ view: 'claimant', id: entity.id }), { class: 'ghost' }) : null),
    h('h3', {}, `Statements drawn here (${drawn.length})`),
    drawn.length ? h('ul', { class: 'stmt-list', 'aria-label': 'Statements drawn at this node' },
      drawn.map((s) => h('li', {}, link(statementText(s), () => showStatement(s.id)))))
      : h('p', { class: 'meta' }, 'Expand to draw its statements.'),
    neighbours.length ? [
      h('h3', {}, `Neighbours (${neighbours.length})`),
      h('ul', { class: 'stmt-list', 'aria-label': 'Neighbours in the graph' },
        neighbours.map((n) => h('li', {}, link(n.label, () => explorer.select(n.id))))),
    ] : null,
    h('p', { class: 'meta' }, key));
  // Back on the control that was used; once everything is drawn, Expand
  // is disabled and the focus goes to Collapse.
  const target = focusId && [$(focusId), $('collapse-button')].find((b) => b && !b.disabled);
  if (target) target.focus();
  else if (focus || focusId) focusPanel();
  try {
    const c = e ? null : await explorer.counts(key);
    const total = e ? e.total : c.asSubject + c.asObject;
    const n = (x) => x.toLocaleString('en');
    clear(counts, e && remaining > 0 ? `${n(total)} statements; ${n(e.shown)} drawn`
      : e && e.shown > total ? `All ${n(e.shown)} statements drawn (${n(total)} stated or supported, ` +
        `${n(e.shown - total)} only quoted by claims)`
      : e ? `All ${n(e.shown)} statements drawn`
      : `${total.toLocaleString('en')} statements (${c.asSubject.toLocaleString('en')} as subject, ` +
        `${c.asObject.toLocaleString('en')} as object)${c.exact ? '' : ', estimated'}` +
        (total > explorer.cap ? `; an expand draws ${explorer.cap} at a time` : ''));
  } catch (err) {
    clear(counts, errorBox(err));
  }
}

$('cap').addEventListener('change', (e) => { explorer.cap = Number(e.target.value); saveGraphState(); });
$('filter-relation').addEventListener('change', (e) => { explorer.filters.relation = e.target.value; saveGraphState(); });
$('filter-type').addEventListener('change', (e) => { explorer.filters.type = e.target.value; saveGraphState(); });
$('filter-polarity').addEventListener('change', (e) => { explorer.filters.polarity = e.target.value; saveGraphState(); });
$('undo').addEventListener('click', () => explorer.undo());
$('relayout').addEventListener('click', () => explorer.layout());
$('fit').addEventListener('click', () => explorer.fit());
$('clear').addEventListener('click', () => { explorer.clear(); setParam('sel', ''); showWelcome(); });
$('skip-link').addEventListener('click', (e) => { e.preventDefault(); $('stage').focus(); });

// Applies the URL's cap and filters to the explorer and the toolbar.
function applyGraphOptions(p) {
  explorer.cap = Number(p.get('cap')) || 50;
  explorer.filters = { relation: p.get('rel') || '', type: p.get('type') || '', polarity: p.get('pol') || '' };
  $('cap').value = String(explorer.cap);
  $('filter-relation').value = explorer.filters.relation;
  $('filter-polarity').value = explorer.filters.polarity;
  refreshTypes();
}

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
      documentsCache || (documentsCache = call('ListDocuments', { pageSize: 1000 })
        .catch((e) => { documentsCache = null; throw e; })),
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
  if (active >= 0) input.setAttribute('aria-activedescendant', `search-item-${active}`);
  else input.removeAttribute('aria-activedescendant');
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
  documentsCache = null;
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

let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  const current = () => seq === renderSeq;
  let p = params();
  const view = VIEWS[p.get('view')] ? p.get('view') : 'graph';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === view || (a.dataset.view === 'documents' && view === 'doc')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `kg explorer · ${view}`;
  if (view === 'graph') {
    // The Graph tab (#view=graph) returns to the graph as it was.
    if (!GRAPH_PARAMS.some((k) => p.has(k)) && lastGraphHash) {
      const back = Object.fromEntries(new URLSearchParams(lastGraphHash.slice(1)));
      back.sel = p.get('sel') || back.sel || '';
      history.replaceState(null, '', hashOf(back));
      p = params();
    }
    pageView.hidden = true;
    graphView.hidden = false;
    explorer.resize();
    if (location.hash !== lastGraphHash) await restoreGraph(p, current);
    if (!current()) return;
  } else {
    if (view === 'path') {
      const { sel: _sel, ...search } = Object.fromEntries(p);
      sessionStorage.setItem('kg.lastPath', JSON.stringify(search));
    }
    graphView.hidden = true;
    pageView.hidden = false;
    const root = h('div', {});
    clear(pageView, root);
    await VIEWS[view](root, p, nav);
    if (!current()) return;
  }
  // The selection named by the address; the focus moves only when the
  // user asked for this view (pendingFocus), not on a load or reload.
  const sel = p.get('sel');
  if (view === 'graph' && sel) explorer.mark(sel);
  if (sel && sel.startsWith('s:')) await showStatement(sel.slice(2), { focus: false });
  else if (sel && view === 'graph') await showNode(sel);
  else if (!sel) showWelcome();
  if (!current()) return;
  if (pendingFocus && $(pendingFocus)) $(pendingFocus).focus();
  pendingFocus = null;
}

// Rebuilds the graph the address names, unless it is already drawn.
async function restoreGraph(p, current) {
  applyGraphOptions(p);
  const split = (name) => (p.get(name) || '').split(',').filter(Boolean);
  const wanted = { opened: split('open'), expanded: split('exp') };
  const have = explorer.state();
  if (wanted.opened.join() !== have.opened.join() || wanted.expanded.join() !== have.expanded.join()) {
    restoring = true;
    try {
      explorer.clear({ silent: true });
      const done = await explorer.restore(wanted, current);
      if (!done) return;
      // A link to a statement's evidence shows the statement too.
      const sel = p.get('sel');
      if (explorer.isEmpty() && sel && sel.startsWith('s:')) {
        await explorer.open(sel, { silent: true });
        explorer.layout(null, true);
      }
    } catch (e) {
      showBanner(`Could not draw all of the graph: ${e.code || ''} ${e.message}`, true);
    } finally {
      restoring = false;
    }
  }
  if (!current()) return;
  lastGraphHash = location.hash;
  explorer.onChange();
}

function showWelcome() {
  clear(panelSlot(),
    h('h2', { id: 'panel-title', tabindex: -1 }, 'Who says what, and how things connect'),
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
