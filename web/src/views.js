// The pages beside the graph: paths, the contested list, documents and
// the document reader, a claimant's page, a statement's timeline, and the
// SPARQL editor. Each renders into `root` from its URL parameters and
// reports what the user opens through `nav` (main.js).
import { call, stream } from './api.js';
import { button, clear, errorBox, h, link } from './dom.js';
import { sentenceInContext, confidence } from './evidence.js';
import { drawPath, drawTriples } from './graph.js';
import {
  contested, documentWithText, hedgeText, nodeLabel, relationLabel, relations, remember,
  resolveParts, statementText, toUtf16Offsets,
} from './model.js';

function statementLink(s, nav) {
  return link(statementText(s), () => nav.statement(s.id));
}

// ---- Paths ----------------------------------------------------------------

const MODES = { shortest: 'PATH_MODE_SHORTEST', k: 'PATH_MODE_K_SHORTEST', all: 'PATH_MODE_ALL_SIMPLE' };

// The hop with the weakest evidence: the lowest best confidence (unset
// means 1; a hop without any record counts as 0).
export function weakestHop(path) {
  let weakest = -1;
  let lowest = Infinity;
  (path.hops || []).forEach((hop, i) => {
    const best = hop.summary && hop.summary.best;
    const c = !best ? 0 : best.confidence !== undefined ? best.confidence : 1;
    if (c < lowest) { lowest = c; weakest = i; }
  });
  return weakest;
}

function hopClaimant(hop) {
  const s = hop.statement;
  if (!s) return '';
  const r = relations.get(s.relation);
  if (r && (r.polarity === 'POLARITY_SUPPORTS' || r.polarity === 'POLARITY_OPPOSES')) return nodeLabel(s.subject);
  return '';
}

