#!/usr/bin/env bash
# Concurrent synced writers before and after group commit, side by side:
# builds storage_bench at BEFORE (default e3c8d5e, the last commit that
# serialised writers behind one fsync) in a git worktree with today's
# bench/storage_bench.cc, then runs BM_ConcurrentWriters (1, 4 and 16
# threads, single-statement batches, sync_writes on) on both builds,
# interleaved ROUNDS times (default 3), and prints each figure's median and
# the after/before ratio. Figures in docs/benchmarks.md.
#
#   bench/concurrent_writers_before_after.sh [BEFORE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BEFORE=${1:-e3c8d5e}
ROUNDS=${2:-3}
AFTER_BIN=$ROOT/build/bench/storage_bench
WT=$(mktemp -d "${TMPDIR:-/tmp}/kg-before.XXXXXX")
trap 'git -C "$ROOT" worktree remove --force "$WT" >/dev/null 2>&1 || true' EXIT

[ -x "$AFTER_BIN" ] || ./setup.sh build >/dev/null
git worktree add -q --detach "$WT" "$BEFORE"
cp bench/storage_bench.cc "$WT/bench/"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$WT" -B "$WT/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "${launcher[@]}" >/dev/null
cmake --build "$WT/build" --target storage_bench >/dev/null
BEFORE_BIN=$WT/build/bench/storage_bench

out=$(mktemp)
for ((i = 1; i <= ROUNDS; ++i)); do
  for side in before after; do
    bin=$BEFORE_BIN
    [ "$side" = after ] && bin=$AFTER_BIN
    "$bin" --benchmark_filter=ConcurrentWriters --kg_statements=1000 \
      --benchmark_format=csv 2>/dev/null |
      awk -F, -v side="$side" '/^"BM_ConcurrentWriters/ {
        match($1, /threads:[0-9]+/); t = substr($1, RSTART + 8, RLENGTH - 8);
        print side, t, $NF }' >>"$out"
  done
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
fig = {}
for side, threads, rate in rows:
    fig.setdefault((side, int(threads)), []).append(float(rate))
print("threads  before_stmts_per_s  after_stmts_per_s  after/before")
for t in sorted({k[1] for k in fig}):
    b = statistics.median(fig[("before", t)])
    a = statistics.median(fig[("after", t)])
    print(f"{t:7d}  {b:18.0f}  {a:17.0f}  {a / b:12.2f}")
PY
rm -f "$out"
