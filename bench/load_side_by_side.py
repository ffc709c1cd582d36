#!/usr/bin/python3
"""Loading one N-Triples file into kg, Kuzu, Oxigraph and Virtuoso, side by side.

    ./setup.sh build
    (cd bench/kuzu && npm ci) && (cd bench/oxigraph && npm ci)
    apt-get install virtuoso-opensource       # optional: --engines=kg,kuzu,oxigraph without it
    bench/make_wordnet_nt.py --out=/tmp/wordnet.nt
    bench/load_side_by_side.py --nt=/tmp/wordnet.nt --work=/tmp/loads

One engine after the other on the same file, each from nothing to a store
that answers queries, and each counted afterwards (the counts must agree):

  kg        kg-server --load (the file parsed, mapped and committed as SST
            files, then a clean stop), timed around the whole process
  kuzu      COPY of two CSV files (terms, triples with the predicate as a
            property) into a fresh on-disk database; the script converts the
            N-Triples first and that conversion is not timed
  oxigraph  Store.load of the file into an in-memory store (npm oxigraph),
            reading the file included
  virtuoso  ld_dir + rdf_loader_run + checkpoint on a fresh database served
            on 127.0.0.1 (Debian's virtuoso-opensource 7.2), timed around
            the isql call

It prints, per engine: seconds, triples per second, peak resident memory
(the engine's process: /usr/bin/time for the first three, VmHWM of
virtuoso-t), bytes on disk per triple after the load and a clean stop (for
Virtuoso the database files less those of the empty database; none for
in-memory Oxigraph), and each ratio to kg's. Everything is written under
--work, which is emptied first.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time

import peers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(argv, cwd=None):
    """Runs argv under /usr/bin/time -v: (stdout, seconds, peak RSS in MB)."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + argv, cwd=cwd,
                       capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return p.stdout, seconds, int(m.group(1)) / 1024 if m else float("nan")


def dir_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            fp = os.path.join(dirpath, f)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total


KG_FLAGS = []   # --kg_flags: extra kg-server flags (e.g. --load_fresh=false)
KG_VERIFY = True


def run_kg(nt, work):
    data = os.path.join(work, "kg")
    out, seconds, rss = timed([os.path.join(ROOT, "build/server/kg-server"),
                               "--load=" + nt, "--load_document=wordnet",
                               "--data_dir=" + data] + KG_FLAGS)
    if not KG_VERIFY:
        # The load's own count: "N statements created".
        m = re.search(r"([\d,]+) statements created", out)
        if not m:
            sys.exit("kg-server --load printed no count:\n" + out)
        return dict(seconds=seconds, rss=rss, bytes=dir_bytes(data),
                    triples=int(m.group(1).replace(",", "")))
    verify = subprocess.run([os.path.join(ROOT, "build/server/kg-server"),
                             "--verify", "--data_dir=" + data],
                            capture_output=True, text=True)
    m = re.search(r"(\d+) statements", verify.stdout)
    if verify.returncode != 0 or not m:
        sys.exit("kg-server --verify failed:\n" + verify.stdout + verify.stderr)
    return dict(seconds=seconds, rss=rss, bytes=dir_bytes(data),
                triples=int(m.group(1)))


