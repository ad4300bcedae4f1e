# Sourced (after `pcirig=$1 root=$2`) by the guest tests that need a real crash: a
# private $tmp removed on exit, fail(), and $tmp/img/image.json, the Debian image plus a
# second cpio holding the crash test module (the kernel unpacks both), named
# debian+crashtest. tests/rig/repro/crash.yaml then crashes it right after READY.
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

crashtest_image() {  # DIR
  local dir=$1 base ko
  "$root/guest-images/build.sh" --if-needed >&2
  base="$PCIRIG_CACHE/images/debian"
  ko=$("$root/guest-images/testmod/build.sh")
  mkdir -p "$dir/ov/lib/modules/pcirig"
  cp "$ko" "$dir/ov/lib/modules/pcirig/"
  (cd "$dir/ov" && find . | cpio -o -H newc --quiet | gzip -n) >"$dir/ov.cpio.gz"
  cat "$base/initramfs.cpio.gz" "$dir/ov.cpio.gz" >"$dir/initramfs.cpio.gz"
  jq -c --arg i "$dir/initramfs.cpio.gz" --arg k "$(cat "$base/image.json" "$ko" | sha256sum | cut -c1-64)" \
    '.name = "debian+crashtest" | .initramfs = $i | .cache_key = $k' "$base/image.json" >"$dir/image.json"
}
crashtest_image "$tmp/img"