export async function pathView(root, params, nav) {
  const p = (name, fallback = '') => params.get(name) ?? fallback;
  const field = (label, input) => h('label', {}, label, input);
  const form = h('form', { class: 'path-form', 'aria-label': 'Path search' },
    field('From', h('input', { type: 'text', name: 'from', value: p('from'), required: true, list: 'path-names' })),
    field('To', h('input', { type: 'text', name: 'to', value: p('to'), required: true, list: 'path-names' })),
    field('Mode', h('select', { name: 'mode' },
      ['shortest', 'k', 'all'].map((m) => h('option', { value: m, selected: p('mode', 'shortest') === m },
        { shortest: 'shortest', k: 'k shortest', all: 'all simple' }[m])))),
    field('k / limit', h('input', { type: 'number', name: 'k', min: 1, max: 100, value: p('k', '3') })),
    field('Max hops', h('input', { type: 'number', name: 'hops', min: 1, max: 12, value: p('hops', '4') })),
    field('Direction', h('select', { name: 'dir' },
      [['both', 'both'], ['out', 'outgoing'], ['in', 'incoming']].map(([v, l]) =>
        h('option', { value: v, selected: p('dir', 'both') === v }, l)))),
    field('Min confidence', h('input', { type: 'number', name: 'minconf', min: 0, max: 1, step: 0.05, value: p('minconf', '0') })),
    field('Only relations', h('input', { type: 'text', name: 'rel', value: p('rel'), placeholder: 'a,b' })),
    field('Not relations', h('input', { type: 'text', name: 'xrel', value: p('xrel'), placeholder: 'a,b' })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'walk', checked: p('walk', '1') === '1' }), 'walk claims'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'opposed', checked: p('opposed') === '1' }), 'through opposed'),
    h('button', { type: 'submit' }, 'Find paths'));
  const names = h('datalist', { id: 'path-names' });
  const out = h('div', { id: 'path-result', 'aria-live': 'polite' });
  clear(root, h('h2', {}, 'Paths'), form, names, out);
  form.elements.from.addEventListener('input', (e) => suggest(e.target.value, names));
  form.elements.to.addEventListener('input', (e) => suggest(e.target.value, names));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = form.elements;
    nav.go({ view: 'path', from: f.from.value.trim(), to: f.to.value.trim(), mode: f.mode.value,
      k: f.k.value, hops: f.hops.value, dir: f.dir.value, minconf: f.minconf.value, rel: f.rel.value,
      xrel: f.xrel.value, walk: f.walk.checked ? '1' : '0', opposed: f.opposed.checked ? '1' : '' });
  });
  if (!p('from') || !p('to')) {
    out.append(h('p', { class: 'meta' }, 'Type two names (labels, aliases or ids), e.g. NIS and Ukraine.'));
    return;
  }
  out.append(h('p', { class: 'meta' }, 'Searching…'));
  const list = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
  const mode = p('mode', 'shortest');
  const options = {
    mode: MODES[mode], maxHops: Number(p('hops', '4')), walkClaims: p('walk', '1') === '1',
    direction: { both: 'DIRECTION_BOTH', out: 'DIRECTION_OUTGOING', in: 'DIRECTION_INCOMING' }[p('dir', 'both')],
    minConfidence: Number(p('minconf', '0')) || undefined, includeOpposed: p('opposed') === '1',
    allowedRelations: list(p('rel')), excludedRelations: list(p('xrel')),
  };
  if (mode === 'k') options.k = Number(p('k', '3'));
  if (mode === 'all') options.limit = Number(p('k', '3'));
  let messages;
  try {
    messages = await stream('FindPaths', { from: { entity: p('from') }, to: { entity: p('to') }, options });
  } catch (e) {
    clear(out, errorBox(e));
    return;
  }
  const paths = messages.filter((m) => m.path && (m.path.hops || []).length).map((m) => m.path);
  const summary = messages.find((m) => m.summary);
  for (const path of paths) for (const hop of path.hops || []) { remember(hop.statement); await resolveParts(hop.statement); }
  if (!paths.length) {
    clear(out, h('p', {}, `No path of at most ${options.maxHops} hops`,
      summary && summary.summary.budgetExhausted ? ' (the search budget ran out)' : '', '.'));
    return;
  }
  const chosen = Math.min(Number(p('p', '0')) || 0, paths.length - 1);
  const path = paths[chosen];
  const weakest = weakestHop(path);
  const canvas = h('div', { id: 'path-cy', role: 'img', 'aria-label': 'The chosen path as a chain' });
  clear(out,
    h('p', { class: 'meta' }, `${paths.length} path(s)`,
      summary ? `, ${summary.summary.expandedEdges} edges expanded` : ''),
    paths.length > 1 ? h('div', { class: 'path-list', role: 'group', 'aria-label': 'Paths found' },
      paths.map((x, i) => button(`Path ${i + 1} · ${x.hops.length} hops`,
        () => nav.go({ ...Object.fromEntries(params), p: String(i) }),
        { class: 'ghost', 'aria-pressed': i === chosen ? 'true' : 'false' }))) : null,
    canvas,
    h('ol', { class: 'hops', 'aria-label': 'Hops' }, path.hops.map((hop, i) => hopView(hop, i === weakest, nav))));
  drawPath(canvas, path, weakest);
}

function hopView(hop, weakest, nav) {
  const s = hop.statement || {};
  const best = hop.summary && hop.summary.best;
  const claimant = hopClaimant(hop);
  const how = hop.kind === 'HOP_KIND_STATEMENT_TO_PART' ? 'is part of what the statement says'
    : hop.kind === 'HOP_KIND_PART_TO_STATEMENT' ? 'is quoted in' : relationLabel(s.relation || '');
  const li = h('li', { class: weakest ? 'weakest' : '' },
    h('div', { class: 'hop-head' }, nodeLabel(hop.from), ' → ', nodeLabel(hop.to)),
    h('div', { class: 'chips' },
      h('span', { class: 'chip' }, how),
      hop.contested ? h('span', { class: 'chip contested' }, 'contested') : null,
      claimant ? h('span', { class: 'chip support' }, `claimed by ${claimant}`) : null,
      weakest ? h('span', { class: 'chip contested' }, 'weakest hop') : null,
      best ? h('span', { class: 'chip' }, hedgeText(best.hedge)) : null,
      best ? confidence(best.confidence) : null),
    s.id ? h('div', {}, 'Statement: ', link(statementText(s), () => nav.statement(s.id))) : null);
  if (best && best.evidence) {
    const quote = h('blockquote', {}, h('mark', {}, best.evidence));
    li.append(quote);
    documentWithText(best.documentId).then((doc) => {
      if (doc.text && best.evidenceEnd) quote.replaceWith(sentenceInContext(doc.text, best.evidenceStart || 0, best.evidenceEnd));
      li.append(h('div', { class: 'meta' }, doc.title || doc.id, doc.published ? ` · ${doc.published}` : ''));
    }).catch(() => {});
  }
  return li;
}

