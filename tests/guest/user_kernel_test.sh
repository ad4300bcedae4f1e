#!/usr/bin/env bash
# A user's kernel into the rig (guest-images/build.sh --tree/--image/--source,
# pcirig's config check), on synthetic kernels: an ELF "vmlinux" and a
# "bzImage" that carry a version string, oracle messages and optionally an
# IKCONFIG blob, which is all the scripts read. Bad input must give a clear
# error before any guest starts, and the user's tree must stay as it was.
#   user_kernel_test.sh AGENT_BINARY PCIRIG_BINARY
set -uo pipefail
agent=${1:?usage: user_kernel_test.sh AGENT_BINARY PCIRIG_BINARY}
pcirig=${2:?usage: user_kernel_test.sh AGENT_BINARY PCIRIG_BINARY}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
images=$root/guest-images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PCIRIG_CACHE=$tmp/cache PCIRIG_ROOT=$root PCIRIG_AGENT=$agent
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# expect_error WHAT TEXT CMD...: CMD must fail and say TEXT.
expect_error() {
  local what=$1 text=$2 out; shift 2
  if out=$("$@" 2>&1); then fail "$what: accepted"; echo "$out" | tail -3
  elif [[ $out == *"$text"* ]]; then pass "$what"
  else fail "$what: no '$text' in: $(echo "$out" | tail -3)"; fi
}
listing() { (cd "$1" && find . -printf '%P %s %T@ %m\n' | LC_ALL=C sort | sha256sum); }

# Every option the default config needs, built in; VERSION and extra lines vary.
config() {  # VERSION [EXTRA_LINE]...
  printf '#\n# Linux/x86 %s Kernel Configuration\n#\n' "$1"; shift
  for o in PCI BLK_DEV_INITRD RD_GZIP DEVTMPFS SERIAL_8250 SERIAL_8250_CONSOLE VIRTIO_PCI VIRTIO_CONSOLE \
    DETECT_HUNG_TASK PVH HOTPLUG_PCI HOTPLUG_PCI_ACPI PCIEPORTBUS HOTPLUG_PCI_PCIE VIRTIO_NET VIRTIO_BLK E1000E \
    BLK_DEV_NVME DEBUG_LIST; do
    echo "CONFIG_$o=y"
  done
  echo 'CONFIG_LOCALVERSION="-mine"'
  echo '# CONFIG_MODULES is not set'
  printf '%s\n' "$@"
}
# An ELF "vmlinux": the banner, list_debug.c's message, optional IKCONFIG.
fake_elf() {  # OUT RELEASE [IKCONFIG_FILE]
  { printf '\x7fELF\x02\x01\x01'; head -c 4096 /dev/zero
    printf 'Linux version %s (me@host) (gcc) #1 SMP\0' "$2"
    printf 'list_add corruption. prev->next should be next\0'
    if [ -n "${3:-}" ]; then printf 'IKCFG_ST'; gzip -c "$3"; printf 'IKCFG_ED'; fi
    head -c 4096 /dev/zero; } >"$1"
}
# A "bzImage": the setup header's HdrS and kernel_version, then the ELF gzip'd.
fake_bzimage() {  # OUT ELF RELEASE
  local out=$1
  head -c 1536 /dev/zero >"$out"
  poke() { printf "$2" | dd of="$out" bs=1 seek=$(($1)) conv=notrunc 2>/dev/null; }
  poke 0x202 'HdrS'
  poke 0x20E '\x00\x02'  # kernel_version: 0x200 + 0x200 = 0x400
  poke 0x400 "$3 (me@host) #1 SMP\0"
  { gzip -c "$2"; head -c 512 /dev/zero; } >>"$out"
}

# --- --tree: refused trees ------------------------------------------------------
expect_error "tree that does not exist" "no such directory" "$images/build.sh" --kernel t1 --tree "$tmp/nope"
mkdir -p "$tmp/notree"
expect_error "directory that is not a kernel tree" "not a kernel tree" "$images/build.sh" --kernel t1 --tree "$tmp/notree"
tree=$tmp/linux
mkdir -p "$tree/arch/x86/boot" "$tree/include/config"
echo 'all:' >"$tree/Makefile"
expect_error "tree without .config" "not configured" "$images/build.sh" --kernel t1 --tree "$tree"
config 6.1.99 >"$tree/.config"
expect_error "tree without a built kernel" "no built kernel" "$images/build.sh" --kernel t1 --tree "$tree"
expect_error "--patch with --tree" "--patch needs --source" "$images/build.sh" --kernel t1 --tree "$tree" --patch /dev/null
expect_error "project kernel names are reserved" "give yours another name" "$images/build.sh" --kernel fixed --tree "$tree"

# --- --tree: a built tree becomes an image; the tree is not written ---------------
fake_elf "$tree/vmlinux" 6.1.99-mine
echo 6.1.99-mine >"$tree/include/config/kernel.release"
touch -d '1 hour ago' "$tree/.config"
before=$(listing "$tree")
if out=$("$images/build.sh" --kernel mine --tree "$tree" 2>&1) && [ -f "$PCIRIG_CACHE/images/mine/image.json" ]; then
  pass "a built tree becomes image 'mine'"
else
  fail "build.sh --tree: $(echo "$out" | tail -3)"
fi
[ "$(listing "$tree")" = "$before" ] && pass "the tree is unchanged" || fail "build.sh --tree wrote into the tree"
grep -q '"kernel_release":"6.1.99-mine"' "$PCIRIG_CACHE/images/mine/image.json" &&
  grep -q "\"kernel\":\"$PCIRIG_CACHE/images/mine/vmlinux\"" "$PCIRIG_CACHE/images/mine/image.json" &&
  pass "image.json: release from the tree, kernel copied into the cache" ||
  fail "image.json: $(head -3 "$PCIRIG_CACHE/images/mine/image.json")"
