// Oxigraph side of bench/sparql_side_by_side.py: loads an N-Triples file
// into an in-memory store, then answers queries read from stdin, one JSON
// object per line ({"query": ..., "runs": N}), with one JSON line each:
// the milliseconds of every run (query and reading every row) and the
// rows of the last, each term written as N-Triples writes it.
//
//   node oxigraph_sparql.js FILE < queries.jsonl
'use strict';
const fs = require('fs');
const readline = require('readline');
const oxigraph = require('oxigraph');

function term(t) {
  if (t === undefined || t === null) return null;
  switch (t.termType) {
    case 'NamedNode':
      return `<${t.value}>`;
    case 'BlankNode':
      return '_:';
    case 'Literal': {
      const lex = JSON.stringify(t.value);
      if (t.language) return `${lex}@${t.language}`;
      if (t.datatype.value === 'http://www.w3.org/2001/XMLSchema#string') return lex;
      return `${lex}^^<${t.datatype.value}>`;
    }
    case 'Quad':
      return `<<( ${term(t.subject)} ${term(t.predicate)} ${term(t.object)} )>>`;
    default:
      return String(t.value);
  }
}

const t0 = process.hrtime.bigint();
const store = new oxigraph.Store();
store.load(fs.readFileSync(process.argv[2]), { format: 'application/n-triples' });
console.log(JSON.stringify({
  loaded: store.size,
  seconds: Number(process.hrtime.bigint() - t0) / 1e9,
}));

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const { query, runs } = JSON.parse(line);
  const ms = [];
  let rows = [];
  try {
    for (let i = 0; i < runs; ++i) {
      const start = process.hrtime.bigint();
      const result = store.query(query);
      rows = [];
      for (const binding of result) {
        const row = {};
        for (const [name, value] of binding) row[name] = term(value);
        rows.push(row);
      }
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    console.log(JSON.stringify({ ms, rows }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e) }));
  }
});