async function suggest(prefix, datalist) {
  if (prefix.length < 2) return;
  try {
    const r = await call('SearchEntities', { prefix, pageSize: 8 });
    clear(datalist, (r.entities || []).map((e) => h('option', { value: e.id }, e.label)));
  } catch (_) {
    // Suggestions are a convenience.
  }
}

// ---- Contested ------------------------------------------------------------

export async function contestedView(root, params, nav) {
  clear(root, h('h2', {}, 'Contested statements'), h('p', { class: 'meta' }, 'Loading…'));
  const related = params.get('related') === '1';
  let r;
  try {
    r = await call('ListContested', { pageSize: 500, includeRelated: related });
  } catch (e) {
    root.append(errorBox(e));
    return;
  }
  const rows = r.statements || [];
  for (const c of rows) { remember(c.statement); await resolveParts(c.statement); }
  clear(root,
    h('h2', {}, 'Contested statements'),
    h('p', { class: 'meta' }, 'Statements with claimants on both sides. ',
      h('label', {}, h('input', { type: 'checkbox', checked: related, id: 'contested-related',
        onchange: (e) => nav.go({ view: 'contested', related: e.target.checked ? '1' : '' }, { focus: 'contested-related' }) }),
      ' count claims on related statements (entailment)')),
    rows.length ? h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Statement'), h('th', { class: 'num' }, 'For'),
        h('th', { class: 'num' }, 'Against'), h('th', {}, h('span', { class: 'visually-hidden' }, 'Timeline')))),
      h('tbody', {}, rows.map((c) => h('tr', {},
        h('td', {}, statementLink(c.statement, nav)),
        h('td', { class: 'num' }, c.supportingClaimants || 0),
        h('td', { class: 'num' }, c.opposingClaimants || 0),
        h('td', {}, link('timeline', () => nav.go({ view: 'timeline', id: c.statement.id }))))))) 
      : h('p', {}, 'Nothing is contested.'),
    r.nextPageToken ? h('p', { class: 'meta' }, `The first ${rows.length} are shown; kgctl contested lists them all.`) : null);
}

// ---- Documents ------------------------------------------------------------

export async function documentsView(root, params, nav) {
  clear(root, h('h2', {}, 'Documents'));
  const r = { documents: [] };
  let more = false;
  try {
    let token = '';
    let pages = 0;
    do {
      const page = await call('ListDocuments', { pageSize: 1000, pageToken: token || undefined });
      r.documents.push(...(page.documents || []));
      token = page.nextPageToken;
    } while (token && ++pages < 10);
    more = !!token;
  } catch (e) {
    root.append(errorBox(e));
    return;
  }
  if (more) root.append(h('p', { class: 'meta' }, `The first ${r.documents.length} documents; search finds others by title.`));
  root.append(h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, 'Title'), h('th', {}, 'Publisher'), h('th', {}, 'Published'))),
    h('tbody', {}, (r.documents || []).map((d) => h('tr', {},
      h('td', {}, link(d.title || d.id, () => nav.go({ view: 'doc', id: d.id }))),
      h('td', {}, d.publisher || ''), h('td', {}, d.published || ''))))));
}

