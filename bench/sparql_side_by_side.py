#!/usr/bin/python3
"""SPARQL on WordNet 3.0 in kg, Virtuoso and Oxigraph, side by side.

    ./setup.sh build && (cd bench/oxigraph && npm ci)
    apt-get install wordnet-base virtuoso-opensource
    bench/sparql_side_by_side.py --work=/tmp/sparql_sbs      # ~5 min

The data: WordNet 3.0 from Debian's wordnet-base, converted by
bench/wordnet_to_kg.py (117,659 synsets, 364,543 pointer statements, one
provenance record each) and loaded into kg with kg-server --load. kg's RDF
view of that store, exported by `kgctl export --format nt` (3.5M triples:
labels, types, the pointers, each statement's reifier and its provenance
record), is what Virtuoso (Debian's 7.2, on 127.0.0.1) and Oxigraph (npm
0.5, in memory) load, so that every engine holds the same triples. Virtuoso
7.2 predates RDF 1.2: it gets the file without the rdf:reifies triples,
whose objects are triple terms, and the query that needs them is not run
there. Built once under --work and reused.

Each query runs --warmup times untimed, then --runs times (1 and 5 when
kg takes over a second), one at a time, in each engine in turn; the rows of the last run are compared with kg's (as
multisets; numbers by value). kg answers over HTTP (its SPARQL endpoint,
JSON results, one kept-alive connection, as Virtuoso is asked) and over
gRPC (the Query rpc from Python, and from C++ with
build/bench/sparql_grpc_latency when it is built: the server's and the
wire's time without Python's client cost; its rows are counted, not
compared); Oxigraph in its own process, in memory, timed around query and
reading every row.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

import peers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "build/examples/python"))

PREFIXES = """PREFIX e: <https://kg.invalid/entity/>
PREFIX r: <https://kg.invalid/relation/>
PREFIX t: <https://kg.invalid/type/>
PREFIX kg: <https://kg.invalid/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""

# (name, query, engines that can run it). dog.n.01 is n02084071; its
# hyponym poodle.n.01 is n02113335.
QUERIES = [
    ("lookup by IRI", "SELECT ?p ?o WHERE { e:n02084071 ?p ?o }", None),
    ("star of 3", "SELECT ?s ?l WHERE { ?s r:hypernym e:n02084071 ; "
     "rdf:type t:NounSynset ; rdfs:label ?l }", None),
    ("star of 5", "SELECT ?s ?l ?h ?m WHERE { ?s rdf:type t:NounSynset ; "
     "rdfs:label ?l ; r:hypernym ?h ; r:member_holonym ?m ; "
     "r:part_meronym ?x }", None),
    ("4-hop chain", "SELECT ?a ?b ?c ?d ?l WHERE { e:n02113335 r:hypernym ?a . "
     "?a r:hypernym ?b . ?b r:hypernym ?c . ?c r:hypernym ?d . "
     "?d rdfs:label ?l }", None),
    ("OPTIONAL", "SELECT ?s ?l ?m WHERE { ?s r:hypernym e:n02084071 ; "
     "rdfs:label ?l OPTIONAL { ?s r:member_holonym ?m } }", None),
    ("FILTER regex", "SELECT ?s ?l WHERE { ?s rdfs:label ?l "
     "FILTER regex(?l, \"^dog\\\\.\") }", None),
    ("GROUP BY, COUNT", "SELECT ?h (COUNT(?s) AS ?n) WHERE { ?s r:hypernym ?h } "
     "GROUP BY ?h ORDER BY DESC(?n) ?h LIMIT 10", None),
    ("ORDER BY, LIMIT", "SELECT ?s ?l WHERE { ?s rdf:type t:VerbSynset ; "
     "rdfs:label ?l } ORDER BY ?l LIMIT 10", None),
    ("hypernym+ from a node", "SELECT ?h ?l WHERE { e:n02113335 r:hypernym+ ?h . "
     "?h rdfs:label ?l }", None),
    ("triple-term join", "SELECT ?st ?s ?l WHERE { ?st rdf:reifies "
     "<<( ?s r:hypernym e:n02084071 )>> . ?s rdfs:label ?l }",
     {"kg http", "kg grpc", "kg grpc c++", "oxigraph"}),
    ("COUNT", "SELECT (COUNT(*) AS ?n) WHERE { ?s r:hyponym ?o }", None),
    ("DISTINCT", "SELECT DISTINCT ?t WHERE { ?s rdf:type ?t }", None),
    ("paths with evidence (kg:paths)", "SELECT ?hop ?a ?b ?st WHERE { "
     "SERVICE kg:paths { [] kg:from e:n02113335 ; kg:to e:n02121620 ; "
     "kg:direction \"both\" ; kg:hop ?hop ; kg:hopFrom ?a ; kg:hopTo ?b ; "
     "kg:statement ?st } }", {"kg http", "kg grpc", "kg grpc c++"}),
]

