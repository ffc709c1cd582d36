// The Kuzu side of bench/path_vs_kuzu.py: loads a graph (nodes.csv "id",
// edges.csv "from,to,relation") into a Kuzu database once, then times
// shortest paths between the given pairs with Cypher
//   MATCH p = (a:N {id: $a})-[:R* SHORTEST 1..<max>]-(b:N {id: $b}) RETURN ...
// (undirected, like kg's default direction "both"), in two forms: returning
// length(p) only (hop count), and returning p itself (its nodes and
// relationships with their properties: the closest to kg's hops).
//
//   node bench/kuzu/kuzu_paths.js --db=DIR --nodes=nodes.csv \
//       --edges=edges.csv --pairs=pairs.tsv --max-hops=6 --out=kuzu.tsv
//
// Every pair is run --warmup times per form before timing (warm caches).
// Output lines: "form<TAB>from<TAB>to<TAB>hops<TAB>ms" (hops -1: no path).
// With --stdin=1 (and no --pairs/--out) it answers queries one by one
// instead: "form<TAB>from<TAB>to" lines in, "hops<TAB>ms" lines out, so that
// bench/path_vs_kuzu.py can interleave kg and Kuzu query by query.
// The database is never closed: close() at exit can crash kuzu 0.11.
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const kuzu = require("kuzu");

function flags() {
  const f = { warmup: "1", "max-hops": "6", threads: "0" };
  for (const a of process.argv.slice(2)) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`bad argument ${a}`);
    f[m[1]] = m[2];
  }
  const required = f.stdin ? ["db", "nodes", "edges"] :
      ["db", "nodes", "edges", "pairs", "out"];
  for (const k of required) {
    if (!f[k]) throw new Error(`--${k} is required`);
  }
  return f;
}

function pct(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const f = flags();
  const fresh = !fs.existsSync(f.db);
  const db = new kuzu.Database(f.db);
  const conn = new kuzu.Connection(db);
  if (Number(f.threads) > 0) conn.setMaxNumThreadForExec(Number(f.threads));
  if (fresh) {
    const t0 = process.hrtime.bigint();
    await conn.query("CREATE NODE TABLE N(id STRING, PRIMARY KEY (id))");
    await conn.query("CREATE REL TABLE R(FROM N TO N, relation STRING)");
    await conn.query(`COPY N FROM '${path.resolve(f.nodes)}' (header=true)`);
    await conn.query(`COPY R FROM '${path.resolve(f.edges)}' (header=true)`);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.error(`kuzu_paths: loaded ${f.edges} in ${s.toFixed(1)} s`);
  }
  const max = Number(f["max-hops"]);
  const match = `MATCH p = (a:N {id: $a})-[:R* SHORTEST 1..${max}]-(b:N {id: $b})`;
  const forms = {
    kuzu_length: await conn.prepare(`${match} RETURN length(p) AS hops`),
    kuzu_path: await conn.prepare(`${match} RETURN p, length(p) AS hops`),
  };
  const run = async (stmt, a, b) => {
    const r = await conn.execute(stmt, { a, b });
    const rows = await r.getAll();
    return rows.length ? Number(rows[0].hops) : -1;
  };
  if (f.stdin) {
    // "form<TAB>from<TAB>to" in, "hops<TAB>ms" out, one query at a time.
    const rl = readline.createInterface({ input: process.stdin });
    for await (const line of rl) {
      const [form, a, b] = line.split("\t");
      if (!forms[form]) throw new Error(`unknown form ${form}`);
      const t0 = process.hrtime.bigint();
      const hops = await run(forms[form], a, b);
      const t = Number(process.hrtime.bigint() - t0) / 1e6;
      process.stdout.write(`${hops}\t${t.toFixed(4)}\n`);
    }
    process.exit(0);
  }
  const pairs = fs
    .readFileSync(f.pairs, "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split("\t"));
  const out = [];
  for (const [form, stmt] of Object.entries(forms)) {
    for (let w = 0; w < Number(f.warmup); ++w) {
      for (const [a, b] of pairs) await run(stmt, a, b);
    }
    const ms = [];
    for (const [a, b] of pairs) {
      const t0 = process.hrtime.bigint();
      const hops = await run(stmt, a, b);
      const t = Number(process.hrtime.bigint() - t0) / 1e6;
      ms.push(t);
      out.push(`${form}\t${a}\t${b}\t${hops}\t${t.toFixed(4)}`);
    }
    ms.sort((x, y) => x - y);
    console.error(
      `kuzu_paths: ${form} n=${ms.length} p50=${pct(ms, 0.5).toFixed(3)} ms ` +
        `p99=${pct(ms, 0.99).toFixed(3)} ms`
    );
  }
  fs.writeFileSync(f.out, out.join("\n") + "\n");
  // No close(): kuzu 0.11 can crash closing at exit.
  process.exit(0);
}

main().catch((e) => {
  console.error(`kuzu_paths: ${e.stack || e}`);
  process.exit(1);
});