// The document's text with every sentence that yields a statement marked,
// in text order; a mark opens its statements' evidence.
export async function documentReader(root, params, nav) {
  const id = params.get('id');
  clear(root, h('p', { class: 'meta' }, 'Loading…'));
  let doc;
  const records = [];
  try {
    doc = await documentWithText(id);
    let token = '';
    do {
      const page = await call('ListByDocument', { documentId: id, pageSize: 500, pageToken: token || undefined });
      for (const sp of page.statements || []) {
        remember(sp.statement);
        await resolveParts(sp.statement);
        for (const p of sp.provenance || []) records.push({ s: sp.statement, p });
      }
      token = page.nextPageToken;
    } while (token);
  } catch (e) {
    clear(root, h('h2', {}, 'Document'), errorBox(e));
    return;
  }
  const text = doc.text || '';
  const offsets = toUtf16Offsets(text);
  const last = offsets.length - 1;
  // Spans by their (code point) range; several statements share a sentence.
  const spans = new Map();
  for (const { s, p } of records) {
    if (!p.evidenceEnd) continue;
    const k = `${p.evidenceStart || 0}:${p.evidenceEnd}`;
    if (!spans.has(k)) spans.set(k, { start: p.evidenceStart || 0, end: p.evidenceEnd, statements: [] });
    spans.get(k).statements.push(s);
  }
  const ordered = [...spans.values()].sort((a, b) => a.start - b.start || b.end - a.end);
  // Nested or overlapping ranges join the one they start in.
  const merged = [];
  for (const span of ordered) {
    const top = merged[merged.length - 1];
    if (top && span.start < top.end) {
      top.end = Math.max(top.end, span.end);
      top.statements.push(...span.statements);
    } else merged.push({ ...span, statements: [...span.statements] });
  }
  const active = params.get('s');
  const body = h('div', { class: 'doc-text' });
  let paragraph = h('p', {});
  let cursor = 0;
  const pushText = (from, to) => {
    const chunk = text.slice(from, to).split('\n');
    chunk.forEach((part, i) => {
      if (i > 0) { body.append(paragraph); paragraph = h('p', {}); }
      if (part) paragraph.append(part);
    });
  };
  merged.forEach((span, i) => {
    const s = offsets[Math.min(span.start, last)];
    const e = offsets[Math.min(span.end, last)];
    pushText(cursor, s);
    const names = span.statements.map((x) => statementText(x));
    const mark = h('mark', {
      tabindex: 0, role: 'button', class: span.statements.some((x) => x.id === active) ? 'active' : '',
      title: names.join('\n'),
      onclick: () => nav.documentSpan(span.statements),
      onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); nav.documentSpan(span.statements); } },
    }, text.slice(s, e));
    paragraph.append(mark);
    cursor = e;
  });
  pushText(cursor, text.length);
  body.append(paragraph);
  const inOrder = [];
  const seen = new Set();
  for (const span of merged) for (const s of span.statements) if (!seen.has(s.id)) { seen.add(s.id); inOrder.push(s); }
  clear(root,
    h('h2', {}, doc.title || doc.id),
    h('p', { class: 'meta' }, [doc.publisher, doc.published].filter(Boolean).join(' · '),
      ` — ${inOrder.length} statements from ${merged.length} marked passages`),
    body,
    h('h3', {}, 'Statements in text order'),
    h('ol', { class: 'stmt-list' }, inOrder.map((s) => h('li', {}, statementLink(s, nav)))));
  const activeMark = body.querySelector('mark.active');
  if (activeMark) activeMark.scrollIntoView({ block: 'center' });
}

// ---- Claimant -------------------------------------------------------------

