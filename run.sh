#!/usr/bin/env bash
# pcirig: set up what is missing, build, then run one job.
#   ./run.sh stress [--config F] [--duration D] [--seed S] [--kernel K]   the main job (QEMU rig)
#   ./run.sh nightly [--plan F] [--hours H] [--parallel N] [--resume DIR] [--shard I/N] | nightly merge DIR... | history
#   ./run.sh fuzz [--variant V] [--time T] [--jobs J]   libFuzzer corpus run on the model
#   ./run.sh fuzz --target NAME [--time T] [--jobs J]   libFuzzer run on one parser of untrusted input
#   ./run.sh repro FILE|RUNDIR|BUNDLE [--attempts N] [--time-limit T] [--parallel P] [--minimize] | bundle RUNDIR [--with-kernel]
#   ./run.sh bench fuzz|rig|control|repro|hang|nightly --json FILE [...]   benchmarks that print figures
#   ./run.sh images [--kernel debian|fixed|regression[-lockdep|-kasan]]   build guest kernels and initramfs
#   ./run.sh images --kernel NAME --tree DIR | --image FILE | --source DIR|TAR [--patch P]...   your own kernel
#   ./run.sh compare --base K1 --candidate K2 [--config C] [--runs N] [--time T]   A/B verdict on two kernels
#   ./run.sh check VARIANT|fuzz/variants/F.cc [--time T] [--bound K]   the model's verdict on a variant (a patch)
#   ./run.sh golden [KIND...]       capture real crash consoles from the guest (crash test module)
#   ./run.sh test                    the test suite (ctest)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
export PCIRIG_ROOT="$here"
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"

# Debian packages everything here needs; installed only when missing.
# tests/setup/package_coverage_test.sh fails when a tool or a library that the
# presets or the scripts use is not pulled in by this list.
packages=(
  # the CMake presets: default and release with g++, fuzz with clang-14 and libFuzzer
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev llvm-14 lld-14
  libboost1.81-dev libboost-filesystem1.81-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libsqlite3-dev libgtest-dev libgmock-dev googletest
  # the rig and the guest images: guest-images/build.sh, testmod/build.sh, capture-golden.sh
  qemu-system-x86 qemu-utils busybox-static cpio xz-utils zstd kmod file jq
  # the control kernels: guest-images/control/build-kernel.sh
  linux-source-6.1 bc bison flex libelf-dev libssl-dev dwarves patch
  # the package coverage test reads the scripts with shfmt
  shfmt
  # the nightly campaign's tests: the history's CLI, the report in a headless browser, the Slurm array
  sqlite3 chromium slurm-wlm munge
)

log() { printf '[run.sh] %s\n' "$*" >&2; }

setup_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    log "not root: install these packages first: ${missing[*]}"; exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {  # build PRESET [targets...]
  local preset=$1; shift
  if [ ! -f "build/$preset/build.ninja" ]; then
    cmake --preset "$preset" >/dev/null
  fi
  cmake --build --preset "$preset" -j "$(nproc)" ${1:+--target "$@"}
}

