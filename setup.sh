#!/usr/bin/env bash
# kg's one entry point: installs what is missing, builds, and runs.
#
#   ./setup.sh run     install what serving needs, build kg-server and kgctl
#                      (Release), start kg-server on 127.0.0.1:50051 (gRPC)
#                      and 127.0.0.1:8080 (HTTP: the explorer at /,
#                      docs/explorer.md; docs/http.md)
#   ./setup.sh test    install, build, run the whole test suite under ctest
#   ./setup.sh build   install and build only
#   ./setup.sh fuzz [SECONDS]
#                      build the libFuzzer targets (clang, build-asan/) and run
#                      each for SECONDS (default 60) from its seed corpus;
#                      fails when one finds a crash (docs/fuzzing.md)
#
# Environment:
#   KG_BUILD_DIR   build directory (default: build, or build-asan with KG_SANITIZE=1
#                  and for fuzz)
#   KG_SANITIZE=1  build with clang, AddressSanitizer + UndefinedBehaviorSanitizer
#                  (and the fuzz targets)
#   KG_DATA_DIR    data directory for `run` (default: var/data in the checkout)
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$PWD

# What building and running kg-server and kgctl needs ...
RUN_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libabsl-dev libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  librocksdb-dev libssl-dev openssl
  libcli11-dev libre2-dev libcpp-httplib-dev
  golang-etcd-server-dev  # etcd's .proto files, for replica/'s client
)
# ... and what the tests, benchmarks, examples and fuzzers need besides.
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev libraptor2-dev
  python3-grpcio python3-protobuf python3-rdflib python3-sparqlwrapper
  clang libclang-rt-14-dev
  curl prometheus chromium
  etcd-server  # a real etcd for the replica tests
)

log() { printf 'setup: %s\n' "$*" >&2; }

# install_missing run|test: the packages that are not installed yet.
install_missing() {
  local packages=("${RUN_PACKAGES[@]}")
  [ "$1" = test ] && packages+=("${TEST_PACKAGES[@]}")
  local missing=()
  local pkg
  for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  # node and npm for the explorer's bundle (web/) and examples/node (the
  # build runs npm ci there). Checked by command, not package: NodeSource's
  # nodejs bundles npm and conflicts with Debian's npm package.
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# build run|test|fuzz: `run` builds only what serves (kg-server and kgctl),
# so the first answer comes as soon as possible; `test` builds everything;
# `fuzz` builds the sanitizer tree's libFuzzer targets.
#
# The sanitizer tree (KG_SANITIZE=1, and always for `fuzz`) is built by
# clang with ASan, UBSan and libFuzzer's coverage: the same objects serve
# the test suite and the fuzz targets.
build() {
  local what=$1
  local sanitize=${KG_SANITIZE:-0}
  [ "$what" = fuzz ] && sanitize=1
  local default_dir=build
  [ "$sanitize" = 1 ] && default_dir=build-asan
  BUILD_DIR=${KG_BUILD_DIR:-$ROOT/$default_dir}
  local args=(-G Ninja -DCMAKE_BUILD_TYPE="${KG_BUILD_TYPE:-Release}")
  if [ "$sanitize" = 1 ]; then
    args+=(-DKG_SANITIZE=ON -DKG_FUZZ=ON -DKG_BUILD_BENCH=OFF
           -DCMAKE_CXX_COMPILER=clang++)
    # A tree configured before the fuzz targets moved here (GCC, no
    # KG_FUZZ) is configured afresh.
    if [ -f "$BUILD_DIR/CMakeCache.txt" ] \
        && ! grep -q '^KG_FUZZ:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
      rm -rf "$BUILD_DIR/CMakeCache.txt" "$BUILD_DIR/CMakeFiles" "$BUILD_DIR/build.ninja"
    fi
  fi
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    local tests=ON
    [ "$what" = run ] && tests=OFF
    cmake -S "$ROOT" -B "$BUILD_DIR" "${args[@]}" -DKG_BUILD_TESTS=$tests >/dev/null
  elif [ "$what" = test ] && grep -q '^KG_BUILD_TESTS:BOOL=OFF' "$BUILD_DIR/CMakeCache.txt"; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DKG_BUILD_TESTS=ON >/dev/null
  fi
  case $what in
    run) cmake --build "$BUILD_DIR" --target kg-server kgctl -- -j"$(nproc)" ;;
    fuzz)
      local targets=()
      local t
      for t in "${FUZZ_TARGETS[@]}"; do targets+=("${t}_fuzzer"); done
      cmake --build "$BUILD_DIR" --target "${targets[@]}" -- -j"$(nproc)"
      ;;
    *) cmake --build "$BUILD_DIR" -- -j"$(nproc)" ;;
  esac
}

# The fuzz targets of fuzz/CMakeLists.txt.
FUZZ_TARGETS=(import_jsonl import_ntriples import_nquads request
              rdf_ntriples rdf_nquads rdf_turtle rdf_trig sparql_parser)

# The W3C RDF test suites beside the checkout (never copied into the
# repository) seed the rdf_* targets.
W3C_RDF_TESTS=$ROOT/../shared/w3c-rdf-tests/rdf