NUMERIC = ("integer", "int", "long", "decimal", "double", "float", "short",
           "nonNegativeInteger")


def literal(value, datatype, language):
    if language:
        return f"{json.dumps(value)}@{language}"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    if not datatype or datatype == xsd + "string":
        return json.dumps(value)
    if datatype.startswith(xsd) and datatype[len(xsd):] in NUMERIC:
        return "n:" + repr(float(value))  # by value: 17, "17"^^xsd:int, 17.0
    return f"{json.dumps(value)}^^<{datatype}>"


def json_term(t):
    """A term of SPARQL JSON results (kg's and Virtuoso's) as a string."""
    if t is None:
        return None
    if t["type"] == "uri":
        return f"<{t['value']}>"
    if t["type"] == "bnode":
        return "_:"
    if t["type"] == "triple":
        v = t["value"]
        return (f"<<( {json_term(v['subject'])} {json_term(v['predicate'])} "
                f"{json_term(v['object'])} )>>")
    return literal(t["value"], t.get("datatype"), t.get("xml:lang"))


def proto_term(t):
    kind = t.WhichOneof("kind")
    if kind is None:
        return None
    if kind == "iri":
        return f"<{t.iri}>"
    if kind == "blank_node":
        return "_:"
    if kind == "triple":
        return (f"<<( {proto_term(t.triple.subject)} "
                f"{proto_term(t.triple.predicate)} "
                f"{proto_term(t.triple.object)} )>>")
    return literal(t.literal.lexical_form, t.literal.datatype,
                   t.literal.language)


def ox_term(s):
    if s is None or not s.startswith('"'):
        return s
    # Oxigraph's form is N-Triples-like: "lex", "lex"@l, "lex"^^<dt>.
    end = s.rindex('"')
    value = json.loads(s[:end + 1])
    rest = s[end + 1:]
    if rest.startswith("@"):
        return literal(value, None, rest[1:])
    return literal(value, rest[3:-1] if rest.startswith("^^") else None, None)


class HttpSparql:
    def __init__(self, port, path):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.path = path

    def run(self, query):
        url = self.path + "?" + urllib.parse.urlencode({"query": query})
        headers = {"Accept": "application/sparql-results+json"}
        try:
            self.conn.request("GET", url, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closed an idle kept-alive connection: once more on
            # a new one.
            self.conn.close()
            self.conn.request("GET", url, headers=headers)
            response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:300]!r}")
        doc = json.loads(body)
        names = doc["head"]["vars"]
        return [tuple(json_term(b.get(n)) for n in names)
                for b in doc["results"]["bindings"]], names


class KgGrpc:
    def __init__(self, port):
        import grpc
        from kg.v1 import kg_pb2, kg_pb2_grpc
        self.kg_pb2 = kg_pb2
        self.stub = kg_pb2_grpc.KnowledgeGraphStub(
            grpc.insecure_channel(f"127.0.0.1:{port}"))

    def run(self, query):
        names, rows = [], []
        for part in self.stub.Query(self.kg_pb2.QueryRequest(query=query)):
            which = part.WhichOneof("part")
            if which == "header":
                names = list(part.header.variables)
            elif which == "rows":
                for row in part.rows.rows:
                    rows.append(tuple(proto_term(v) for v in row.values))
        return rows, names


