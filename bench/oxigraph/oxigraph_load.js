// Oxigraph side of bench/load_side_by_side.py: reads an N-Triples file
// into an in-memory store (one transaction, as a load that must be all or
// nothing), counts it, and prints one JSON line.
//
//   node oxigraph_load.js FILE
'use strict';
const fs = require('fs');
const oxigraph = require('oxigraph');

const file = process.argv[2];
const t0 = process.hrtime.bigint();
const text = fs.readFileSync(file);
const store = new oxigraph.Store();
store.load(text, { format: 'application/n-triples' });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ engine: 'oxigraph', seconds, triples: store.size }));