# Runs every target for $1 seconds on a scratch copy of its seed corpus and
# regressions (the repository is never written). A crash's input is kept in
# $BUILD_DIR/artifacts/<target>/.
run_fuzzers() {
  local seconds=$1
  local scratch
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/kg-fuzz.XXXXXX")
  local failed=()
  local t
  for t in "${FUZZ_TARGETS[@]}"; do
    local corpus=$scratch/$t
    local artifacts=$BUILD_DIR/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    find "$ROOT/fuzz/corpus/$t" "$ROOT/fuzz/regressions/$t" -maxdepth 1 \
      -type f ! -name '.*' -exec cp {} "$corpus/" \;
    local flags=()
    local extra=()
    case $t in
      import_jsonl) flags=(-dict="$ROOT/fuzz/dicts/import_jsonl.dict") ;;
      import_ntriples | import_nquads)
        flags=(-dict="$ROOT/fuzz/dicts/import_rdf.dict") ;;
      # libFuzzer's leak check after each input races with gRPC's server
      # threads, which still hold the call's objects (false reports that do
      # not reproduce); leaks on these paths are caught by the ASan test
      # suite, which checks at exit.
      request) flags=(-detect_leaks=0) ;;
      rdf_*)
        flags=(-dict="$ROOT/fuzz/dicts/rdf.dict")
        # The suites' files of this syntax, gathered by extension into one
        # more (read-only) corpus directory: their folders also hold
        # manifests of the other syntax and .zip/.tar.gz archives.
        local ext
        case $t in
          rdf_ntriples) ext=nt ;; rdf_nquads) ext=nq ;;
          rdf_turtle) ext=ttl ;; rdf_trig) ext=trig ;;
        esac
        if [ -d "$W3C_RDF_TESTS" ]; then
          mkdir -p "$scratch/$t.w3c"
          find "$W3C_RDF_TESTS" -type f -name "*.$ext" \
            -exec cp --backup=numbered {} "$scratch/$t.w3c/" \;
          extra=("$scratch/$t.w3c")
        else
          log "$W3C_RDF_TESTS not found: $t starts from fuzz/corpus/$t only"
        fi
        ;;
      sparql_parser)
        flags=(-dict="$ROOT/fuzz/dicts/sparql.dict")
        if [ -d "$W3C_RDF_TESTS/../sparql" ]; then
          mkdir -p "$scratch/$t.w3c"
          find "$W3C_RDF_TESTS/../sparql" -type f -name "*.rq" \
            -exec cp --backup=numbered {} "$scratch/$t.w3c/" \;
          extra=("$scratch/$t.w3c")
        fi
        ;;
    esac
    # KG_FUZZ_SEED fixes libFuzzer's random seed (.ci/run sets it, so that
    # CI runs stay close; timing still makes them differ); unset, each run
    # draws a fresh one.
    if [ -n "${KG_FUZZ_SEED:-}" ]; then flags+=(-seed="$KG_FUZZ_SEED"); fi
    log "fuzzing $t for ${seconds}s"
    if ! "$BUILD_DIR/fuzz/${t}_fuzzer" "$corpus" "${extra[@]}" "${flags[@]}" \
        -max_total_time="$seconds" \
        -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$scratch/$t.log" 2>&1; then
      failed+=("$t")
      grep -m1 -E '^INFO: Seed:' "$scratch/$t.log" >&2 || true
      tail -n 60 "$scratch/$t.log" >&2
      log "$t: crash; input in $artifacts/ (docs/fuzzing.md: reproduce, minimize, keep as a regression)"
    else
      grep -E '^#[0-9]+.*DONE' "$scratch/$t.log" \
        | sed "s/^/setup: $t: /" >&2 || true
    fi
  done
  rm -rf "$scratch"
  if [ ${#failed[@]} -gt 0 ]; then
    log "fuzzing found crashes in: ${failed[*]}"
    return 1
  fi
}

cmd=${1:-}
case "$cmd" in
  build)
    install_missing test
    build test
    ;;
  test)
    install_missing test
    build test
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 600
    ;;
  run)
    # The sanitizer tree is built by clang, one of the test packages.
    if [ "${KG_SANITIZE:-0}" = 1 ]; then install_missing test; else install_missing run; fi
    build run
    shift
    data_dir=${KG_DATA_DIR:-$ROOT/var/data}
    mkdir -p "$(dirname "$data_dir")"
    log "starting kg-server on 127.0.0.1:50051 (gRPC) and 127.0.0.1:8080 (HTTP; the explorer: http://127.0.0.1:8080/), data in $data_dir (Ctrl-C stops it)"
    exec "$BUILD_DIR/server/kg-server" --listen=127.0.0.1:50051 \
      --http_listen=127.0.0.1:8080 \
      --data_dir="$data_dir" --seed_file="$ROOT/data/seed.jsonl" --no_auth "$@"
    ;;
  fuzz)
    install_missing test
    build fuzz
    run_fuzzers "${2:-60}"
    ;;
  *)
    echo "usage: ./setup.sh run|test|build|fuzz [SECONDS]" >&2
    exit 2
    ;;
esac
