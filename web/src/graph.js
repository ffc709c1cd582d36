// The exploration canvas: Cytoscape.js on a canvas, so a hub's thousands
// of edges are never all in the DOM, and an expand adds at most one page
// ("Per expand") plus a "+N more" node that fetches the next page.
//
// Drawing: entities are circles coloured by type; a statement that others
// quote is a box of its own, joined to its subject and object by dotted
// part edges; an asserted statement nobody quotes is a plain edge. Claim
// edges (relations with a polarity) are solid green with an arrow when they
// support and dashed red with a bar when they oppose. A contested
// statement's box is a pie of its supporting and opposing claimants.
import cytoscape from 'cytoscape';
import { call } from './api.js';
import {
  contested, hedgeText, keyOf, kindOf, knownStatement, nodeLabel, polarityOf, relationLabel, remember,
  resolveParts, statementText, termOf,
} from './model.js';

const TYPE_COLOURS = ['#3b7dd8', '#8e5bd0', '#2a9d8f', '#d1495b', '#e9a03b', '#5c7a99',
  '#6a994e', '#b5651d', '#c2185b', '#00838f'];
const typeColour = new Map();
function colourFor(type) {
  if (!typeColour.has(type)) typeColour.set(type, TYPE_COLOURS[typeColour.size % TYPE_COLOURS.length]);
  return typeColour.get(type);
}

