#!/usr/bin/env bash
# A replica set next to a server alone, on this machine (docs/benchmarks.md
# §26): three etcd members, two kg-servers in one replica set (the first
# started is the writer) and one kg-server in none, then
# build/bench/replica_bench against them: replicated ingest over ingest
# alone, follower reads over reads alone, and replication lag at a steady
# rate. Writes only under WORK_DIR; stops everything it started.
#
#   bench/replica_bench.sh WORK_DIR [replica_bench flags, e.g. --rate=1000]
set -euo pipefail
WORK=${1:?usage: bench/replica_bench.sh WORK_DIR [replica_bench flags]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER=$ROOT/build/server/kg-server
KGCTL=$ROOT/build/client/kgctl
BENCH=$ROOT/build/bench/replica_bench
rm -rf "$WORK" && mkdir -p "$WORK"
PIDS=()
cleanup() {
  kill "${PIDS[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

declare -a CLIENT PEER
INITIAL="" ENDPOINTS=""
for i in 0 1 2; do
  CLIENT[$i]=$(free_port)
  PEER[$i]=$(free_port)
  INITIAL+="${INITIAL:+,}m$i=http://127.0.0.1:${PEER[$i]}"
  ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:${CLIENT[$i]}"
done
for i in 0 1 2; do
  /usr/bin/etcd --name "m$i" --data-dir "$WORK/etcd$i" \
    --listen-client-urls "http://127.0.0.1:${CLIENT[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${CLIENT[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${PEER[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${PEER[$i]}" \
    --initial-cluster "$INITIAL" --initial-cluster-state new \
    --logger zap --log-level warn > "$WORK/etcd$i.log" 2>&1 &
  PIDS+=($!)
done

# The members elect a leader before a kg-server may use them (a replica
# that finds no etcd answering at start exits).
for _ in $(seq 300); do  # 30 s
  curl -s "http://127.0.0.1:${CLIENT[0]}/health" | grep -q '"health":"true"' &&
    break
  sleep 0.1
done

start() {  # $1: name, then kg-server flags; sets ADDRESS
  local name=$1
  shift
  "$SERVER" --listen=127.0.0.1:0 --port_file="$WORK/$name.port" \
    --data_dir="$WORK/$name" --no_auth "$@" > "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 600); do  # 30 s
    [ -s "$WORK/$name.port" ] && break
    sleep 0.05
  done
  [ -s "$WORK/$name.port" ] || { echo "$name did not start: $WORK/$name.log" >&2; exit 1; }
  ADDRESS="127.0.0.1:$(cat "$WORK/$name.port")"
}
start alone
SINGLE=$ADDRESS
start a --etcd_endpoints="$ENDPOINTS" --cluster=bench --member=a
WRITER=$ADDRESS
for _ in $(seq 300); do  # 30 s
  "$KGCTL" --server "$WRITER" cluster status 2>/dev/null |
    grep -q "^writer *a at" && break
  sleep 0.1
done
start b --etcd_endpoints="$ENDPOINTS" --cluster=bench --member=b
FOLLOWER=$ADDRESS
"$KGCTL" --server "$FOLLOWER" cluster status
echo
"$BENCH" --writer="$WRITER" --follower="$FOLLOWER" --single="$SINGLE" "$@"

# A bulk import (past --bulk_import_statements: SST files ingested at once)
# into the server alone and into the set, where it is logged by reference
# and the follower fetches its payload from the writer; then the time until
# the follower holds it (docs/replicas.md, "Entries by reference").
NT="$WORK/bulk.nt"
awk 'BEGIN { for (i = 0; i < 200000; i++)
  printf "<http://example.org/s%d> <http://example.org/p%d> <http://example.org/o%d> .\n",
    i, i % 50, i % 9973 }' > "$NT"
now() { date +%s.%N; }
statements() { "$KGCTL" --server "$1" --json stats | grep -o '"statements":"[0-9]*"'; }
t0=$(now)
"$KGCTL" --server "$SINGLE" --timeout 600 import "$NT" --document bulk > /dev/null
t1=$(now)
"$KGCTL" --server "$WRITER" --timeout 600 import "$NT" --document bulk > /dev/null
t2=$(now)
target=$(statements "$WRITER")
for _ in $(seq 6000); do  # 300 s
  [ "$(statements "$FOLLOWER")" = "$target" ] && break
  sleep 0.05
done
t3=$(now)
[ "$(statements "$FOLLOWER")" = "$target" ] || echo "the follower did not catch up" >&2
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
  printf "bulk import of 200,000 triples: alone %.2f s, replica set %.2f s (%.2f of the single server'"'"'s rate); on the follower %.2f s after the acknowledgement\n",
    b - a, c - b, (b - a) / (c - b), d - c }'
