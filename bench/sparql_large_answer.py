#!/usr/bin/python3
"""How a large SPARQL answer streams: time to the first row, the whole
answer, and how much the server's memory grows (docs/benchmarks.md 11).

Starts kg-server on a store (built once from an N-Triples file with kgctl
import), runs one SELECT through kgctl in TSV, and reads the server's RSS
from /proc before and after, and its peak during the query (VmHWM, reset
through /proc/PID/clear_refs just before).

    python3 bench/make_wordnet_nt.py --out=/tmp/wn.nt
    bench/sparql_large_answer.py --nt=/tmp/wn.nt --data_dir=/tmp/wn_store
"""

import argparse
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def start(build, data_dir, port):
    log = open(os.path.join(data_dir + ".log"), "w")
    server = subprocess.Popen(
        [os.path.join(build, "server/kg-server"), "--no_auth",
         f"--listen=127.0.0.1:{port}", f"--data_dir={data_dir}"],
        stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        time.sleep(0.5)
        with open(data_dir + ".log") as f:
            if "listening on" in f.read():
                return server
    raise SystemExit("kg-server did not start: see " + data_dir + ".log")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nt", required=True, help="N-Triples file to load once")
    ap.add_argument("--data_dir", required=True)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument(
        "--query",
        default="SELECT ?s ?p ?o FROM <https://kg.invalid/document/wordnet> "
        "WHERE { ?s ?p ?o }")
    args = ap.parse_args()
    kgctl = os.path.join(args.build, "client/kgctl")
    port = free_port()
    fresh = not os.path.exists(args.data_dir)
    server = start(args.build, args.data_dir, port)
    try:
        if fresh:
            subprocess.run([kgctl, "--server", f"127.0.0.1:{port}", "--timeout",
                            "3000", "import", args.nt, "--document", "wordnet",
                            "--quiet"], check=True)
            server.terminate()
            server.wait()
            server = start(args.build, args.data_dir, port)
        # Reset the peak, so that it is the query's and not the start's.
        with open(f"/proc/{server.pid}/clear_refs", "w") as f:
            f.write("5")
        before = rss(server.pid, "VmRSS")
        t0 = time.time()
        p = subprocess.Popen([kgctl, "--server", f"127.0.0.1:{port}",
                              "--timeout", "3000", "query", "--format", "tsv",
                              args.query], stdout=subprocess.PIPE)
        p.stdout.readline()  # the header line
        p.stdout.readline()
        first = time.time() - t0
        rows = 1
        for _ in p.stdout:
            rows += 1
        whole = time.time() - t0
        p.wait()
        after = rss(server.pid, "VmRSS")
        peak = rss(server.pid, "VmHWM")
        print(f"query: {args.query}")
        print(f"rows: {rows:,}")
        print(f"first row after: {first * 1000:.0f} ms")
        print(f"whole answer (through kgctl, TSV): {whole:.2f} s")
        print(f"server RSS before/after: {before / 2**20:.0f} / "
              f"{after / 2**20:.0f} MiB; peak {peak / 2**20:.0f} MiB "
              f"(+{(peak - before) / 2**20:.0f} MiB)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
