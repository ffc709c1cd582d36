#!/usr/bin/env node
// A kg.v1 client in Node.js, end to end against a seeded kg-server.
//
// It resolves an entity by alias, stores a document and a statement with its
// evidence span, finds the shortest path from the NIS to Ukraine with the
// evidence of each hop, asks why() about the statement it wrote, and reads a
// pattern match page by page. Every result is checked: the script exits 1
// with a message naming the failed step, and a gRPC error is shown as its
// code and message.
//
// The service is loaded from proto/ at run time with @grpc/proto-loader:
//
//   cd examples/node && npm ci && node kg_example.js 127.0.0.1:50051
//
// Environment: KG_SERVER (address, when not given as the argument), KG_TOKEN
// (sent as `authorization: Bearer <token>`), KG_TLS_CA (PEM root CA file:
// connect with TLS), KG_PROTO_DIR (default: ../../proto from this file).
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const DEADLINE_MS = 10000; // every call gets a deadline

const DOCUMENT_ID = 'node_example_post';
// A social-media post. The emoji is one code point but two UTF-16 units (and
// four UTF-8 bytes): evidence offsets count code points, so JavaScript
// string indexes must be converted.
const TEXT =
  '\u{1F4E1} OSINT update \u2014 21 Oct: Satellite imagery suggests ' +
  'North Korean troops are already present in Russia\u2019s Far East. ' +
  'More to follow.';
const EVIDENCE =
  'Satellite imagery suggests North Korean troops are already present in ' +
  'Russia\u2019s Far East.';

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function loadService() {
  const protoDir =
    process.env.KG_PROTO_DIR || path.join(__dirname, '..', '..', 'proto');
  const definition = protoLoader.loadSync('kg/v1/kg.proto', {
    includeDirs: [protoDir],
    keepCase: true, // field names as in the .proto: evidence_start
    longs: String, // uint64 counts arrive as strings, never rounded
    enums: String, // 'HEDGE_BELIEVED', not 2
    defaults: true,
    oneofs: true, // node.kind === 'entity'
  });
  return grpc.loadPackageDefinition(definition).kg.v1.KnowledgeGraph;
}

function connect(KnowledgeGraph, address) {
  const ca = process.env.KG_TLS_CA;
  const credentials = ca
    ? grpc.credentials.createSsl(fs.readFileSync(ca))
    : grpc.credentials.createInsecure();
  return new KnowledgeGraph(address, credentials);
}

function callMetadata() {
  const metadata = new grpc.Metadata();
  if (process.env.KG_TOKEN) {
    metadata.add('authorization', `Bearer ${process.env.KG_TOKEN}`);
  }
  return metadata;
}

function statusName(code) {
  return Object.keys(grpc.status).find((k) => grpc.status[k] === code) || code;
}

// A Term naming the statement (subject relation object) by content.
function quoted(subject, relation, object) {
  return {
    quoted: { subject: { entity: subject }, relation, object: { entity: object } },
  };
}

// An entity's id, a literal's value, or <<s r o>> for a statement node (by
// content when `statements`, id -> Statement, has it).
function nodeName(node, statements = new Map()) {
  if (node.kind === 'entity') return node.entity.id;
  if (node.kind === 'statement_id') {
    const s = statements.get(node.statement_id);
    if (!s) return `<<${node.statement_id}>>`;
    return `<<${nodeName(s.subject, statements)} ${s.relation} ${nodeName(
      s.object,
      statements,
    )}>>`;
  }
  return String(node.literal[node.literal.value]);
}

// Length in Unicode code points, as kg counts evidence offsets.
function codePoints(text) {
  return [...text].length;
}

class Example {
  constructor(client) {
    this.kg = client;
    this.metadata = callMetadata();
  }

  options() {
    return { deadline: Date.now() + DEADLINE_MS };
  }

  // A unary call as a promise.
  call(method, request) {
    return new Promise((resolve, reject) => {
      this.kg[method](request, this.metadata, this.options(), (err, response) =>
        err ? reject(err) : resolve(response),
      );
    });
  }