out=$("$images/build.sh" --kernel mine --if-needed 2>&1)
[[ $out == *"up to date"* ]] && pass "--kernel mine alone re-uses the tree (origin.args)" || fail "--kernel mine: $out"
touch "$tree/.config"
expect_error "tree whose .config is newer than its kernel" "newer than vmlinux" "$images/build.sh" --kernel mine --tree "$tree"
touch -d '1 hour ago' "$tree/.config"

# --- --image: the config must be this kernel's ----------------------------------
config 6.1.99 >"$tmp/good.config"
fake_elf "$tmp/plain.elf" 6.1.99-mine
fake_bzimage "$tmp/bzImage" "$tmp/plain.elf" 6.1.99-mine
expect_error "bzImage without a config" "no config: give --config" "$images/build.sh" --kernel img --image "$tmp/bzImage"
config 6.2.1 >"$tmp/other-version.config"
expect_error "bzImage with another version's config" "was written for 6.2.1" \
  "$images/build.sh" --kernel img --image "$tmp/bzImage" --config "$tmp/other-version.config"
config 6.1.99 | grep -v DEBUG_LIST >"$tmp/no-debug-list.config"
expect_error "bzImage whose config lacks an option the image has" "CONFIG_DEBUG_LIST built in" \
  "$images/build.sh" --kernel img --image "$tmp/bzImage" --config "$tmp/no-debug-list.config"
config 6.1.99 CONFIG_PROVE_LOCKING=y >"$tmp/lockdep.config"
expect_error "bzImage whose config claims lockdep it lacks" "CONFIG_PROVE_LOCKING=y but" \
  "$images/build.sh" --kernel img --image "$tmp/bzImage" --config "$tmp/lockdep.config"
expect_error "a file that is no kernel" "neither an ELF vmlinux nor a bzImage" \
  "$images/build.sh" --kernel img --image "$tmp/good.config"
fake_elf "$tmp/ik.elf" 6.1.99-mine "$tmp/good.config"
fake_bzimage "$tmp/bzImage-ik" "$tmp/ik.elf" 6.1.99-mine
if out=$("$images/build.sh" --kernel img --image "$tmp/bzImage-ik" 2>&1) && [[ $out == *"read from the image (CONFIG_IKCONFIG)"* ]] &&
   cmp -s "$tmp/good.config" "$PCIRIG_CACHE/images/img/config"; then
  pass "bzImage with IKCONFIG: the embedded config is used"
else
  fail "IKCONFIG: $(echo "$out" | tail -3)"
fi

# --- the rig's config check: before QEMU, naming the option and the feature -------
cp -r "$PCIRIG_CACHE/images/mine" "$tmp/noacpi"
sed -i "s|$PCIRIG_CACHE/images/mine|$tmp/noacpi|g" "$tmp/noacpi/image.json"
grep -v HOTPLUG_PCI_ACPI "$tree/.config" >"$tmp/noacpi/config"
mkdir -p "$tmp/runs"
out=$("$pcirig" stress --kernel "$tmp/noacpi/image.json" --duration 5s --runs-dir "$tmp/runs" 2>&1); rc=$?
if [ $rc = 2 ] && [[ $out == *"CONFIG_HOTPLUG_PCI_ACPI is not set: needed for ACPI hot-plug"* ]] &&
   [[ $out == *"<embedded default.yaml>"* ]] && [ -z "$(ls -A "$tmp/runs")" ]; then
  pass "a missing required option stops the run before QEMU (no run directory)"
else
  fail "required option: rc=$rc runs=$(ls "$tmp/runs") out: $out"
fi
out=$("$pcirig" stress --kernel "$tmp/noacpi/image.json" --hotplug native --duration 5s --runs-dir "$tmp/runs" 2>&1)
[[ $out != *HOTPLUG_PCI_ACPI* ]] && pass "native hot-plug does not need HOTPLUG_PCI_ACPI" || fail "native: $out"
n=$(grep -c 'CONFIG_PROVE_LOCKING is not set (recommended' <<<"$out")
[ "$n" = 1 ] && pass "a missing recommended option is one warning line" || fail "PROVE_LOCKING warning lines: $n"

# --- --source with a patch that does not apply: file and hunk named ---------------
src=$tmp/src
mkdir -p "$src/arch/x86" "$src/drivers/pci"
echo 'all:' >"$src/Makefile"
printf 'a\nb\nc\n' >"$src/drivers/pci/access.c"
printf -- '--- a/drivers/pci/access.c\n+++ b/drivers/pci/access.c\n@@ -1,3 +1,3 @@\n a\n-x\n+y\n c\n' >"$tmp/bad.patch"
before=$(listing "$src")
expect_error "a patch that does not apply names file and hunk" "drivers/pci/access.c: Hunk #1 FAILED at 1" \
  "$images/build.sh" --kernel patched --source "$src" --patch "$tmp/bad.patch"
[ "$(listing "$src")" = "$before" ] && pass "the source tree is unchanged" || fail "--source wrote into the source tree"
[ -z "$(ls -d "$PCIRIG_CACHE"/kbuild/tree-* 2>/dev/null)" ] && pass "no half-patched build tree left" ||
  fail "left: $(ls -d "$PCIRIG_CACHE"/kbuild/tree-*)"
expect_error "a patch file that does not exist" "no such file" \
  "$images/build.sh" --kernel patched --source "$src" --patch "$tmp/nope.patch"

echo "$failures failure(s)"
[ "$failures" = 0 ]