class Oxigraph:
    def __init__(self, nt):
        env = dict(os.environ,
                   NODE_PATH=os.path.join(ROOT, "bench/oxigraph/node_modules"))
        self.process = subprocess.Popen(
            ["node", os.path.join(ROOT, "bench/oxigraph/oxigraph_sparql.js"), nt],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.loaded = json.loads(self.process.stdout.readline())

    def runs(self, query, runs):
        self.process.stdin.write(json.dumps({"query": query, "runs": runs}) + "\n")
        self.process.stdin.flush()
        r = json.loads(self.process.stdout.readline())
        if "error" in r:
            raise RuntimeError(r["error"])
        return r["ms"], r["rows"]


def timed_runs(run, query, warmup, runs):
    for _ in range(warmup):
        run(query)
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        rows, names = run(query)
        ms.append((time.perf_counter() - t0) * 1000)
    return ms, rows, names


def p(ms, q):
    ms = sorted(ms)
    return ms[min(len(ms) - 1, int(q * len(ms)))]


def build_data(work):
    """WordNet in kg (work/kg) and as N-Triples (work/wordnet.nt, and
    work/wordnet_rdf11.nt without triple terms), made once."""
    jsonl = os.path.join(work, "wordnet.jsonl")
    if not os.path.exists(jsonl):
        subprocess.run(["/usr/bin/python3",
                        os.path.join(ROOT, "bench/wordnet_to_kg.py"),
                        "--out=" + work], check=True)
    store = os.path.join(work, "kg")
    if not os.path.exists(store):
        subprocess.run([os.path.join(ROOT, "build/server/kg-server"),
                        "--load=" + jsonl, "--data_dir=" + store], check=True)
    nt = os.path.join(work, "wordnet.nt")
    if not os.path.exists(nt):
        server, port, _ = start_kg(work)
        subprocess.run([os.path.join(ROOT, "build/client/kgctl"), "--server",
                        f"127.0.0.1:{port}", "--timeout", "600", "export",
                        "--format", "nt", "--output", nt], check=True)
        server.terminate()
        server.wait()
    nt11 = os.path.join(work, "wordnet_rdf11.nt")
    if not os.path.exists(nt11):
        with open(nt) as f, open(nt11, "w") as out:
            for line in f:
                if "<<(" not in line:
                    out.write(line)
    return nt, nt11


def start_kg(work):
    port, http_port = peers.free_port(), peers.free_port()
    log = os.path.join(work, "kg-server.log")
    server = subprocess.Popen(
        [os.path.join(ROOT, "build/server/kg-server"), "--no_auth",
         f"--listen=127.0.0.1:{port}", f"--http_listen=127.0.0.1:{http_port}",
         "--data_dir=" + os.path.join(work, "kg")],
        stdout=open(log, "w"), stderr=subprocess.STDOUT)
    if not peers.wait_for_file_text(log, "listening on", process=server):
        sys.exit("kg-server did not start: see " + log)
    return server, port, http_port


def cpp_latency(binary, port, work, name, query, warmup, runs):
    """p50 and p99 ms of `query` from bench/sparql_grpc_latency.cc."""
    path = os.path.join(work, "query.tsv")
    with open(path, "w") as f:
        f.write(name + "\t" + " ".join(query.split("\n")) + "\n")
    out = subprocess.run(
        [binary, f"--server=127.0.0.1:{port}", f"--queries={path}",
         f"--runs={runs}", f"--warmup={warmup}"],
        capture_output=True, text=True)
    fields = out.stdout.strip().split("\t")
    if out.returncode != 0 or len(fields) != 4:
        raise RuntimeError((out.stdout + out.stderr).strip())
    return float(fields[2]), float(fields[3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True,
                    help="where the data and stores go (reused)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--engines", default="kg,virtuoso,oxigraph")
    args = ap.parse_args()
    engines = args.engines.split(",")
    os.makedirs(args.work, exist_ok=True)
    nt, nt11 = build_data(args.work)

    runners = {}
    server, port, http_port = start_kg(args.work)
    time.sleep(3)  # the compact adjacency is built in the background
    runners["kg http"] = HttpSparql(http_port, "/sparql").run
    runners["kg grpc"] = KgGrpc(port).run
    virtuoso = None
    if "virtuoso" in engines:
        vdir = os.path.join(args.work, "virtuoso")
        if os.path.exists(vdir):
            subprocess.run(["rm", "-rf", vdir], check=True)
        virtuoso = peers.Virtuoso(vdir, [args.work], http=True)
        seconds = virtuoso.load(nt11, "https://kg.invalid/wordnet")
        print(f"virtuoso: loaded {virtuoso.count('https://kg.invalid/wordnet'):,}"
              f" triples in {seconds:.1f} s", flush=True)
        runners["virtuoso"] = HttpSparql(virtuoso.http_port, "/sparql").run
    oxigraph = None
    if "oxigraph" in engines:
        oxigraph = Oxigraph(nt)
        print(f"oxigraph: loaded {oxigraph.loaded['loaded']:,} triples in "
              f"{oxigraph.loaded['seconds']:.1f} s", flush=True)

    cpp = os.path.join(ROOT, "build/bench/sparql_grpc_latency")
    columns = ["kg http", "kg grpc"] + (["kg grpc c++"] if os.path.exists(cpp)
                                        else []) + [
        e for e in ("virtuoso", "oxigraph") if e in engines]
    print()
    print("| query | rows | " + " | ".join(f"{c} p50 / p99 ms" for c in columns)
          + " | kg http ÷ virtuoso (p50) | answers agree |")
    print("| --- | --- | " + " | ".join("---" for _ in columns) + " | --- | --- |")
    for name, body, only in QUERIES:
        query = PREFIXES + body
        cells, agree, reference, p50 = [], [], None, {}
        # A query kg takes over a second on runs 5 times after 1 warm-up.
        t0 = time.perf_counter()
        runners["kg grpc"](query)
        slow = time.perf_counter() - t0 > 1.0
        warmup, runs = (1, 5) if slow else (args.warmup, args.runs)
        for c in columns:
            if only is not None and c not in only:
                cells.append("n/a")
                continue
            try:
                if c == "kg grpc c++":
                    # Timed by the C++ client itself; its rows are counted,
                    # not compared.
                    ms_p50, ms_p99 = cpp_latency(cpp, port, args.work, name,
                                                 query, warmup, runs)
                    p50[c] = ms_p50
                    cells.append(f"{ms_p50:.2f} / {ms_p99:.2f}")
                    continue
                if c == "oxigraph":
                    ms, rows = oxigraph.runs(query, warmup + runs)
                    ms = ms[warmup:]
                    names = list(rows[0].keys()) if rows else []
                    rows = [tuple(ox_term(r.get(n)) for n in reference[1])
                            for r in rows] if reference else []
                else:
                    ms, rows, names = timed_runs(runners[c], query, warmup,
                                                 runs)
            except Exception as e:  # a peer's refusal is a cell, not a stop
                cells.append("error: " + str(e)[:60].replace("|", "/"))
                agree.append(f"{c}: error")
                continue
            p50[c] = p(ms, 0.5)
            cells.append(f"{p(ms, 0.5):.2f} / {p(ms, 0.99):.2f}")
            if reference is None:
                reference = (sorted(rows, key=str), names)
            elif sorted(rows, key=str) != reference[0]:
                agree.append(f"{c}: {len(rows)} rows differ")
        ratio = (f"{p50['kg http'] / p50['virtuoso']:.2f}"
                 if "kg http" in p50 and "virtuoso" in p50 else "")
        rows_n = len(reference[0]) if reference else 0
        print(f"| {name} | {rows_n} | " + " | ".join(cells) +
              f" | {ratio} | {'yes' if not agree else '; '.join(agree)} |",
              flush=True)

    server.terminate()
    server.wait()
    if virtuoso:
        virtuoso.stop()
    if oxigraph:
        oxigraph.process.stdin.close()
        oxigraph.process.wait()


if __name__ == "__main__":
    main()
