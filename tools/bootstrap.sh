#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   tools/bootstrap.sh demo   install what is missing, build, run the default demo
#   tools/bootstrap.sh test   install what is missing, build, run every test
#   tools/bootstrap.sh build  install what is missing and build only
#   tools/bootstrap.sh robust install what is missing, build the asan-ubsan preset
#                             (build-asan/) and run every test under AddressSanitizer
#                             + UBSan, then fuzz every parser briefly (tools/fuzz.sh)
# Environment: BUILD_DIR (default build), BUILD_TYPE (default Release), JOBS (default nproc),
#   FUZZ_SECONDS (robust: seconds per fuzz target, default 12).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
what=${1:-demo}
build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-Release}
jobs=${JOBS:-$(nproc)}

install_missing() {
  mapfile -t pkgs < <(grep -v '^\s*#' tools/apt-packages.txt | grep -v '^\s*$')
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "bootstrap: all ${#pkgs[@]} Debian packages present"
    return
  fi
  echo "bootstrap: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "${missing[@]}"
}

build() {
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
  cmake --build "$build_dir" -j "$jobs"
}

install_missing
case "$what" in
  build) build ;;
  demo)
    build
    # The default demo: fixed-point sheaf training of the paraboloid task on
    # the SystemC model of a 4x4 mesh of edge PEs, compared with the float run.
    mkdir -p "$build_dir/demo"
    "$build_dir/sw/sheafsim" simulate --config configs/mesh-paraboloid.toml \
      --report "$build_dir/demo/mesh-report.json" --counters "$build_dir/demo/mesh-counters.csv" \
      --out-net "$build_dir/demo/mesh-net.json"
    echo "demo: reports in $build_dir/demo/"
    ;;
  test)
    build
    ctest --test-dir "$build_dir" -j "$jobs" --output-on-failure
    ;;
  robust)
    # Sanitizers: everything (library, CLI, SystemC model, verilated RTL, tests)
    # with -fsanitize=address,undefined; suppressions in tests/sanitizers/.
    cmake --preset asan-ubsan >/dev/null
    cmake --build --preset asan-ubsan -j "$jobs"
    ctest --preset asan-ubsan -j "$jobs"
    # Fuzzing: every parser from its seed corpus (docs/reliability.md).
    tools/fuzz.sh "${FUZZ_SECONDS:-12}"
    ;;
  *) echo "usage: tools/bootstrap.sh demo|test|build|robust" >&2; exit 2 ;;
esac