const STYLE = [
  { selector: 'node', style: {
    label: 'data(label)', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4,
    'text-wrap': 'ellipsis', 'text-max-width': 150, color: '#1b2430',
    'text-background-color': '#fff', 'text-background-opacity': 0.8, 'text-background-padding': 1,
    'min-zoomed-font-size': 5,
  } },
  { selector: 'node[kind="entity"]', style: {
    'background-color': 'data(colour)', width: 26, height: 26, 'border-width': 2, 'border-color': '#fff',
  } },
  { selector: 'node[kind="entity"][?expanded]', style: { 'border-color': '#1b2430', 'border-width': 2.5 } },
  { selector: 'node[kind="statement"]', style: {
    shape: 'round-rectangle', width: 150, height: 34, 'background-color': '#fff7e0',
    'border-width': 1.5, 'border-color': '#8a6d1f', 'text-valign': 'center', 'text-margin-y': 0,
    'text-wrap': 'wrap', 'text-max-width': 142, 'font-size': 9.5, 'text-background-opacity': 0,
  } },
  { selector: 'node[kind="statement"][!asserted]', style: { 'border-style': 'dashed' } },
  { selector: 'node[kind="statement"][?contested]', style: {
    'border-color': '#a65f00', 'border-width': 3, 'border-style': 'double',
    'pie-size': '100%', 'pie-1-background-color': '#d9efe0', 'pie-2-background-color': '#f8dcd9',
    'pie-1-background-size': 'data(pieFor)', 'pie-2-background-size': 'data(pieAgainst)',
  } },
  { selector: 'node[kind="literal"], node[kind="iri"], node[kind="blank"]', style: {
    shape: 'rectangle', width: 18, height: 14, 'background-color': '#c9ced6',
  } },
  { selector: 'node[kind="more"]', style: {
    shape: 'tag', width: 70, height: 22, 'background-color': '#eef1f5', 'border-width': 1,
    'border-style': 'dashed', 'border-color': '#8a94a3', 'text-valign': 'center', 'text-margin-y': 0,
    'font-size': 10, 'font-weight': 600, color: '#1f5fa8', 'text-background-opacity': 0,
  } },
  { selector: 'edge', style: {
    width: 1.6, 'line-color': '#8a94a3', 'target-arrow-color': '#8a94a3', 'target-arrow-shape': 'triangle',
    'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: '#55606e',
    'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.85,
    'min-zoomed-font-size': 8, 'arrow-scale': 0.9,
  } },
  { selector: 'edge[weight]', style: { width: 'data(weight)' } },
  { selector: 'edge[polarity="supports"]', style: {
    'line-color': '#1d7a3a', 'target-arrow-color': '#1d7a3a', 'line-style': 'solid',
    'target-arrow-shape': 'triangle', color: '#14572a',
  } },
  { selector: 'edge[polarity="opposes"]', style: {
    'line-color': '#b3261e', 'target-arrow-color': '#b3261e', 'line-style': 'dashed',
    'line-dash-pattern': [8, 4], 'target-arrow-shape': 'tee', color: '#8c1d17',
  } },
  { selector: 'edge[part]', style: {
    'line-style': 'dotted', width: 1.5, 'target-arrow-shape': 'none', label: 'data(label)',
    'line-color': '#a8b0bb',
  } },
  { selector: 'edge[part="object"]', style: { 'target-arrow-shape': 'triangle', 'target-arrow-color': '#a8b0bb' } },
  { selector: 'edge[?contested]', style: { 'line-color': '#a65f00', 'target-arrow-color': '#a65f00', width: 3 } },
  { selector: 'edge[kind="more"]', style: { 'line-style': 'dashed', 'target-arrow-shape': 'none', label: '' } },
  { selector: ':selected', style: { 'overlay-color': '#f0a500', 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
  { selector: '.faded', style: { opacity: 0.25 } },
];

function bestRecord(s) {
  let best = null;
  for (const p of s.provenance || []) {
    if (p.retractedAt) continue;
    if (!best || (p.confidence ?? 1) > (best.confidence ?? 1)) best = p;
  }
  return best;
}

// A key inside the URL's comma-separated lists: ',', '~' and '%' escaped
// (IRIs and literal keys may hold them).
export function encodeKey(key) {
  return key.replace(/[%,~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function decodeKey(text) {
  return text.replace(/%(25|2C|7E)/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

// Statements of an expanded node not fetched yet. CountStatements counts
// what documents state or claims support; the pages also bring statements
// only quoted by claims, so the pages, not the count, say when it is done.
export function remainingOf(e) {
  if (e.subjectDone && e.objectDone) return 0;
  return Math.max(1, e.total - e.shown);
}

// The most nodes a force layout moves after an expand (see placeNew).
const SMALL_LAYOUT = 80;

export class Explorer {
  constructor(container, { onSelect, onChange, onError }) {
    this.cy = cytoscape({
      container, style: STYLE, minZoom: 0.1, maxZoom: 3,
      textureOnViewport: true, hideEdgesOnViewport: true,
    });
    this.onSelect = onSelect;
    this.onChange = onChange;
    this.onError = onError;
    this.expansions = new Map(); // key -> {pages, shown, tokens, done flags, total}
    this.inflight = new Map(); // key -> the expand in progress
    this.history = []; // per expand: ids added, for undo
    this.filters = { relation: '', type: '', polarity: '' };
    this.cap = 50;
    this.cy.on('tap', 'node, edge', (e) => this.select(e.target.id()));
    this.cy.on('tap', (e) => { if (e.target === this.cy) this.onSelect(null); });
  }

  isEmpty() { return this.cy.nodes().length === 0; }

  // The view's state for the URL: opened nodes and expanded pages, as
  // comma-separated lists of encoded keys (an expanded key ~ its pages).
  state() {
    const opened = this.cy.nodes('[?opened]').map((n) => encodeKey(n.id()));
    const expanded = [...this.expansions].map(([key, e]) =>
      (e.pages > 1 ? `${encodeKey(key)}~${e.pages}` : encodeKey(key)));
    return { opened, expanded };
  }

  // Rebuilds state(); stops early (returning false) once `current()` says
  // a newer view was asked for.
  async restore({ opened = [], expanded = [] }, current = () => true) {
    for (const item of opened) {
      await this.open(decodeKey(item), { silent: true });
      if (!current()) return false;
    }
    for (const item of expanded) {
      const [encoded, pages] = item.split('~');
      const key = decodeKey(encoded);
      await this.open(key, { silent: true, opened: false });
      for (let i = 0; i < (Number(pages) || 1); i++) {
        await this.expand(key, { silent: true });
        if (!current()) return false;
      }
    }
    this.layout(null, true);
    return true;
  }

  clear({ silent = false } = {}) {
    this.cy.elements().remove();
    this.expansions.clear();
    this.history = [];
    if (!silent) this.onChange();
  }

  // Adds a node (an entity or a statement) as the user opened it.
  async open(key, { silent = false, opened = true } = {}) {
    let node = this.cy.getElementById(key);
    if (node.empty()) {
      const term = termOf(key);
      if (key.startsWith('s:')) {
        const s = remember(await call('GetStatement', { statement: term }));
        await resolveParts(s);
        this.addParts(s, []);
      } else {
        const data = key.startsWith('e:')
          ? this.nodeData({ entity: await call('GetEntity', { name: term.entity }) })
          : this.nodeData(term);
        this.cy.add({ group: 'nodes', data, position: this.freePosition() });
      }
      node = this.cy.getElementById(key);
    }
    if (opened) node.data('opened', true);
    if (!silent) {
      this.cy.animate({ center: { eles: node }, zoom: Math.max(this.cy.zoom(), 1) }, { duration: 200 });
      this.select(key);
      this.onChange();
    }
    return node;
  }

  statementOf(key) {
    return this.cy.getElementById(key).data('statement');
  }

  nodeData(node) {
    const key = keyOf(node);
    const kind = kindOf(key);
    const data = { id: key, kind, label: nodeLabel(node) };
    if (node.entity && typeof node.entity === 'object') {
      data.entity = node.entity;
      data.type = node.entity.type || '';
      data.colour = colourFor(data.type);
    }
    if (kind === 'statement') this.statementNodeData(data, node.statementId);
    return data;
  }

  statementNodeData(data, id) {
    const c = contested.get(id);
    data.contested = !!c;
    if (c) {
      // uint32 fields are left out of the JSON when 0.
      const sup = c.supportingClaimants || 0;
      const opp = c.opposingClaimants || 0;
      const total = sup + opp || 1;
      data.pieFor = `${(100 * sup) / total}%`;
      data.pieAgainst = `${(100 * opp) / total}%`;
    }
    return data;
  }

  freePosition(near) {
    if (near) {
      const p = near.position();
      const a = Math.random() * 2 * Math.PI;
      return { x: p.x + 160 * Math.cos(a), y: p.y + 160 * Math.sin(a) };
    }
    const ext = this.cy.extent();
    return { x: (ext.x1 + ext.x2) / 2 + Math.random() * 40, y: (ext.y1 + ext.y2) / 2 + Math.random() * 40 };
  }

  // Adds `node` if missing; returns its key. `added` collects new ids.
  // A quoted statement comes as its box with its parts (one level).
  ensureNode(node, near, added, depth = 0) {
    const key = keyOf(node);
    const known = node.statementId && knownStatement(node.statementId);
    if (known && depth === 0 && this.cy.getElementById(key).empty()) {
      this.addParts(known, added, near, depth + 1);
      return key;
    }
    if (this.cy.getElementById(key).empty()) {
      this.cy.add({ group: 'nodes', data: this.nodeData(node), position: this.freePosition(near) });
      added.push(key);
    }
    return key;
  }

  // A statement as a box with its two part edges.
  addParts(s, added, near, depth = 0) {
    const key = `s:${s.id}`;
    let box = this.cy.getElementById(key);
    if (box.empty()) {
      box = this.cy.add({ group: 'nodes', data: this.nodeData({ statementId: s.id }),
        position: this.freePosition(near) });
      added.push(key);
    }
    box.data({ statement: s, label: statementText(s), asserted: (s.liveProvenance || 0) > 0 });
    // Drawn as a plain edge before anyone quoted it: the box replaces it.
    this.cy.remove(this.cy.getElementById(`st:${s.id}`));
    const sub = this.ensureNode(s.subject, box, added, depth + 1);
    const obj = this.ensureNode(s.object, box, added, depth + 1);
    for (const [end, target, source] of [['subject', sub, null], ['object', null, obj]]) {
      const id = `p:${s.id}:${end}`;
      if (this.cy.getElementById(id).empty()) {
        this.cy.add({ group: 'edges', data: {
          id, source: source ? key : target, target: source ? source : key, part: end,
          label: end === 'object' ? relationLabel(s.relation) : '', statementId: s.id,
        } });
        added.push(id);
      }
    }
  }

  // Draws one statement: a plain edge, or a box when others quote it.
  addStatement(s, near, added) {
    remember(s);
    if ((s.quotedBy || 0) > 0 || (s.liveProvenance || 0) === 0 ||
        !this.cy.getElementById(`s:${s.id}`).empty()) {
      this.addParts(s, added, near);
      return;
    }
    const source = this.ensureNode(s.subject, near, added);
    const target = this.ensureNode(s.object, near, added);
    const id = `st:${s.id}`;
    if (this.cy.getElementById(id).empty()) {
      // The best record's hedge and confidence: in the label when hedged,
      // in the width always.
      const best = bestRecord(s);
      const hedge = best && best.hedge && best.hedge !== 'HEDGE_ASSERTED' ? ` (${hedgeText(best.hedge)})` : '';
      const confidence = best && best.confidence !== undefined ? best.confidence : 1;
      this.cy.add({ group: 'edges', data: {
        id, source, target, label: relationLabel(s.relation) + hedge, statementId: s.id, statement: s,
        polarity: polarityOf(s.relation), contested: contested.has(s.id), weight: 1 + 3 * confidence,
      } });
      added.push(id);
    }
  }

  // Statement counts of a node, before expanding it.
  async counts(key) {
    const term = termOf(key);
    const relation = this.filters.relation || undefined;
    const [asSubject, asObject] = await Promise.all([
      call('CountStatements', { subject: term, relation }),
      call('CountStatements', { object: term, relation }),
    ]);
    // uint64 is a string in JSON, and 0 is left out; below 10,000 the
    // count is exact whatever `exact` says (docs/api.md).
    const count = (r) => Number(r.count || 0);
    const exact = (r) => r.exact || count(r) < 10000;
    return { asSubject: count(asSubject), asObject: count(asObject), exact: exact(asSubject) && exact(asObject) };
  }

  passesFilters(s, otherEnd) {
    if (this.filters.polarity && polarityOf(s.relation) !== this.filters.polarity) return false;
    if (this.filters.type) {
      const t = otherEnd && otherEnd.entity && otherEnd.entity.type;
      if (t !== this.filters.type) return false;
    }
    return true;
  }

  // Adds the next page of a node's statements (as subject, then as object).
  // A second call while one runs for the same node waits for it.
  expand(key, options) {
    if (!this.inflight.has(key)) {
      const run = this.expandPage(key, options || {}).finally(() => this.inflight.delete(key));
      this.inflight.set(key, run);
    }
    return this.inflight.get(key);
  }

  async expandPage(key, { silent = false }) {
    const node = this.cy.getElementById(key);
    if (node.empty()) return null;
    let e = this.expansions.get(key);
    if (!e) {
      const c = await this.counts(key);
      e = { pages: 0, shown: 0, subjectToken: '', objectToken: '', subjectDone: false,
        objectDone: false, total: c.asSubject + c.asObject, exact: c.exact };
      this.expansions.set(key, e);
    }
    if (e.subjectDone && e.objectDone) return e;
    const before = { ...e };
    const started = performance.now();
    const term = termOf(key);
    const added = [];
    // What was added stays undoable even when a page fails half way.
    const entry = { key, added, before };
    this.history.push(entry);
    try {
      await this.fetchPages(key, node, e, term, added);
    } finally {
      if (!added.length && e.pages === before.pages) {
        this.history.splice(this.history.indexOf(entry), 1);
        if (before.pages === 0) this.expansions.delete(key);
      }
      this.onChange();
    }
    e.lastMillis = performance.now() - started;
    if (!silent && added.length) this.placeNew(key, added);
    return e;
  }

  async fetchPages(key, node, e, term, added) {
    let budget = this.cap;
    const relation = this.filters.relation || undefined;
    for (const side of ['subject', 'object']) {
      const doneKey = `${side}Done`;
      const tokenKey = `${side}Token`;
      while (!e[doneKey] && budget > 0) {
        const page = await call('MatchStatements', {
          [side]: term, relation, pageSize: Math.min(budget, 1000), pageToken: e[tokenKey] || undefined,
          includeQuoted: true, includeProvenance: true,
        });
        const found = page.statements || [];
        for (const s of found) {
          e.shown++;
          const other = side === 'subject' ? s.object : s.subject;
          if (!this.passesFilters(s, other)) continue;
          await resolveParts(s);
          this.addStatement(s, node, added);
        }
        budget -= found.length;
        e[tokenKey] = page.nextPageToken || '';
        if (!e[tokenKey]) e[doneKey] = true;
      }
    }
    // A box's own parts come with it.
    if (key.startsWith('s:') && node.data('statement')) this.addParts(node.data('statement'), added, node);
    e.pages++;
    node.data('expanded', true);
    this.updateMore(key, e, added);
  }

  updateMore(key, e, added) {
    const moreId = `more:${key}`;
    const remaining = remainingOf(e);
    let more = this.cy.getElementById(moreId);
    if (remaining === 0 || (e.subjectDone && e.objectDone)) {
      more.remove();
      return;
    }
    const label = `+${remaining.toLocaleString('en')} more`;
    if (more.empty()) {
      more = this.cy.add([
        { group: 'nodes', data: { id: moreId, kind: 'more', label, of: key, remaining },
          position: this.freePosition(this.cy.getElementById(key)) },
        { group: 'edges', data: { id: `me:${key}`, source: key, target: moreId, kind: 'more' } },
      ]);
      added.push(moreId, `me:${key}`);
    } else {
      more.data({ label, remaining });
    }
  }

  // Removes what the last expand added.
  undo() {
    if (this.inflight.size) return; // an expand is still adding
    const last = this.history.pop();
    if (!last) return;
    this.cy.remove(this.cy.collection(last.added.map((id) => this.cy.getElementById(id))));
    if (last.before.pages === 0) {
      this.expansions.delete(last.key);
      this.cy.getElementById(last.key).data('expanded', false);
    } else {
      this.expansions.set(last.key, last.before);
      this.updateMore(last.key, last.before, []);
    }
    this.onChange();
  }

  // Removes the neighbours only this node holds in the graph.
  collapse(key) {
    const node = this.cy.getElementById(key);
    const leaves = node.neighborhood('node').filter((n) => n.degree(false) <= 1 && !n.data('opened'));
    this.forget([key, ...leaves.map((n) => n.id())]);
    this.cy.remove(leaves);
    this.cy.remove(this.cy.getElementById(`more:${key}`));
    node.data('expanded', false);
    this.onChange();
  }

  remove(key) {
    const node = this.cy.getElementById(key);
    this.forget([key]);
    this.cy.remove(node.union(this.cy.getElementById(`more:${key}`)));
    this.onChange();
  }

  // Drops the expansion state and undo entries of `keys`.
  forget(keys) {
    const gone = new Set(keys);
    for (const key of keys) this.expansions.delete(key);
    this.history = this.history.filter((h) => !gone.has(h.key));
  }

  select(id) {
    const el = this.cy.getElementById(id);
    if (el.empty()) return;
    if (el.data('kind') === 'more') {
      this.expand(el.data('of')).catch((error) => this.onError(error));
      return;
    }
    this.mark(id);
    this.onSelect(id, el);
  }

  // Shows `id` as selected, without telling onSelect.
  mark(id) {
    this.cy.elements().unselect();
    this.cy.getElementById(id).select();
  }

  // Where an expand's new nodes go. A force layout costs the square of the
  // nodes it moves per iteration: fine for a small neighbourhood, seconds
  // of frozen page for a hub's thousand (measured: 1,000 neighbours, 9 s).
  // Small: the force layout over the neighbourhood; large: rings around
  // the expanded node, the nodes already drawn left where they are.
  placeNew(key, added) {
    const around = this.cy.getElementById(key).closedNeighborhood();
    if (around.nodes().length <= SMALL_LAYOUT && this.cy.nodes().length <= 4 * SMALL_LAYOUT) {
      this.layout(around);
      return;
    }
    const center = this.cy.getElementById(key).position();
    const fresh = added.map((id) => this.cy.getElementById(id)).filter((el) => el.nonempty() && el.isNode());
    const taken = this.cy.nodes().filter((n) => !fresh.includes(n)).map((n) => n.position());
    const free = (p) => taken.every((q) => Math.abs(p.x - q.x) > 40 || Math.abs(p.y - q.y) > 30);
    let ring = 1;
    let slot = 0;
    let slots = 0;
    let radius = 0;
    const next = () => {
      for (;;) {
        if (slot >= slots) {
          radius = 90 + ring * 80;
          slots = Math.max(8, Math.floor((2 * Math.PI * radius) / 70));
          slot = 0;
          ring += 1;
        }
        const a = (2 * Math.PI * slot) / slots + ring * 0.3;
        slot += 1;
        const p = { x: center.x + radius * Math.cos(a), y: center.y + radius * Math.sin(a) };
        if (free(p)) return p;
      }
    };
    this.cy.batch(() => {
      for (const node of fresh) {
        const p = next();
        node.position(p);
        taken.push(p);
      }
    });
    this.cy.animate({ fit: { eles: this.cy.getElementById(key).closedNeighborhood(), padding: 40 } }, { duration: 200 });
  }

  // Force-directed (cose) for exploration; `around` lays out only a part.
  // A large graph gets concentric rings by degree instead (linear time).
  layout(around, randomize = false) {
    if (!(around && around.length) && this.cy.nodes().length > 4 * SMALL_LAYOUT) {
      this.cy.layout({
        name: 'concentric', concentric: (n) => n.degree(false), levelWidth: () => 2,
        minNodeSpacing: 12, animate: false, fit: true, padding: 30,
      }).run();
      return;
    }
    const part = around && around.length;
    const eles = part ? around.union(around.connectedEdges()) : this.cy.elements();
    const count = eles.nodes().length;
    eles.layout({
      name: 'cose', animate: count < 300 ? 'end' : false, animationDuration: 300,
      randomize: randomize && !part, fit: true, padding: 40,
      nodeRepulsion: () => 120000, idealEdgeLength: () => 90, edgeElasticity: () => 100,
      nodeOverlap: 40, gravity: 0.5, numIter: count > 300 ? 400 : 1500, nodeDimensionsIncludeLabels: true,
      componentSpacing: 80,
      // A few nodes fitted to the canvas would be drawn huge.
      stop: () => { if (this.cy.zoom() > 1.4) { this.cy.zoom(1.4); this.cy.center(); } },
    }).run();
  }

  fit() { this.cy.fit(undefined, 40); }

  resize() { this.cy.resize(); }

  // Statements drawn in the graph that involve `key`.
  statementsAt(key) {
    const node = this.cy.getElementById(key);
    const seen = new Map();
    node.connectedEdges().forEach((edge) => {
      const s = edge.data('statement') ||
        (edge.data('statementId') && this.cy.getElementById(`s:${edge.data('statementId')}`).data('statement'));
      if (s) seen.set(s.id, s);
    });
    if (node.data('statement')) seen.set(node.data('statement').id, node.data('statement'));
    return [...seen.values()];
  }

  // The entity types drawn, for the type filter.
  types() {
    return [...new Set(this.cy.nodes('[kind="entity"]').map((n) => n.data('type')).filter(Boolean))].sort();
  }
}

// A path drawn as a chain, one column per node in hop order.
export function drawPath(container, path, weakestIndex) {
  const elements = [];
  const seen = new Set();
  const addNode = (node) => {
    const key = keyOf(node);
    if (!seen.has(key)) {
      seen.add(key);
      const data = { id: key, kind: kindOf(key), label: nodeLabel(node) };
      if (node.entity) data.colour = colourFor(node.entity.type || '');
      elements.push({ group: 'nodes', data });
    }
    return key;
  };
  (path.hops || []).forEach((hop, i) => {
    const from = addNode(hop.from);
    const to = addNode(hop.to);
    const s = hop.statement || {};
    elements.push({ group: 'edges', data: {
      id: `h${i}`, source: from, target: to,
      label: `${i + 1}. ${hop.kind === 'HOP_KIND_STATEMENT_TO_PART' ? 'part of' :
        hop.kind === 'HOP_KIND_PART_TO_STATEMENT' ? 'quoted in' : relationLabel(s.relation || '')}`,
      polarity: polarityOf(s.relation || ''), contested: !!hop.contested,
    }, classes: i === weakestIndex ? 'weakest' : '' });
  });
  // Left to right in hop order: a chain reads as a sentence.
  const order = [];
  for (const el of elements) if (el.group === 'nodes') order.push(el.data.id);
  const positions = Object.fromEntries(order.map((id, i) => [id, { x: i * 230, y: (i % 2) * 40 }]));
  const cy = cytoscape({
    container, elements, maxZoom: 1.6,
    style: [...STYLE,
      { selector: 'node', style: { 'font-size': 13, 'text-max-width': 200 } },
      { selector: 'node[kind="statement"]', style: { width: 170, height: 44, 'text-max-width': 160, 'font-size': 11 } },
      { selector: 'edge', style: { 'font-size': 11 } },
      { selector: 'edge.weakest', style: { 'line-color': '#a65f00', width: 4, 'line-style': 'dashed',
        'target-arrow-color': '#a65f00', color: '#7a4600', 'font-weight': 700 } }],
    layout: { name: 'preset', positions, fit: true, padding: 40 },
    boxSelectionEnabled: false,
  });
  return cy;
}

// CONSTRUCT results (kg.v1 RdfTriples) as a small graph.
export function drawTriples(container, triples, termLabel) {
  const elements = [];
  const seen = new Set();
  const add = (term) => {
    const id = JSON.stringify(term);
    if (!seen.has(id)) {
      seen.add(id);
      elements.push({ group: 'nodes', data: { id, label: termLabel(term),
        kind: term.triple ? 'statement' : term.iri ? 'entity' : 'literal', colour: '#3b7dd8' } });
    }
    return id;
  };
  triples.forEach((t, i) => {
    elements.push({ group: 'edges', data: { id: `t${i}`, source: add(t.subject), target: add(t.object),
      label: termLabel(t.predicate) } });
  });
  return cytoscape({ container, elements, style: STYLE, layout: { name: 'cose', animate: false, padding: 20 } });
}
