#!/usr/bin/env bash
# Builds pcirig_crashtest.ko against the Debian guest kernel's own headers
# (linux-headers-RELEASE, -common and linux-kbuild, downloaded into the cache
# and unpacked, never installed), or with --control against a control kernel's
# build tree (its kernel.json names the tree; the kernel needs CONFIG_MODULES,
# the "crashtest" flavour). Prints the module's path on stdout.
#   guest-images/testmod/build.sh [--control KERNEL_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images=$(cd "$here/.." && pwd)
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"
source "$images/lib/common.sh"
source "$images/lib/debian-kernel.sh"

control=
case "${1:-}" in
  --control) control=${2:?--control needs a kernel directory (with kernel.json)} ;;
  "") ;;
  *) die "unknown argument '$1' (usage: build.sh [--control KERNEL_DIR])" ;;
esac

mkdir -p "$PCIRIG_CACHE"
exec 9>"$PCIRIG_CACHE/.testmod.lock"
flock 9

# Kbuild writes its objects next to the sources: build in a scratch copy.
# Source paths in BUG()/WARN() reports name the tree, not the scratch dir,
# so captured logs are the same from one build to the next.
build_module() {  # KERNEL_TREE OUT SOURCE_HASH [MAKE_ARGS...]
  local kdir=$1 out=$2 hash=$3; shift 3
  if [ -f "$out/pcirig_crashtest.ko" ] && [ "$(cat "$out/source.sha256" 2>/dev/null)" = "$hash" ]; then
    printf '%s\n' "$out/pcirig_crashtest.ko"
    return
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-testmod.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  cp "$here/pcirig_crashtest.c" "$here/Kbuild" "$work/"
  log "building pcirig_crashtest.ko against $kdir"
  if ! make -C "$kdir" M="$work" KCFLAGS="-fmacro-prefix-map=$work/=guest-images/testmod/" "$@" \
       modules >"$work/make.log" 2>&1; then
    tail -30 "$work/make.log" >&2
    die "building pcirig_crashtest.ko failed"
  fi
  mkdir -p "$out"
  cp "$work/pcirig_crashtest.ko" "$out/"
  printf '%s\n' "$hash" >"$out/source.sha256"
  printf '%s\n' "$out/pcirig_crashtest.ko"
}

if [ -n "$control" ]; then
  kjson="$control/kernel.json"
  [ -f "$kjson" ] || die "$kjson not found: build the control kernel first (guest-images/build.sh --kernel NAME)"
  tree=$(json_field "$kjson" build_tree)
  name=$(json_field "$kjson" name)
  release=$(json_field "$kjson" release)
  [ -d "$tree" ] || die "the kernel's build tree $tree is gone: rebuild it (build-kernel.sh --force)"
  grep -qx 'CONFIG_MODULES=y' "$control/config" ||
    die "$control was built without CONFIG_MODULES: use a kernel with the crashtest flavour (e.g. fixed-lockdep+crashtest)"
  # modules_prepare (module linker script, modpost) in the shared tree, under
  # the kernel builds' lock; the same LOCALVERSION keeps the release as built.
  mkdir -p "$PCIRIG_CACHE/kbuild"
  flock "$PCIRIG_CACHE/kbuild/.lock" make -C "$tree" -s LOCALVERSION="-pcirig-$name" modules_prepare >&2 ||
    die "make modules_prepare in $tree failed"
  src_hash=$(cat "$here/pcirig_crashtest.c" "$here/Kbuild" "$here/build.sh" "$kjson" | sha256_stdin)
  build_module "$tree" "$PCIRIG_CACHE/testmod/$release" "$src_hash" LOCALVERSION="-pcirig-$name"
  exit 0
fi
resolve_debian_kernel
common_pkg="linux-headers-${KERNEL_RELEASE%-amd64}-common"
kbuild_pkg=$(apt-cache depends "linux-headers-$KERNEL_RELEASE" 2>/dev/null |
  awk '$1 == "Depends:" && $2 ~ /^linux-kbuild-/ {print $2; exit}')
[ -n "$kbuild_pkg" ] || die "apt does not know linux-headers-$KERNEL_RELEASE: run 'apt-get update'"
kbuild_ver=$(apt-cache policy "$kbuild_pkg" | awk '$1 == "Candidate:" {print $2; exit}')
command -v gcc-12 >/dev/null || die "gcc-12 is needed to build against Debian 12's kernel headers (apt-get install gcc-12)"

hdir="$PCIRIG_CACHE/kernels/debian-$KERNEL_RELEASE/headers"
stamp="$hdir/.unpacked-$DEB_VER"
if [ ! -f "$stamp" ]; then
  require_space "$PCIRIG_CACHE" 300
  rm -rf "$hdir"
  mkdir -p "$hdir"
  for pv in "linux-headers-$KERNEL_RELEASE=$DEB_VER" "$common_pkg=$DEB_VER" "$kbuild_pkg=$kbuild_ver"; do
    deb=$(fetch_deb "${pv%%=*}" "${pv#*=}")
    dpkg-deb -x "$deb" "$hdir" || die "dpkg-deb -x $deb failed"
  done
  # Debian's flavour Makefile includes the -common one by absolute path
  # (/usr/src/...); point it at the unpacked copy. The scripts/ and tools/
  # symlinks are relative and resolve inside $hdir as unpacked.
  mk="$hdir/usr/src/linux-headers-$KERNEL_RELEASE/Makefile"
  sed -i "s|^include /usr/src/|include $hdir/usr/src/|" "$mk"
  touch "$stamp"
fi
kdir="$hdir/usr/src/linux-headers-$KERNEL_RELEASE"

src_hash=$(cat "$here/pcirig_crashtest.c" "$here/Kbuild" "$here/build.sh" | sha256_stdin)
build_module "$kdir" "$PCIRIG_CACHE/testmod/$KERNEL_RELEASE" "$src_hash"
