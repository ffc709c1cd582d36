// Kuzu side of bench/load_side_by_side.py: COPY of the CSV files the script
// made from the N-Triples (terms as nodes, triples as one relationship
// table with the predicate IRI as a property) into a fresh database,
// counted, closed; prints one JSON line. The CSV conversion is not timed.
//
//   node kuzu_load.js DB_DIR TERMS_CSV TRIPLES_CSV
'use strict';
const kuzu = require('kuzu');

async function main() {
  const [dbDir, terms, triples] = process.argv.slice(2);
  const db = new kuzu.Database(dbDir);
  const conn = new kuzu.Connection(db);
  await conn.query('CREATE NODE TABLE Term(id INT64, text STRING, PRIMARY KEY (id))');
  await conn.query('CREATE REL TABLE T(FROM Term TO Term, p STRING)');
  const t0 = process.hrtime.bigint();
  await conn.query(`COPY Term FROM '${terms}' (HEADER=false)`);
  await conn.query(`COPY T FROM '${triples}' (HEADER=false)`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const counted = await (await conn.query('MATCH ()-[r:T]->() RETURN count(r) AS n')).getAll();
  await conn.close();
  await db.close();
  console.log(JSON.stringify({ engine: 'kuzu', seconds, triples: Number(counted[0].n) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