export async function claimantView(root, params, nav) {
  const id = params.get('id');
  clear(root, h('p', { class: 'meta' }, 'Loading…'));
  let entity;
  let claims;
  let more = false;
  try {
    entity = await call('GetEntity', { name: id });
    const page = await call('ListByClaimant', { claimant: id, pageSize: 500,
      includeAffiliates: params.get('affiliates') === '1' });
    claims = page.claims || [];
    more = !!page.nextPageToken;
    for (const c of claims) { remember(c.claim); await resolveParts(c.claim); }
  } catch (e) {
    clear(root, h('h2', {}, id), errorBox(e));
    return;
  }
  const group = (polarity, title, cls) => {
    const rows = claims.filter((c) => c.polarity === polarity);
    return h('section', { class: cls, 'aria-label': title },
      h('h3', {}, `${title} (${rows.length})`),
      rows.length ? h('ul', { class: 'stmt-list' }, rows.map((c) => h('li', {},
        h('span', { class: `chip ${cls === 'supporting' ? 'support' : 'oppose'}` }, relationLabel(c.relation)), ' ',
        c.claim.object && c.claim.object.statementId
          ? link(nodeLabel(c.claim.object), () => nav.statement(c.claim.object.statementId))
          : nodeLabel(c.claim.object || {}),
        (c.provenance || []).map((p) => h('div', { class: 'meta' }, `“${p.evidence || ''}” — ${hedgeText(p.hedge)}`)))))
        : h('p', { class: 'meta' }, 'none'));
  };
  clear(root,
    h('h2', {}, entity.label || entity.id),
    h('p', { class: 'meta' }, [entity.type, (entity.aliases || []).join(', ')].filter(Boolean).join(' · ')),
    h('div', { class: 'actions' },
      button('Show in graph', () => nav.openInGraph(`e:${entity.id}`), { class: 'ghost' }),
      h('label', {}, h('input', { type: 'checkbox', checked: params.get('affiliates') === '1', id: 'claimant-affiliates',
        onchange: (e) => nav.go({ view: 'claimant', id, affiliates: e.target.checked ? '1' : '' },
          { focus: 'claimant-affiliates' }) }),
      ' include what its members and officials say')),
    h('div', { class: 'claims' },
      group('POLARITY_SUPPORTS', 'Asserts', 'supporting'),
      group('POLARITY_OPPOSES', 'Denies', 'opposing')),
    more ? h('p', { class: 'meta' }, `The first ${claims.length} claims; kgctl by-claimant lists them all.`) : null);
}

// ---- Timeline -------------------------------------------------------------

export async function timelineView(root, params, nav) {
  const id = params.get('id');
  clear(root, h('p', { class: 'meta' }, 'Loading…'));
  let s;
  let entries;
  try {
    s = remember(await call('GetStatement', { statement: { statementId: id } }));
    await resolveParts(s);
    entries = (await call('GetClaimTimeline', { statement: { statementId: id },
      includeRelated: params.get('related') === '1' })).entries || [];
  } catch (e) {
    clear(root, h('h2', {}, 'Timeline'), errorBox(e));
    return;
  }
  const stance = (x) => (x || '').replace('STANCE_', '').toLowerCase();
  clear(root,
    h('h2', {}, 'Timeline: ', statementLink(s, nav)),
    h('p', { class: 'meta' }, 'Each claimant\'s stance, document by document. ',
      h('label', {}, h('input', { type: 'checkbox', checked: params.get('related') === '1', id: 'timeline-related',
        onchange: (e) => nav.go({ view: 'timeline', id, related: e.target.checked ? '1' : '' }, { focus: 'timeline-related' }) }),
      ' include related statements')),
    entries.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['Date', 'Claimant', 'Stance', 'How', 'Document', 'Sentence'].map((x) => h('th', {}, x)))),
      h('tbody', {}, entries.map((e) => h('tr', {},
        h('td', {}, (e.document && e.document.published) || '—'),
        h('td', {}, e.claimant && e.claimant.entity
          ? link(nodeLabel(e.claimant), () => nav.go({ view: 'claimant', id: e.claimant.entity.id })) : '—'),
        h('td', { class: `stance-${stance(e.stance)}` }, stance(e.stance)),
        h('td', {}, e.relation ? relationLabel(e.relation) : '', e.provenance ? ` (${hedgeText(e.provenance.hedge)})` : ''),
        h('td', {}, e.document ? link(e.document.title || e.document.id,
          () => nav.go({ view: 'doc', id: e.document.id, s: (e.provenance && e.provenance.statementId) || '' })) : ''),
        h('td', {}, e.provenance ? e.provenance.evidence || '' : '')))))
      : h('p', {}, 'No records.'));
}

// ---- SPARQL ---------------------------------------------------------------