def nt_terms(line):
    """(subject, predicate, object) texts of an N-Triples line, or None."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    s, rest = line.split(" ", 1)
    p, rest = rest.split(" ", 1)
    o = rest.rstrip()
    if not o.endswith("."):
        sys.exit("not an N-Triples line: " + line)
    return s, p, o[:-1].rstrip()


def run_kuzu(nt, work):
    node_modules = os.path.join(ROOT, "bench/kuzu/node_modules/kuzu")
    if not os.path.isdir(node_modules):
        sys.exit("run (cd bench/kuzu && npm ci) first")
    terms_csv = os.path.join(work, "kuzu_terms.csv")
    triples_csv = os.path.join(work, "kuzu_triples.csv")
    ids = {}
    seen = set()  # a triple stated twice is one triple, as in RDF
    with open(nt, encoding="utf-8") as f, \
            open(triples_csv, "w", newline="", encoding="utf-8") as t:
        w = csv.writer(t)
        for line in f:
            spo = nt_terms(line)
            if spo is None or spo in seen:
                continue
            seen.add(spo)
            s, p, o = spo
            w.writerow([ids.setdefault(s, len(ids)), ids.setdefault(o, len(ids)),
                        p[1:-1]])
    with open(terms_csv, "w", newline="", encoding="utf-8") as t:
        w = csv.writer(t)
        for text, i in ids.items():
            w.writerow([i, text])
    db = os.path.join(work, "kuzu_db")
    out, _, rss = timed(["node", os.path.join(ROOT, "bench/kuzu/kuzu_load.js"),
                         db, terms_csv, triples_csv])
    r = json.loads(out.strip().splitlines()[-1])
    return dict(seconds=r["seconds"], rss=rss, bytes=dir_bytes(db)
                if os.path.isdir(db) else os.path.getsize(db),
                triples=r["triples"])


def run_oxigraph(nt, work):
    if not os.path.isdir(os.path.join(ROOT, "bench/oxigraph/node_modules")):
        sys.exit("run (cd bench/oxigraph && npm ci) first")
    out, _, rss = timed(["node", os.path.join(ROOT,
                                              "bench/oxigraph/oxigraph_load.js"),
                         nt])
    r = json.loads(out.strip().splitlines()[-1])
    return dict(seconds=r["seconds"], rss=rss, bytes=None, triples=r["triples"])


def run_virtuoso(nt, work):
    server = peers.Virtuoso(os.path.join(work, "virtuoso"),
                            [os.path.dirname(os.path.abspath(nt))])
    server.isql("checkpoint;")
    empty = server.db_bytes()
    graph = "http://kg.invalid/wordnet"
    seconds = server.load(nt, graph)
    triples = server.count(graph)
    rss = server.peak_rss_mb()
    server.stop()
    return dict(seconds=seconds, rss=rss, bytes=server.db_bytes() - empty,
                triples=triples)


ENGINES = {"kg": run_kg, "kuzu": run_kuzu, "oxigraph": run_oxigraph,
           "virtuoso": run_virtuoso}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nt", required=True, help="the N-Triples file")
    ap.add_argument("--work", required=True,
                    help="where the stores go (emptied first)")
    ap.add_argument("--engines", default="kg,kuzu,oxigraph,virtuoso")
    ap.add_argument("--kg_flags", default="",
                    help="extra kg-server flags, space-separated "
                    "(--load_fresh=false: the import instead of the fresh path)")
    ap.add_argument("--kg_count", choices=["verify", "load"], default="verify",
                    help="count kg's statements with kg-server --verify "
                    "(checks the store too; slow on 10M) or from the load's "
                    "summary")
    args = ap.parse_args()
    KG_FLAGS.extend(args.kg_flags.split())
    global KG_VERIFY
    KG_VERIFY = args.kg_count == "verify"
    engines = args.engines.split(",")
    for e in engines:
        if e not in ENGINES:
            sys.exit(f"--engines: unknown engine {e}")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    nt = os.path.abspath(args.nt)
    lines = sum(1 for line in open(nt, encoding="utf-8")
                if line.strip() and not line.startswith("#"))
    print(f"{nt}: {lines:,} triples", flush=True)
    results = {}
    for e in engines:
        print(f"loading into {e} ...", flush=True)
        results[e] = ENGINES[e](nt, args.work)
    base = results.get("kg")
    print()
    print("| engine | seconds | triples/s | peak RSS MB | bytes/triple on disk "
          "| triples counted | its rate ÷ kg's | its bytes ÷ kg's |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for e in engines:
        r = results[e]
        rate = lines / r["seconds"]
        bpt = r["bytes"] / lines if r["bytes"] is not None else None
        speed = (f"{base['seconds'] / r['seconds']:.2f}" if base and e != "kg"
                 else "")
        dens = (f"{bpt / (base['bytes'] / lines):.2f}"
                if base and e != "kg" and bpt is not None else "")
        print(f"| {e} | {r['seconds']:.1f} | {rate / 1000:.1f}k | "
              f"{r['rss']:.0f} | {f'{bpt:.1f}' if bpt is not None else 'in memory'} | "
              f"{r['triples']:,} | {speed} | {dens} |")
    counts = {e: r["triples"] for e, r in results.items()}
    if len(set(counts.values())) != 1:
        print(f"\ncounts differ: {counts} (the file has {lines:,} lines, "
              "duplicate triples included; kg counts statements, and a file "
              "exported from kg has its entities' rdf:type and rdfs:label as "
              "triples that kg reads back into entity records)")


if __name__ == "__main__":
    main()
