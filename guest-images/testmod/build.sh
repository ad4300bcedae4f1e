#!/usr/bin/env bash
# Builds pcirig_crashtest.ko against the Debian guest kernel's own headers
# (linux-headers-RELEASE, -common and linux-kbuild, downloaded into the cache
# and unpacked, never installed). Prints the module's path on stdout.
#   guest-images/testmod/build.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images=$(cd "$here/.." && pwd)
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"
source "$images/lib/common.sh"
source "$images/lib/debian-kernel.sh"

mkdir -p "$PCIRIG_CACHE"
exec 9>"$PCIRIG_CACHE/.testmod.lock"
flock 9
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

out="$PCIRIG_CACHE/testmod/$KERNEL_RELEASE"
src_hash=$(cat "$here/pcirig_crashtest.c" "$here/Kbuild" "$here/build.sh" | sha256_stdin)
if [ -f "$out/pcirig_crashtest.ko" ] && [ "$(cat "$out/source.sha256" 2>/dev/null)" = "$src_hash" ]; then
  printf '%s\n' "$out/pcirig_crashtest.ko"
  exit 0
fi
# kbuild writes its objects next to the sources: build in a scratch copy.
work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-testmod.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$here/pcirig_crashtest.c" "$here/Kbuild" "$work/"
log "building pcirig_crashtest.ko against linux-headers-$KERNEL_RELEASE"
# Source paths in BUG()/WARN() reports name the tree, not the scratch dir,
# so captured logs are the same from one build to the next.
if ! make -C "$kdir" M="$work" KCFLAGS="-fmacro-prefix-map=$work/=guest-images/testmod/" \
     modules >"$work/make.log" 2>&1; then
  tail -30 "$work/make.log" >&2
  die "building pcirig_crashtest.ko failed"
fi
mkdir -p "$out"
cp "$work/pcirig_crashtest.ko" "$out/"
printf '%s\n' "$src_hash" >"$out/source.sha256"
printf '%s\n' "$out/pcirig_crashtest.ko"
