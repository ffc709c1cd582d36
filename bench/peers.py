"""The peers the side-by-side benchmarks start: Virtuoso (Debian's
virtuoso-opensource 7.2, a fresh database served on 127.0.0.1) and helpers
they share. Used by bench/load_side_by_side.py and
bench/sparql_side_by_side.py; not a script of its own.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_file_text(path, text, seconds=120, process=None):
    """Waits until `path` holds `text`; False after `seconds`, or as soon
    as `process` (a Popen) has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.2)
    return False


class Virtuoso:
    """A virtuoso-t on a fresh database in `vdir`, SQL (isql) and, with
    `http`, the SPARQL endpoint on loopback ports of its own. Files it may
    load must lie in `allowed_dirs`."""

    def __init__(self, vdir, allowed_dirs, http=False):
        if shutil.which("virtuoso-t") is None:
            sys.exit("virtuoso-t not found: apt-get install "
                     "virtuoso-opensource, or leave virtuoso out of --engines")
        os.makedirs(vdir)
        self.dir = vdir
        self.port = free_port()
        self.http_port = free_port() if http else 0
        http_section = f"""
[HTTPServer]
ServerPort = 127.0.0.1:{self.http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 8
MaxKeepAlives = 10
KeepAliveTimeout = 60
""" if http else ""
        # Buffers as Virtuoso's sample configuration sizes them for 8 GB of
        # memory; the SPARQL result cap raised above every answer here.
        with open(os.path.join(vdir, "virtuoso.ini"), "w") as f:
            f.write(f"""[Database]
DatabaseFile = {vdir}/virtuoso.db
ErrorLogFile = {vdir}/virtuoso.log
LockFile = {vdir}/virtuoso.lck
TransactionFile = {vdir}/virtuoso.trx
xa_persistent_file = {vdir}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {vdir}/virtuoso-temp.db
TransactionFile = {vdir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{self.port}
ServerThreads = 10
CheckpointInterval = 0
NumberOfBuffers = 680000
MaxDirtyBuffers = 500000
DirsAllowed = ., {", ".join(allowed_dirs)}, /usr/share/virtuoso-opensource-7/vad
{http_section}
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
""")
        self.process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", "virtuoso.ini"],
            cwd=vdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while self.isql("status();", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit("virtuoso-t did not start; see " + vdir +
                         "/virtuoso.log")
            time.sleep(0.5)

    def isql(self, sql, check=True):
        p = subprocess.run(["isql-vt", str(self.port), "dba", "dba",
                            "exec=" + sql], capture_output=True, text=True)
        if check and (p.returncode != 0 or "*** Error" in p.stdout + p.stderr):
            self.process.kill()
            sys.exit(f"isql failed on {sql}:\n{p.stdout}\n{p.stderr}")
        return p

    def db_bytes(self):
        return sum(os.path.getsize(os.path.join(self.dir, f))
                   for f in ("virtuoso.db", "virtuoso.trx"))

    def load(self, nt, graph):
        """Bulk-loads an N-Triples file into `graph` and checkpoints:
        seconds taken."""
        t0 = time.monotonic()
        self.isql(f"ld_dir('{os.path.dirname(os.path.abspath(nt))}', "
                  f"'{os.path.basename(nt)}', '{graph}'); "
                  "rdf_loader_run(); checkpoint;")
        seconds = time.monotonic() - t0
        errors = self.isql("SELECT ll_error FROM DB.DBA.load_list "
                           "WHERE ll_error IS NOT NULL;")
        if "0 Rows." not in errors.stdout:
            sys.exit("Virtuoso's loader reported errors:\n" + errors.stdout)
        return seconds

    def count(self, graph):
        p = self.isql(f"SPARQL SELECT COUNT(*) FROM <{graph}> "
                      "WHERE { ?s ?p ?o };")
        numbers = re.findall(r"^\s*(\d+)\s*$", p.stdout, re.M)
        return int(numbers[0]) if numbers else -1

    def peak_rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024

    def stop(self):
        self.isql("shutdown;", check=False)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
