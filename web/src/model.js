// What the page knows of the graph: the vocabulary, statements and
// documents already fetched, and how to name each kind of node. Terms are
// kg.v1 Node / Term messages in protobuf's JSON mapping.
import { call } from './api.js';

export const relations = new Map(); // id -> Relation
export const contested = new Map(); // statement id -> ContestedStatement
const statements = new Map(); // id -> Statement
const documents = new Map(); // id -> Promise<Document with text>

export async function loadVocabulary() {
  const [rels, cont] = await Promise.all([
    call('ListRelations', {}),
    call('ListContested', { pageSize: 1000 }),
  ]);
  relations.clear();
  for (const r of rels.relations || []) relations.set(r.id, r);
  contested.clear();
  for (const c of cont.statements || []) contested.set(c.statement.id, c);
}

export function relationLabel(id) {
  const r = relations.get(id);
  return (r && r.label) || id.replace(/^.*[/#]/, '').replace(/_/g, ' ');
}

// 'supports', 'opposes' or '' for a relation.
export function polarityOf(relationId) {
  const r = relations.get(relationId);
  if (!r) return '';
  if (r.polarity === 'POLARITY_SUPPORTS') return 'supports';
  if (r.polarity === 'POLARITY_OPPOSES') return 'opposes';
  return '';
}

export function remember(statement) {
  if (statement && statement.id) statements.set(statement.id, statement);
  return statement;
}

export async function statement(id) {
  if (!statements.has(id)) {
    remember(await call('GetStatement', { statement: { statementId: id } }));
  }
  return statements.get(id);
}

export function knownStatement(id) {
  return statements.get(id);
}

export function documentWithText(id) {
  if (!documents.has(id)) {
    const p = call('GetDocument', { id, includeText: true });
    p.catch(() => documents.delete(id));
    documents.set(id, p);
  }
  return documents.get(id);
}

// A node's key in the page (graph element ids, the URL): e:<entity>,
// s:<statement>, i:<iri>, b:<blank>, l:<literal JSON>.
export function keyOf(node) {
  if (node.entity) return `e:${node.entity.id ?? node.entity}`;
  if (node.statementId) return `s:${node.statementId}`;
  if (node.iri) return `i:${node.iri}`;
  if (node.blankNode) return `b:${node.blankNode}`;
  if (node.literal) return `l:${JSON.stringify(node.literal)}`;
  return `?:${JSON.stringify(node)}`;
}

// The Term a key names, for requests.
export function termOf(key) {
  const rest = key.slice(2);
  switch (key[0]) {
    case 'e': return { entity: rest };
    case 's': return { statementId: rest };
    case 'i': return { iri: rest };
    case 'b': return { blankNode: rest };
    case 'l': return { literal: JSON.parse(rest) };
    default: throw new Error(`not a node key: ${key}`);
  }
}

export function kindOf(key) {
  return { e: 'entity', s: 'statement', i: 'iri', b: 'blank', l: 'literal' }[key[0]] || 'other';
}

export function literalText(literal) {
  if (literal.stringValue !== undefined) return literal.stringValue;
  if (literal.integerValue !== undefined) return String(literal.integerValue);
  if (literal.decimalValue !== undefined) return literal.decimalValue;
  if (literal.dateValue !== undefined) return literal.dateValue;
  if (literal.rdf) return literal.rdf.lexicalForm || '';
  return JSON.stringify(literal);
}

// A short name for a node without fetching anything.
export function nodeLabel(node) {
  if (node.entity) return node.entity.label || node.entity.id;
  if (node.statementId) {
    const s = statements.get(node.statementId);
    return s ? statementText(s) : `statement ${node.statementId.slice(0, 9)}…`;
  }
  if (node.iri) return node.iri.replace(/^.*[/#](?=.)/, '');
  if (node.blankNode) return `_:${node.blankNode.slice(0, 8)}`;
  if (node.literal) return `“${literalText(node.literal)}”`;
  return '?';
}

// "North Korea deployed troops to Russia", with quoted parts in ⟨ ⟩.
export function statementText(s, depth = 0) {
  const part = (node) => {
    if (node.statementId && depth < 2) {
      const inner = statements.get(node.statementId);
      if (inner) return `⟨${statementText(inner, depth + 1)}⟩`;
    }
    return nodeLabel(node);
  };
  return `${part(s.subject)} ${relationLabel(s.relation)} ${part(s.object)}`;
}

// Fetches the statements a statement quotes (two levels), so that
// statementText can name them.
export async function resolveParts(s, depth = 0) {
  if (!s || depth > 1) return;
  for (const node of [s.subject, s.object]) {
    if (node && node.statementId) {
      try {
        await resolveParts(await statement(node.statementId), depth + 1);
      } catch (_) {
        // Named by its id instead.
      }
    }
  }
}

export const HEDGES = {
  HEDGE_ASSERTED: 'asserted',
  HEDGE_BELIEVED: 'believed',
  HEDGE_REPORTEDLY: 'reportedly',
  HEDGE_PLAUSIBLE: 'plausible',
  HEDGE_UNCONFIRMED: 'unconfirmed',
};

export function hedgeText(h) {
  return HEDGES[h] || 'unhedged';
}

// Code-point offsets (kg's) to a JavaScript string's UTF-16 indexes.
export function codePointSlice(text, start, end) {
  const points = Array.from(text);
  return points.slice(start, end).join('');
}

// The UTF-16 index of code point `n` of `text`, scanning no further.
export function utf16Index(text, n) {
  let u = 0;
  for (let i = 0; i < n && u < text.length; i++) {
    const c = text.charCodeAt(u);
    u += c >= 0xd800 && c <= 0xdbff && u + 1 < text.length ? 2 : 1;
  }
  return u;
}

export function toUtf16Offsets(text) {
  // utf16[i] is the UTF-16 index of code point i (and of the end).
  const offsets = [];
  let u = 0;
  for (const ch of text) {
    offsets.push(u);
    u += ch.length;
  }
  offsets.push(u);
  return offsets;
}
