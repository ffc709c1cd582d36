#!/usr/bin/env bash
# kg's one entry point: installs what is missing, builds, and runs.
#
#   ./setup.sh run     install, build (Release), start kg-server on 127.0.0.1:50051
#   ./setup.sh test    install, build, run the whole test suite under ctest
#   ./setup.sh build   install and build only
#
# Environment:
#   KG_BUILD_DIR   build directory (default: build, or build-asan with KG_SANITIZE=1)
#   KG_SANITIZE=1  build with AddressSanitizer + UndefinedBehaviorSanitizer
#   KG_DATA_DIR    data directory for `run` (default: var/data in the checkout)
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$PWD

PACKAGES=(
  cmake ninja-build g++ pkg-config
  libabsl-dev libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  librocksdb-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libserd-dev raptor2-utils
  python3-grpcio python3-protobuf
)

log() { printf 'setup: %s\n' "$*" >&2; }

install_missing() {
  local missing=()
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  # node and npm for examples/node (the build runs npm ci there). Checked
  # by command, not package: NodeSource's nodejs bundles npm and conflicts
  # with Debian's npm package.
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

build() {
  local sanitize=${KG_SANITIZE:-0}
  local default_dir=build
  [ "$sanitize" = 1 ] && default_dir=build-asan
  BUILD_DIR=${KG_BUILD_DIR:-$ROOT/$default_dir}
  local args=(-G Ninja -DCMAKE_BUILD_TYPE="${KG_BUILD_TYPE:-Release}")
  [ "$sanitize" = 1 ] && args+=(-DKG_SANITIZE=ON -DKG_BUILD_BENCH=OFF)
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" "${args[@]}" >/dev/null
  fi
  cmake --build "$BUILD_DIR" -- -j"$(nproc)"
}

cmd=${1:-}
case "$cmd" in
  build)
    install_missing
    build
    ;;
  test)
    install_missing
    build
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 600
    ;;
  run)
    install_missing
    build
    shift
    data_dir=${KG_DATA_DIR:-$ROOT/var/data}
    mkdir -p "$(dirname "$data_dir")"
    log "starting kg-server on 127.0.0.1:50051, data in $data_dir (Ctrl-C stops it)"
    exec "$BUILD_DIR/server/kg-server" --listen=127.0.0.1:50051 \
      --data_dir="$data_dir" --seed_file="$ROOT/data/seed.jsonl" --no_auth "$@"
    ;;
  *)
    echo "usage: ./setup.sh run|test|build" >&2
    exit 2
    ;;
esac