const EXAMPLE = `PREFIX rel: <https://kg.invalid/relation/>
# Who says North Korea deployed troops to Russia, and who denies it?
SELECT ?claimant ?how WHERE {
  ?claimant ?how <<( ?nk rel:deployed_troops_to ?ru )>> .
}`;

export function termText(t) {
  if (!t || !Object.keys(t).length) return ''; // unbound
  if (t.iri) return t.iri.replace(/^https:\/\/kg\.invalid\/(entity|relation|statement)\//, '');
  if (t.blankNode) return `_:${t.blankNode}`;
  if (t.literal) {
    const l = t.literal;
    return l.language ? `${l.lexicalForm}@${l.language}` : l.lexicalForm ?? '';
  }
  if (t.triple) return `<<( ${termText(t.triple.subject)} ${termText(t.triple.predicate)} ${termText(t.triple.object)} )>>`;
  return JSON.stringify(t);
}

export async function sparqlView(root, params, nav) {
  const query = params.get('q') || EXAMPLE;
  const textarea = h('textarea', { id: 'sparql-query', spellcheck: 'false', 'aria-label': 'SPARQL query' }, query);
  const out = h('div', { 'aria-live': 'polite' });
  const run = (mode) => nav.go({ view: 'sparql', q: textarea.value, mode });
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run('run'); }
  });
  clear(root, h('h2', {}, 'SPARQL'),
    h('p', { class: 'meta' }, 'SPARQL 1.1 with SPARQL 1.2\'s triple terms over the claims graph (docs/query.md). ',
      h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'Enter'), ' runs.'),
    textarea,
    h('div', { class: 'actions' }, button('Run', () => run('run')), button('Explain', () => run('explain'), { class: 'ghost' }),
      button('Profile', () => run('profile'), { class: 'ghost' })),
    out);
  if (!params.get('q')) return;
  const mode = params.get('mode') || 'run';
  out.append(h('p', { class: 'meta' }, 'Running…'));
  let messages;
  try {
    messages = await stream('Query', { query, maxResults: 10000,
      mode: { run: 'QUERY_MODE_RUN', explain: 'QUERY_MODE_EXPLAIN', profile: 'QUERY_MODE_PROFILE' }[mode] });
  } catch (e) {
    clear(out, errorBox(e));
    return;
  }
  const header = (messages.find((m) => m.header) || {}).header || {};
  const trailer = (messages.find((m) => m.trailer) || {}).trailer || {};
  const rows = messages.filter((m) => m.rows).flatMap((m) => m.rows.rows || []);
  const triples = messages.filter((m) => m.triples).flatMap((m) => m.triples.triples || []);
  const bool = messages.find((m) => m.boolean !== undefined);
  clear(out);
  if (mode === 'run' || mode === 'profile') {
    if (header.form === 'QUERY_FORM_ASK') {
      out.append(h('p', {}, h('strong', {}, bool && bool.boolean ? 'true' : 'false')));
    } else if (header.form === 'QUERY_FORM_SELECT') {
      const vars = header.variables || [];
      out.append(h('p', { class: 'meta' }, `${rows.length} row(s)`, trailer.elapsedMicros ? ` in ${(trailer.elapsedMicros / 1000).toFixed(1)} ms` : ''),
        h('table', {}, h('thead', {}, h('tr', {}, vars.map((v) => h('th', {}, `?${v}`)))),
          h('tbody', {}, rows.map((r) => h('tr', {}, vars.map((_, i) => h('td', {}, termText((r.values || [])[i]))))))));
    } else {
      const canvas = h('div', { id: 'construct-cy', role: 'img', 'aria-label': 'The constructed triples as a graph' });
      out.append(h('p', { class: 'meta' }, `${triples.length} triple(s)`), canvas);
      drawTriples(canvas, triples, termText);
    }
  }
  if (trailer.plan) out.append(h('h3', {}, 'Plan'), h('pre', { class: 'plan' }, trailer.plan));
  if (trailer.profile) out.append(h('h3', {}, mode === 'profile' ? 'Profile' : 'Plan with estimates'), h('pre', { class: 'plan' }, trailer.profile));
}