  async resolve() {
    console.log("== resolve 'pyongyang' (an alias, any case)");
    const response = await this.call('ResolveEntity', { name: 'pyongyang' });
    for (const e of response.candidates) {
      console.log(`  ${e.id}: ${e.label} (${e.type}), aliases: ${e.aliases.join(', ')}`);
    }
    check(
      response.candidates.map((e) => e.id).join() === 'north_korea',
      'expected exactly north_korea',
    );

    console.log("== resolve 'Atlantis' (expect NOT_FOUND)");
    try {
      await this.call('ResolveEntity', { name: 'Atlantis' });
    } catch (err) {
      if (err instanceof CheckFailed || err.code === undefined) throw err;
      console.log(`  ${statusName(err.code)}: ${err.details}`);
      check(err.code === grpc.status.NOT_FOUND, `expected NOT_FOUND, got ${statusName(err.code)}`);
      return;
    }
    throw new CheckFailed("resolving 'Atlantis' succeeded");
  }

  async write() {
    console.log(`== store document ${DOCUMENT_ID} and a statement with provenance`);
    // Same id and text again is fine (a rerun); another text is
    // ALREADY_EXISTS.
    const stored = await this.call('CreateDocument', {
      document: {
        id: DOCUMENT_ID,
        title: 'OSINT update on North Korean troops',
        publisher: 'OSINT Watch',
        published: '2024-10-21',
        text: TEXT,
      },
    });
    console.log(
      `  document ${stored.id}: '${stored.title}' (${codePoints(TEXT)} code points, ` +
        `${TEXT.length} UTF-16 units, ${Buffer.byteLength(TEXT)} bytes)`,
    );

    const start = codePoints(TEXT.slice(0, TEXT.indexOf(EVIDENCE)));
    const end = start + codePoints(EVIDENCE);
    const result = await this.call('WriteStatements', {
      statements: [
        {
          triple: quoted('north_korea', 'present_in', 'russia').quoted,
          provenance: [
            {
              document_id: DOCUMENT_ID,
              evidence_start: start,
              evidence_end: end,
              evidence: EVIDENCE,
              hedge: 'HEDGE_BELIEVED',
              confidence: 0.6,
              valid_time: { start: '2024-10' },
            },
          ],
        },
      ],
    });
    check(result.statement_ids.length === 1, 'expected one statement id');
    console.log(
      `  statement ${result.statement_ids[0]}: north_korea present_in russia, ` +
        `evidence [${start}, ${end})`,
    );
    console.log(
      `  provenance added ${result.provenance_added}, unchanged ${result.provenance_unchanged}`,
    );
    // A rerun writes the same record again: skipped, not duplicated.
    check(
      Number(result.provenance_added) + Number(result.provenance_unchanged) === 1,
      'expected the record to be added or found unchanged',
    );
    return result.statement_ids[0];
  }

  async path() {
    console.log('== shortest path NIS -> Ukraine, walking claims');
    const stream = this.kg.FindPaths(
      {
        from: { entity: 'NIS' },
        to: { entity: 'Ukraine' },
        options: {
          mode: 'PATH_MODE_SHORTEST',
          walk_claims: true,
          provenance: 'PROVENANCE_DETAIL_SUMMARY',
        },
      },
      this.metadata,
      this.options(),
    );
    // Server streaming: one message per path, then the summary.
    const paths = [];
    let summary = null;
    for await (const message of stream) {
      if (message.item === 'path') paths.push(message.path);
      else summary = message.summary;
    }
    check(summary !== null, 'the stream ended without a summary');
    check(paths.length === 1, `expected one path, got ${paths.length}`);
    const hops = paths[0].hops;
    const statements = new Map(hops.map((h) => [h.statement.id, h.statement]));
    hops.forEach((hop, i) => {
      const s = hop.statement;
      const best = hop.summary.best;
      console.log(`  ${i + 1}. ${nodeName(hop.from, statements)} -> ${nodeName(hop.to, statements)}`);
      console.log(
        `     statement: ${nodeName(s.subject, statements)} ${s.relation} ` +
          `${nodeName(s.object, statements)}`,
      );
      if (best && best.document_id) {
        console.log(
          `     evidence: ${best.document_id} [${best.evidence_start}, ` +
            `${best.evidence_end}) "${best.evidence}"`,
        );
      }
    });
    console.log(`  ${hops.length} hops, ${summary.expanded_edges} edges expanded`);
    check(nodeName(hops[0].from) === 'nis', 'the path does not start at nis');
    check(nodeName(hops[hops.length - 1].to) === 'ukraine', 'the path does not end at ukraine');
    check(
      hops.some((h) => h.summary.best && h.summary.best.evidence),
      'no hop carries evidence',
    );
  }

