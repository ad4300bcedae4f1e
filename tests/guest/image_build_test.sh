#!/usr/bin/env bash
# Tests of guest-images/build.sh and its pieces: vmlinux extraction from a
# synthetic bzImage, config flags, argument errors, and a real Debian image
# build into a temp dir (uses $PCIRIG_CACHE's .debs; downloads them if absent).
#   image_build_test.sh AGENT_BINARY
set -uo pipefail
agent=${1:?usage: image_build_test.sh AGENT_BINARY}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images=$(cd "$here/../../guest-images" && pwd)
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# The library functions, in a subshell each (die exits).
source "$images/lib/common.sh"
source "$images/lib/extract-vmlinux.sh"

# --- extract_vmlinux: a fake kernel, compressed, behind a decoy magic -------
head -c 200000 /dev/urandom >"$tmp/payload"
{ printf '\x7fELF\x02\x01\x01'; cat "$tmp/payload"; } >"$tmp/elf"
for comp in xz zstd gzip; do
  case $comp in
    xz) xz -c --check=crc32 "$tmp/elf" >"$tmp/stream" ;;
    zstd) zstd -qc "$tmp/elf" >"$tmp/stream" ;;
    gzip) gzip -c "$tmp/elf" >"$tmp/stream" ;;
  esac
  # setup header, a decoy magic that decompresses to nothing useful, the stream, a trailer
  { head -c 3000 /dev/zero; printf '\xfd7zXZ\x00junk\x28\xb5\x2f\xfdjunk\x1f\x8b\x08junk'; head -c 1000 /dev/zero
    cat "$tmp/stream"; head -c 4096 /dev/urandom; } >"$tmp/bzImage.$comp"
  if (extract_vmlinux "$tmp/bzImage.$comp" "$tmp/vmlinux.$comp") 2>"$tmp/log" && cmp -s "$tmp/elf" "$tmp/vmlinux.$comp"; then
    pass "extract_vmlinux finds the $comp stream"
  else
    fail "extract_vmlinux on a $comp bzImage: $(cat "$tmp/log")"
  fi
done
head -c 50000 /dev/urandom >"$tmp/bzImage.none"
if (extract_vmlinux "$tmp/bzImage.none" "$tmp/vmlinux.none") 2>"$tmp/log"; then
  fail "extract_vmlinux accepted a file with no kernel in it"
elif grep -q "no compressed ELF kernel found" "$tmp/log"; then
  pass "extract_vmlinux says when there is no kernel"
else
  fail "extract_vmlinux error unclear: $(cat "$tmp/log")"
fi

# --- config flags -------------------------------------------------------------
printf 'CONFIG_DEBUG_LIST=y\nCONFIG_VFIO_PCI=m\n# CONFIG_KASAN is not set\nCONFIG_LOCALVERSION="-x"\n' >"$tmp/config"
got="$(config_flag_json "$tmp/config" DEBUG_LIST) $(config_flag_json "$tmp/config" VFIO_PCI) $(config_flag_json "$tmp/config" KASAN) $(config_flag_json "$tmp/config" LOCALVERSION)"
[ "$got" = 'true "m" false "-x"' ] && pass "config flags as JSON" || fail "config flags: got $got"

# --- argument errors ------------------------------------------------------------
if out=$("$images/build.sh" --kernel plan9 2>&1); then fail "--kernel plan9 accepted"
elif [[ $out == *"unknown kernel 'plan9'"* ]]; then pass "unknown kernel refused"; else fail "unclear: $out"; fi
if out=$("$images/build.sh" --frobnicate 2>&1); then fail "--frobnicate accepted"
elif [[ $out == *"unknown argument '--frobnicate'"* ]]; then pass "unknown argument refused"; else fail "unclear: $out"; fi
if out=$("$images/build.sh" --kernel regression-6.12+6.13 --out "$tmp/none" 2>&1); then fail "two series accepted"
elif [[ $out == *"two source series in 'regression-6.12+6.13'"* ]]; then pass "two source series refused"; else fail "unclear: $out"; fi
if out=$("$images/control/build-kernel.sh" fixed "$tmp/none" --series 6.x 2>&1); then fail "--series 6.x accepted"
elif [[ $out == *"--series '6.x': give a version such as 6.12"* ]]; then pass "a malformed series refused"; else fail "unclear: $out"; fi
if out=$("$images/control/build-kernel.sh" fixed "$tmp/none" --series 9.99 2>&1); then fail "--series 9.99 accepted"
elif [[ $out == *"no package linux-source-9.99"* ]]; then pass "a series Debian lacks refused"; else fail "unclear: $out"; fi

