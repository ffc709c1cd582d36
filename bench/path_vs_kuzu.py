#!/usr/bin/python3
"""kg against Kuzu, side by side: shortest paths on the same graphs and pairs.

    ./setup.sh build && (cd bench/kuzu && npm ci)
    apt-get install wordnet-base            # for the wordnet graph
    bench/path_vs_kuzu.py                   # all graphs: ~5 min to build, ~6 to run
    bench/path_vs_kuzu.py --graphs=gen10k,wordnet --pairs=300

For each graph it builds (once, cached under --work) a kg store and a Kuzu
database holding the same edges, draws --pairs random pairs of distinct
nodes with a fixed seed (for wordnet the first pair is dog.n.01 -> cat.n.01),
runs every pair --warmup times untimed in each engine, then times each pair
once per engine and form, one query at a time, and prints a table. The two
engines run as child processes driven query by query (kg: path_grpc_bench
--stdin, Kuzu: bench/kuzu/kuzu_paths.js --stdin=1), the forms of a pair in
turn, so both see the same machine load; each engine times its own query
(kg at the gRPC client or around FindPaths, Kuzu around execute + getAll).
Per-pair results go to <work>/<graph>/results.tsv. It also checks that both
engines find the same shortest length for every pair.

Graphs: genN, the power-law graph of bench/path_bench.cc with N plain
statements (gen10k: 1k entities / 10k statements, gen100k: 10k / 100k,
gen1m: 100k / 1M; the 1% claims are not walked by default and are left out
of Kuzu's copy); wordnet, WordNet 3.0 via bench/wordnet_to_kg.py.

Forms timed (both engines undirected: kg direction BOTH, Kuzu -[...]-):
  kg grpc prov   FindPaths shortest over gRPC (loopback, in-process server),
                 each hop with its statement and provenance summary
  kg grpc bare   the same without provenance
  kg inproc      query::FindPaths in process on a fresh Reader, with
                 provenance summaries (no gRPC, like Kuzu's embedded API)
  kuzu length    MATCH p = (a)-[:R* SHORTEST 1..N]-(b) RETURN length(p)
  kuzu path      the same returning p (its nodes and relationships)
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = {"gen10k": (1000, 10000), "gen100k": (10000, 100000),
       "gen1m": (100000, 1000000)}
DOG, CAT = "n02084071", "n02121620"


def run(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, **kw)


def prepare(args, name):
    """Builds the graph's kg store and CSVs once; returns (dir, ids, hops)."""
    d = os.path.join(args.work, name)
    os.makedirs(d, exist_ok=True)
    bench = os.path.join(args.build, "bench")
    seed_file = None
    if name in GEN:
        entities, statements = GEN[name]
        ids = [f"e{i}" for i in range(entities)]
        if not os.path.exists(os.path.join(d, "kg")):
            run([os.path.join(bench, "path_bench"),
                 f"--kg_entities={entities}", f"--kg_statements={statements}",
                 f"--kg_store={d}/kg", "--kg_keep_store",
                 "--benchmark_filter=^$"])
        if not os.path.exists(os.path.join(d, "edges.csv")):
            run([os.path.join(bench, "path_bench"),
                 f"--kg_entities={entities}", f"--kg_statements={statements}",
                 f"--kg_export_edges={d}/edges.csv"])
            with open(os.path.join(d, "nodes.csv"), "w") as f:
                f.write("id\n" + "".join(i + "\n" for i in ids))
        max_hops = 6
    elif name == "wordnet":
        if not os.path.exists(os.path.join(d, "wordnet.jsonl")):
            run([sys.executable, os.path.join(ROOT, "bench",
                                              "wordnet_to_kg.py"),
                 f"--out={d}"])
        with open(os.path.join(d, "nodes.csv")) as f:
            ids = [line.strip() for line in f][1:]
        seed_file = os.path.join(d, "wordnet.jsonl")
        max_hops = 16
    else:
        sys.exit(f"unknown graph {name}")
    return d, ids, max_hops, seed_file


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--graphs", default="gen10k,gen100k,gen1m,wordnet")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20241018)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--work", default="/tmp/kg_vs_kuzu",
                    help="cache of built stores and databases")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    kuzu_js = os.path.join(ROOT, "bench", "kuzu", "kuzu_paths.js")
    if not os.path.exists(os.path.join(ROOT, "bench", "kuzu",
                                       "node_modules", "kuzu")):
        sys.exit("run (cd bench/kuzu && npm ci) first")

    rows = []
    for name in args.graphs.split(","):
        d, ids, max_hops, seed_file = prepare(args, name)
        rng = random.Random(args.seed)
        pairs = [(DOG, CAT)] if name == "wordnet" else []
        while len(pairs) < args.pairs:
            a, b = rng.sample(ids, 2)
            pairs.append((a, b))
        with open(os.path.join(d, "pairs.tsv"), "w") as f:
            f.write("".join(f"{a}\t{b}\n" for a, b in pairs))
        load_before = os.getloadavg()[0]
        kg_cmd = [os.path.join(args.build, "bench", "path_grpc_bench"),
                  f"--data_dir={d}/kg", f"--max_hops={max_hops}", "--stdin"]
        if seed_file:
            kg_cmd.append(f"--seed_file={seed_file}")
        ku_cmd = ["node", kuzu_js, f"--db={d}/kuzu.db",
                  f"--nodes={d}/nodes.csv", f"--edges={d}/edges.csv",
                  f"--max-hops={max_hops}", "--stdin=1"]
        procs = {}
        for engine, cmd in [("kg", kg_cmd), ("kuzu", ku_cmd)]:
            print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
            procs[engine] = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        forms = [("kg", "shortest"), ("kg", "shortest_bare"),
                 ("kg", "inproc_shortest"), ("kuzu", "kuzu_length"),
                 ("kuzu", "kuzu_path")]

        def ask(engine, form, a, b):
            p = procs[engine]
            p.stdin.write(f"{form}\t{a}\t{b}\n")
            p.stdin.flush()
            line = p.stdout.readline()
            if not line:
                sys.exit(f"{engine} exited")
            hops, ms = line.split("\t")
            return int(hops), float(ms)

        # Query by query, the engines and forms in turn (rotated per pair),
        # so that both see the same load; warm-up passes first.
        results = {form: {} for _, form in forms}
        for w in range(args.warmup + 1):
            for i, (a, b) in enumerate(pairs):
                for j in range(len(forms)):
                    engine, form = forms[(i + j) % len(forms)]
                    r = ask(engine, form, a, b)
                    if w == args.warmup:
                        results[form][(a, b)] = r
        for p in procs.values():
            p.stdin.close()
            p.wait()
        load_after = os.getloadavg()[0]
        kg = {f: results[f] for f in ["shortest", "shortest_bare",
                                      "inproc_shortest"]}
        ku = {f: results[f] for f in ["kuzu_length", "kuzu_path"]}
        with open(os.path.join(d, "results.tsv"), "w") as f:
            for form, res in results.items():
                for (a, b), (hops, ms) in res.items():
                    f.write(f"{form}\t{a}\t{b}\t{hops}\t{ms:.4f}\n")
        mismatches = [p for p in pairs
                      if kg["shortest"][p][0] != ku["kuzu_length"][p][0]]
        for p in mismatches[:5]:
            print(f"MISMATCH {name} {p}: kg {kg['shortest'][p][0]} hops, "
                  f"kuzu {ku['kuzu_length'][p][0]}", file=sys.stderr)
        with open(os.path.join(d, "edges.csv")) as f:
            edges = sum(1 for _ in f) - 1
        connected = sum(1 for p in pairs if kg["shortest"][p][0] >= 0)
        hops = [kg["shortest"][p][0] for p in pairs
                if kg["shortest"][p][0] >= 0]
        stats = {}
        for form, res in [("kg grpc prov", kg["shortest"]),
                          ("kg grpc bare", kg["shortest_bare"]),
                          ("kg inproc", kg["inproc_shortest"]),
                          ("kuzu length", ku["kuzu_length"]),
                          ("kuzu path", ku["kuzu_path"])]:
            ms = [res[p][1] for p in pairs]
            stats[form] = (pct(ms, 0.5), pct(ms, 0.99))
        extra = ""
        if name == "wordnet":
            extra = (f"dog->cat: {kg['shortest'][(DOG, CAT)][0]} hops; "
                     f"kg grpc prov {kg['shortest'][(DOG, CAT)][1]:.3f} ms, "
                     f"kg inproc {kg['inproc_shortest'][(DOG, CAT)][1]:.3f} "
                     f"ms, kuzu length "
                     f"{ku['kuzu_length'][(DOG, CAT)][1]:.3f} ms, kuzu path "
                     f"{ku['kuzu_path'][(DOG, CAT)][1]:.3f} ms")
        rows.append((name, len(ids), edges, len(pairs), connected,
                     statistics.mean(hops) if hops else 0, max_hops,
                     len(mismatches), stats, load_before, load_after, extra))

    print(f"\n# kg vs Kuzu, shortest path, {time.strftime('%Y-%m-%d %H:%M')}"
          f" UTC, {os.cpu_count()} cores, warmup {args.warmup}, seed "
          f"{args.seed}")
    print("| graph | nodes | edges | pairs (connected) | mean hops | "
          "max hops | same lengths | form | p50 ms | p99 ms | "
          "kuzu length / form (p50) | kuzu path / form (p50) | load |")
    print("| --- " * 13 + "|")
    for (name, nodes, edges, n, conn, mh, maxh, mism, stats, lb, la,
         extra) in rows:
        for i, (form, (p50, p99)) in enumerate(stats.items()):
            head = (f"| {name} | {nodes:,} | {edges:,} | {n} ({conn}) | "
                    f"{mh:.2f} | {maxh} | "
                    f"{'yes' if mism == 0 else f'NO ({mism})'} "
                    if i == 0 else "| | | | | | | ")
            r1 = stats["kuzu length"][0] / p50
            r2 = stats["kuzu path"][0] / p50
            print(f"{head}| {form} | {p50:.3f} | {p99:.3f} | {r1:.1f}x | "
                  f"{r2:.1f}x | {lb:.1f}-{la:.1f} |")
        if extra:
            print(f"\n{name} {extra}")
    print()
    return 1 if any(r[7] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
