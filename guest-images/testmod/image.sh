#!/usr/bin/env bash
# An image that carries the crash test module, for rig runs that trigger a kind
# after boot (the deadlock kinds: `pcirig bench hang`, the rig's hang tests).
# It is the kernel's image plus a second cpio with the module at
# /lib/modules/pcirig/pcirig_crashtest.ko (the kernel unpacks concatenated
# archives in order), written to $PCIRIG_CACHE/images/KERNEL+testmod/; the
# agent's `exec` loads it. Prints the new image.json's path on stdout.
#   guest-images/testmod/image.sh [--kernel debian|CONTROL]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images=$(cd "$here/.." && pwd)
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"
source "$images/lib/common.sh"
source "$images/lib/initramfs.sh"

kernel=debian
case "${1:-}" in
  --kernel) kernel=${2:?--kernel needs debian or a control kernel name} ;;
  "") ;;
  *) die "unknown argument '$1' (usage: image.sh [--kernel debian|CONTROL])" ;;
esac

"$images/build.sh" --kernel "$kernel" --if-needed >&2
base="$PCIRIG_CACHE/images/$kernel"
if [ "$kernel" = debian ]; then
  ko=$("$here/build.sh")
else
  # A module built from these sources for this kernel is used as it is: build.sh would
  # first wait for the shared kernel tree's lock (modules_prepare), which a kernel
  # build elsewhere may hold for many minutes. The key is build.sh's own.
  kjson="$PCIRIG_CACHE/kernels/$kernel/kernel.json"
  release=$(json_field "$kjson" release)
  cached="$PCIRIG_CACHE/testmod/$release"
  key=$(cat "$here/pcirig_crashtest.c" "$here/Kbuild" "$here/build.sh" "$kjson" | sha256_stdin)
  if [ -n "$release" ] && [ -f "$cached/pcirig_crashtest.ko" ] && [ "$(cat "$cached/source.sha256" 2>/dev/null)" = "$key" ]; then
    ko="$cached/pcirig_crashtest.ko"
  else
    ko=$("$here/build.sh" --control "$PCIRIG_CACHE/kernels/$kernel")
  fi
fi

out="$PCIRIG_CACHE/images/$kernel+testmod"
key=$(cat "$base/image.json" "$ko" | sha256_stdin)
if [ -f "$out/image.json" ] && [ "$(cat "$out/source.sha256" 2>/dev/null)" = "$key" ]; then
  printf '%s\n' "$out/image.json"
  exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-testmod-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/overlay/lib/modules/pcirig" "$out"
cp "$ko" "$work/overlay/lib/modules/pcirig/"
pack_cpio "$work/overlay" "$work/overlay.cpio.gz"
cat "$base/initramfs.cpio.gz" "$work/overlay.cpio.gz" >"$out/initramfs.cpio.gz.tmp"
# The kernel config travels with the image (the rig checks options against it).
[ -f "$base/config" ] && cp "$base/config" "$out/config"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
# The base image.json with this image's name and initramfs; the kernel is the base's.
sed -e "s|\"name\":\"$kernel\"|\"name\":\"$kernel+testmod\"|" \
    -e "s|\"initramfs\":\"[^\"]*\"|\"initramfs\":\"$out/initramfs.cpio.gz\"|" \
    "$base/image.json" >"$out/image.json"
grep -q "\"name\":\"$kernel+testmod\"" "$out/image.json" || die "could not rewrite $base/image.json"
printf '%s\n' "$key" >"$out/source.sha256"
log "image $kernel+testmod: $out"
printf '%s\n' "$out/image.json"
