#!/usr/bin/env bash
# Pack the smoke initramfs (busybox-static + init) into OUT (a .cpio.gz).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: make-initramfs.sh OUT.cpio.gz}
busybox=/bin/busybox
file -L "$busybox" | grep -q 'statically linked' || { echo "need busybox-static (apt-get install busybox-static)" >&2; exit 1; }
root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --reproducible 2>/dev/null) | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