# The guest image a rig command will boot: its --kernel NAME (a path to an
# image.json is used as it is, so there is nothing to build).
ensure_image() {
  local k=debian
  while [ $# -gt 0 ]; do
    case "$1" in
      --kernel) k=${2:-debian}; shift ;;
      --kernel=*) k=${1#--kernel=} ;;
    esac
    shift
  done
  case "$k" in */*|*.json) return 0 ;; esac
  guest-images/build.sh --kernel "$k" --if-needed
}

model=build/default/fuzz/pcirig-model
rig=build/default/rig/pcirig

cmd=${1:-help}; [ $# -gt 0 ] && shift
case "$cmd" in
  nightly)  # libFuzzer cells run fuzz/scripts/fuzz.sh: the fuzz preset too; kernels are built by the campaign
    setup_packages; build default; build fuzz
    exec "$rig" nightly "$@" ;;
  history)
    setup_packages; build default
    exec "$rig" history "$@" ;;
  stress)
    setup_packages; build default
    # A bad config or option stops here, before an image is built or downloaded.
    "$rig" stress --check-only "$@" >/dev/null
    ensure_image "$@"
    exec "$rig" stress "$@" ;;
  images)
    setup_packages; build default
    exec guest-images/build.sh "$@" ;;
  compare)  # the kernels are built (or packed from a tree or image) by pcirig itself
    setup_packages; build default
    "$rig" compare --check-only "$@" >/dev/null
    exec "$rig" compare "$@" ;;
  golden)
    setup_packages; build default
    exec guest-images/capture-golden.sh "$@" ;;
  fuzz)
    setup_packages
    case " $* " in *" --target "*)  # a parser target (docs/fuzzing.md)
      build fuzz; exec rig/fuzz/run-target.sh "$@" ;;
    esac
    build default pcirig-model; build fuzz
    exec fuzz/scripts/fuzz.sh "$@" ;;
  repro)
    setup_packages; build default
    target=${1:?usage: ./run.sh repro FILE|RUNDIR|BUNDLE [--attempts N] [--time-limit T] [--parallel P] [--minimize]}
    # A run directory or crash bundle: the rig (docs/repro.md); a file: the model's exact replay.
    if [ -d "$target" ]; then exec "$rig" repro "$@"; else exec "$model" repro "$@"; fi ;;
  bundle)
    setup_packages; build default
    exec "$rig" bundle "$@" ;;
  check)  # one verdict on a model variant; a new fuzz/variants/*.cc is compiled in by the build
    setup_packages; build default pcirig-model
    v=${1:?usage: ./run.sh check VARIANT|fuzz/variants/FILE.cc [--time T] [--bound K] [--access-only]}; shift
    if [ -f "$v" ]; then  # a variant file: the name it registers (the first string after PCIRIG_REGISTER_VARIANT)
      f=$v; v=$(sed -n '/PCIRIG_REGISTER_VARIANT/,/"/s/^[^"]*"\([^"]*\)".*/\1/p' "$f" | head -1)
      [ -n "$v" ] || { log "$f registers no variant (PCIRIG_REGISTER_VARIANT)"; exit 2; }
    fi
    exec "$model" check -v "$v" "$@" ;;
  bench)
    what=${1:?usage: ./run.sh bench fuzz|rig|control|repro|hang|nightly --json FILE}; shift
    setup_packages
    case "$what" in
      fuzz) build release pcirig-model; build fuzz; exec fuzz/scripts/bench.sh "$@" ;;
      rig) build default; "$rig" bench rig --check-only "$@" >/dev/null
        ensure_image "$@"; exec "$rig" bench rig "$@" ;;
      control) build default; "$rig" bench control --check-only "$@" >/dev/null
        ensure_image --kernel fixed; ensure_image --kernel regression
        exec "$rig" bench control "$@" ;;
      repro) build default; "$rig" bench repro --check-only "$@" >/dev/null
        case " $* " in *" --from "*) ;; *) ensure_image --kernel regression "$@" ;; esac
        exec "$rig" bench repro "$@" ;;
      hang) build default  # the deadlocks need lockdep and the crash test module: an image carrying it
        image=$(guest-images/testmod/image.sh --kernel "${PCIRIG_HANG_KERNEL:-fixed-lockdep+crashtest}")
        exec "$rig" bench hang --kernel "$image" "$@" ;;
      nightly) build default  # a campaign: it builds the plan's kernels itself, as nightly does
        exec "$rig" bench nightly "$@" ;;
      *) log "unknown benchmark: $what (fuzz, rig, control, repro, hang, nightly)"; exit 2 ;;
    esac ;;
  test)
    setup_packages; build default
    build fuzz pcirig-fuzz-smoke  # the libFuzzer binaries the tests labelled fuzz run (docs/fuzzing.md)
    guest-images/build.sh --if-needed
    exec ctest --preset default "$@" ;;
  help|-h|--help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' ;;
  *)
    log "unknown command: $cmd"; sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
