// Evidence: a sentence shown in its paragraph of the document, and the
// panel for one statement (Why): its own records and the supporting and
// opposing claims side by side, each with its sentence highlighted, the
// document's title, publisher and date, the hedge and the confidence.
import { call } from './api.js';
import { button, clear, errorBox, h, link } from './dom.js';
import {
  contested, documentWithText, hedgeText, nodeLabel, relationLabel, remember, resolveParts,
  statementText, utf16Index,
} from './model.js';

// The paragraph of `text` holding code points [start, end), with that
// range in <mark>. kg's offsets count code points; JavaScript's strings
// are UTF-16, so the offsets are translated first.
export function sentenceInContext(text, start, end) {
  const s = utf16Index(text, start);
  const e = s + utf16Index(text.slice(s), end - start);
  const from = text.lastIndexOf('\n', s - 1) + 1;
  let to = text.indexOf('\n', e);
  if (to < 0) to = text.length;
  return h('blockquote', {},
    text.slice(from, s), h('mark', {}, text.slice(s, e)), text.slice(e, to));
}

function documentLine(doc) {
  return h('div', { class: 'meta' },
    h('cite', {}, doc.title || doc.id),
    doc.publisher ? ` · ${doc.publisher}` : '',
    doc.published ? ` · ${doc.published}` : '');
}

// Unset means 1 (model.proto).
export function confidence(value) {
  if (value === undefined || value === null) value = 1;
  return h('span', { class: 'confidence' },
    h('meter', { min: 0, max: 1, value, 'aria-label': `confidence ${value}` }),
    `confidence ${Number(value).toFixed(2)}`);
}

// One provenance record: document, sentence in context, hedge, confidence.
export function recordView(p, { onDocument }) {
  const box = h('div', { class: 'evidence' });
  const hedge = h('span', { class: 'chip' }, hedgeText(p.hedge));
  const head = h('div', { class: 'chips' }, hedge, confidence(p.confidence),
    p.validTime && (p.validTime.start || p.validTime.end)
      ? h('span', { class: 'chip' }, `valid ${p.validTime.start || '…'}–${p.validTime.end || '…'}`) : null);
  box.append(head, h('blockquote', {}, h('mark', {}, p.evidence || '(no sentence recorded)')));
  if (p.documentId) {
    documentWithText(p.documentId).then((doc) => {
      const quote = box.querySelector('blockquote');
      if (doc.text && p.evidenceEnd) {
        quote.replaceWith(sentenceInContext(doc.text, p.evidenceStart || 0, p.evidenceEnd));
      }
      box.append(h('div', {}, documentLine(doc),
        onDocument ? link('read the document', () => onDocument(p.documentId, p.statementId)) : null));
    }).catch(() => box.append(h('div', { class: 'meta' }, `document ${p.documentId}`)));
  }
  return box;
}

function claimView(claim, handlers) {
  const card = h('article', { class: 'claim' });
  const who = claim.claimant ? nodeLabel(claim.claimant) : '?';
  card.append(h('div', {},
    claim.claimant && claim.claimant.entity
      ? link(who, () => handlers.onClaimant(claim.claimant.entity.id), { class: 'link who' })
      : h('span', { class: 'who' }, who),
    ' ', h('span', { class: 'meta' }, relationLabel(claim.relation))));
  if (claim.aboutStatementId) {
    card.append(h('div', { class: 'meta' }, 'about a related statement: ',
      link(nodeLabel({ statementId: claim.aboutStatementId }),
        () => handlers.onStatement(claim.aboutStatementId))));
  }
  for (const p of claim.provenance || []) card.append(recordView(p, handlers));
  return card;
}

// The evidence panel of a statement into `panel`.
export async function showWhy(panel, statementId, handlers) {
  clear(panel, h('p', { class: 'meta' }, 'Loading evidence…'));
  let why;
  try {
    why = await call('Why', { statement: { statementId }, pageSize: 200, order: 'ORDER_DOCUMENT_DATE' });
    remember(why.statement);
    await resolveParts(why.statement);
    for (const c of [...(why.supporting || []), ...(why.opposing || [])]) await resolveParts(c.claim);
  } catch (e) {
    clear(panel, h('h2', { id: 'panel-title', tabindex: -1 }, 'Statement'), errorBox(e));
    return;
  }
  const s = why.statement;
  const c = contested.get(s.id);
  const chips = h('div', { class: 'chips' },
    c ? h('span', { class: 'chip contested' },
      `contested: ${c.supportingClaimants || 0} for, ${c.opposingClaimants || 0} against`) : null,
    (s.liveProvenance || 0) > 0 ? h('span', { class: 'chip' }, `stated in ${s.liveProvenance} record(s)`)
      : h('span', { class: 'chip quoted' }, 'quoted, not stated by a document'),
    s.quotedBy ? h('span', { class: 'chip' }, `quoted by ${s.quotedBy}`) : null);
  const columns = h('div', { class: 'claims' },
    h('section', { class: 'supporting', 'aria-label': 'Supporting claims' },
      h('h3', {}, h('span', { class: 'swatch' }), `Supporting (${(why.supporting || []).length})`),
      (why.supporting || []).length ? why.supporting.map((x) => claimView(x, handlers))
        : h('p', { class: 'meta' }, 'none')),
    h('section', { class: 'opposing', 'aria-label': 'Opposing claims' },
      h('h3', {}, h('span', { class: 'swatch' }), `Opposing (${(why.opposing || []).length})`),
      (why.opposing || []).length ? why.opposing.map((x) => claimView(x, handlers))
        : h('p', { class: 'meta' }, 'none')));
  clear(panel,
    h('h2', { id: 'panel-title', tabindex: -1 }, statementText(s)),
    chips,
    why.summary ? h('p', { class: 'meta' }, why.summary) : null,
    h('div', { class: 'actions' },
      button('Show in graph', () => handlers.onShowInGraph(s.id), { class: 'ghost' }),
      button('Timeline', () => handlers.onTimeline(s.id), { class: 'ghost' })),
    (why.provenance || []).length ? [
      h('h3', {}, 'Stated by documents'),
      why.provenance.map((p) => h('div', { class: 'record' }, recordView(p, handlers))),
    ] : null,
    columns,
    why.nextPageToken ? h('p', { class: 'meta' },
      'More claims than shown here: the timeline lists them all.') : null,
    h('p', { class: 'meta' }, `statement ${s.id}`));
}
