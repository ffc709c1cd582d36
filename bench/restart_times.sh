#!/usr/bin/env bash
# Times kg-server's start after a clean stop (SIGTERM: the store is flushed,
# no write-ahead log is left) and after SIGKILL (the log is replayed), each
# on a store that has just imported STATEMENTS generated statements; or,
# with --store=DIR, the start of an existing store (three clean stops and
# starts, e.g. the 10M-statement store that bench/path_bench builds).
# Writes only under WORK_DIR (and, with --store, into that store).
# docs/operations.md "Restarts".
#
#   bench/restart_times.sh WORK_DIR [STATEMENTS]   # default 500000
#   bench/restart_times.sh WORK_DIR --store=/tmp/pb_10m
set -euo pipefail
WORK=${1:?usage: bench/restart_times.sh WORK_DIR [STATEMENTS | --store=DIR]}
N=${2:-500000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KGCTL=$ROOT/build/client/kgctl
SERVER=$ROOT/build/server/kg-server
mkdir -p "$WORK"
seconds() { date +%s.%N; }
start() {  # $1: data dir; sets PID, PORT and ELAPSED (seconds to serving)
  rm -f "$WORK/port"
  local t0; t0=$(seconds)
  "$SERVER" --listen=127.0.0.1:0 --port_file="$WORK/port" --data_dir="$1" \
    --no_auth > "$WORK/server.log" 2>&1 &
  PID=$!
  while [ ! -s "$WORK/port" ]; do sleep 0.01; done
  PORT=$(cat "$WORK/port")
  ELAPSED=$(echo "$(seconds) - $t0" | bc)
}
wal() { du -ch "$1"/*.log 2>/dev/null | tail -1 | cut -f1; }


if [[ "$N" == --store=* ]]; then
  STORE=${N#--store=}
  for i in 1 2 3; do
    start "$STORE"
    "$KGCTL" --server "127.0.0.1:$PORT" stats > /dev/null
    echo "start $i: serving after $ELAPSED s; log: $(wal "$STORE")"
    grep -o "[0-9,]* statements" "$WORK/server.log" | head -1
    t0=$(seconds); kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
    echo "start $i: the clean stop took $(echo "$(seconds) - $t0" | bc) s"
  done
  exit 0
fi

# N statements among 1,000 entities, one document.
/usr/bin/python3 - "$WORK/statements.jsonl" "$N" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write(json.dumps({"document": {"id": "d", "title": "D"}}) + "\n")
    f.write(json.dumps({"relation": {"id": "links_to", "label": "links to"}}) + "\n")
    for i in range(1000):
        f.write(json.dumps({"entity": {"id": f"e{i}", "label": f"E{i}", "type": "Thing"}}) + "\n")
    for k in range(n):
        i, j = k % 1000, k // 1000
        f.write(json.dumps({"statement": {
            "triple": {"subject": {"entity": f"e{i}"}, "relation": "links_to",
                       "object": {"entity": f"e{(i + j + 1) % 1000}"}},
            "provenance": [{"document_id": "d"}]}}) + "\n")
PY

for signal in TERM KILL; do
  data=$WORK/data-$signal
  rm -rf "$data"
  start "$data"
  "$KGCTL" --server "127.0.0.1:$PORT" --timeout 3000 import "$WORK/statements.jsonl" > /dev/null
  echo "SIG$signal: store $(du -sh "$data" | cut -f1), write-ahead log $(wal "$data")"
  t0=$(seconds); kill -"$signal" "$PID"; wait "$PID" 2>/dev/null || true
  echo "SIG$signal: the stop took $(echo "$(seconds) - $t0" | bc) s; log left: $(wal "$data")"
  start "$data"
  echo "SIG$signal: the next start served after $ELAPSED s"
  grep -o "[0-9,]* statements" "$WORK/server.log" | head -1
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
done