# --- no route to the mirror: a clear error, nothing half-written ------------
# (an empty cache and a proxy that refuses connections; apt honours http_proxy)
if out=$(PCIRIG_CACHE="$tmp/nonet-cache" http_proxy=http://127.0.0.1:9 \
         "$images/build.sh" --out "$tmp/nonet" --agent "$agent" 2>&1); then
  fail "build.sh succeeded without a mirror"
elif [[ $out == *"no network to the Debian mirror"* ]] && [ ! -e "$tmp/nonet/image.json" ] &&
     [ -z "$(ls "$tmp/nonet-cache/debs" 2>/dev/null)" ]; then
  pass "no mirror: clear error, no image, no partial .deb"
else
  fail "no-mirror error unclear or debris left: $out"
fi

# --- a real Debian image into a temp dir ---------------------------------------
out="$tmp/image"
if ! "$images/build.sh" --kernel debian --out "$out" --agent "$agent" 2>"$tmp/build.log"; then
  fail "build.sh --kernel debian: $(tail -5 "$tmp/build.log")"
else
  grep -q "image debian built in" "$tmp/build.log" && pass "build prints its time" || fail "no build time printed"
  j="$out/image.json"
  jq -e . "$j" >/dev/null 2>&1 && pass "image.json is JSON" || fail "image.json is not JSON"
  for want in '"kernel_release":"6.1.0-' '"DEBUG_LIST":true' '"HOTPLUG_PCI_PCIE":true' '"VFIO_PCI":"m"' '"virtio_console"' '"vfio_iommu_type1"'; do
    grep -qF "$want" "$j" && pass "image.json has $want" || fail "image.json lacks $want"
  done
  [ "$(head -c 4 "$out/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && pass "vmlinux is ELF" || fail "vmlinux is not ELF"
  list=$(gzip -dc "$out/initramfs.cpio.gz" | cpio -it --quiet 2>/dev/null)
  for f in init bin/busybox bin/sh bin/insmod sbin/pcirig-agent lib/modules/pcirig/load-order lib/modules/pcirig/virtio_console.ko; do
    grep -qx "$f" <<<"$list" && pass "initramfs has $f" || fail "initramfs lacks $f"
  done
  # Load order: a module's dependencies come before it.
  order=$(gzip -dc "$out/initramfs.cpio.gz" | (cd "$tmp" && cpio -i -d --quiet lib/modules/pcirig/load-order && cat lib/modules/pcirig/load-order))
  pos() { grep -nx "$1" <<<"$order" | cut -d: -f1; }
  [ -n "$(pos virtio.ko)" ] && [ "$(pos virtio.ko)" -lt "$(pos virtio_console.ko)" ] && [ "$(pos vfio.ko)" -lt "$(pos vfio-pci.ko)" ] &&
    pass "modules load after their dependencies" || fail "load order wrong: $order"

  key=$(grep -o '"cache_key":"[0-9a-f]*"' "$j")
  before=$(stat -c %Y.%s "$j" "$out/initramfs.cpio.gz")
  "$images/build.sh" --kernel debian --out "$out" --agent "$agent" --if-needed 2>"$tmp/again.log"
  if grep -q "up to date" "$tmp/again.log" && [ "$before" = "$(stat -c %Y.%s "$j" "$out/initramfs.cpio.gz")" ]; then
    pass "--if-needed does not rebuild an unchanged image"
  else
    fail "--if-needed rebuilt or did not say so: $(cat "$tmp/again.log")"
  fi
  # A changed input (another agent binary) is a new key and a rebuild.
  cp "$agent" "$tmp/agent2" && printf 'x' >>"$tmp/agent2"
  "$images/build.sh" --kernel debian --out "$out" --agent "$tmp/agent2" --if-needed 2>"$tmp/changed.log"
  key2=$(grep -o '"cache_key":"[0-9a-f]*"' "$j")
  if grep -q "built in" "$tmp/changed.log" && [ "$key" != "$key2" ]; then
    pass "a changed agent rebuilds with a new cache key"
  else
    fail "a changed agent did not rebuild: $(cat "$tmp/changed.log")"
  fi
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