  async why(statementId) {
    console.log('== why <<north_korea present_in russia>>?');
    const response = await this.call('Why', {
      statement: quoted('north_korea', 'present_in', 'russia'),
    });
    check(response.statement.id === statementId, 'why() answered about another statement');
    console.log(`  ${response.summary}`);
    for (const r of response.provenance) {
      console.log(`  stated by ${r.document_id} (${r.hedge}, ${r.confidence}): "${r.evidence}"`);
    }
    for (const [side, claims] of [
      ['supports', response.supporting],
      ['opposes', response.opposing],
    ]) {
      for (const c of claims) {
        const evidence = c.provenance.length ? c.provenance[0].evidence : '';
        console.log(`  ${side}: ${nodeName(c.claimant)} ${c.relation}: "${evidence}"`);
      }
    }
    check(
      response.provenance.some((r) => r.document_id === DOCUMENT_ID && r.evidence === EVIDENCE),
      `our record from ${DOCUMENT_ID} is missing`,
    );
    check(
      response.supporting.some((c) => nodeName(c.claimant) === 'south_korean_officials'),
      "the seed's claim by south_korean_officials is missing",
    );
  }

  async match() {
    console.log('== match (north_korea, *, *), 5 statements a page');
    const subject = { entity: 'north_korea' };
    const seen = [];
    let pages = 0;
    let token = '';
    do {
      const page = await this.call('MatchStatements', {
        subject,
        include_quoted: true,
        page_size: 5,
        page_token: token,
      });
      pages += 1;
      seen.push(...page.statements);
      console.log(
        `  page ${pages}: ` +
          page.statements.map((s) => `${s.relation} ${nodeName(s.object)}`).join(', '),
      );
      token = page.next_page_token; // an empty token ends the list
    } while (token);
    const count = Number(
      (await this.call('CountStatements', { subject, exact: true })).count,
    );
    console.log(`  ${seen.length} statements in ${pages} pages; CountStatements says ${count}`);
    check(seen.length === count, 'the pages disagree with CountStatements');
    check(new Set(seen.map((s) => s.id)).size === seen.length, 'a statement came twice');
    check(pages > 1, 'expected more than one page');
  }
}

async function main() {
  const address = process.argv[2] || process.env.KG_SERVER;
  if (!address) {
    console.error('usage: kg_example.js HOST:PORT (or set KG_SERVER)');
    return 2;
  }
  let client;
  try {
    client = connect(loadService(), address);
  } catch (err) {
    // proto/ not found, KG_TLS_CA unreadable
    console.error(`kg_example.js: connect: ${err.message}`);
    return 1;
  }
  const example = new Example(client);
  let step = 'resolve';
  try {
    await example.resolve();
    step = 'write';
    const statementId = await example.write();
    step = 'path';
    await example.path();
    step = 'why';
    await example.why(statementId);
    step = 'match';
    await example.match();
  } catch (err) {
    if (err instanceof CheckFailed) {
      console.error(`kg_example.js: ${step}: check failed: ${err.message}`);
      return 1;
    }
    if (err.code !== undefined && err.details !== undefined) {
      console.error(`kg_example.js: ${step}: ${statusName(err.code)}: ${err.details}`);
      return 1;
    }
    throw err;
  } finally {
    client.close();
  }
  console.log('ok');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`kg_example.js: ${err.stack || err}`);
    process.exitCode = 1;
  },
);
