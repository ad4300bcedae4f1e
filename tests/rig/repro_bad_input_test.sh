#!/usr/bin/env bash
# pcirig repro refuses a run directory or bundle with a missing or corrupt journal,
# seed, kernel identity, config or verdict: exit 2, the file named, no QEMU started.
set -u
pcirig=$1 root=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-repro-bad.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export PCIRIG_CACHE="$tmp/cache"  # nothing to find, nothing may be built

# A well-formed run directory of a crash (its kernel is nowhere: only the checks before it run).
good="$tmp/good"
mkdir -p "$good"
cp "$root/rig/configs/default.yaml" "$good/config.yaml"
echo 42 >"$good/seed"
cat >"$good/journal.jsonl" <<'J'
{"t":0.0,"ev":"run_start","seed":42,"config":"default.yaml","kernel":"debian","duration_s":60}
{"t":3.1,"ev":"storm_start","flavour":"acpi","slots":["rp3"],"kinds":["net"],"replay":false}
{"t":3.4,"ev":"plug","slot":"rp3","kind":"net"}
{"t":4.0,"ev":"kernel_report","line":"BUG: kernel NULL pointer dereference, address: 0000000000000000"}
J
echo '{"name":"debian","cache_key":"0123","kernel":"/nonexistent/vmlinux","initramfs":"/nonexistent/initramfs.cpio.gz"}' >"$good/image.json"
echo '{"result":"kernel_crash","crash":{"title":"BUG: unable to handle kernel NULL pointer dereference in __wake_up_common","kind":"null_deref","function":"__wake_up_common"}}' >"$good/result.json"

failed=0
check() {  # NAME EXPECTED-SUBSTRING (the case's directory is $tmp/NAME)
  local d="$tmp/$1" out rc
  out=$("$pcirig" repro "$d" --attempts 1 --runs-dir "$tmp/runs" 2>&1); rc=$?
  if [ $rc -ne 2 ]; then echo "FAIL $1: exit $rc (want 2): $out"; failed=1; return; fi
  case "$out" in *"$2"*) echo "ok $1: $out" ;; *) echo "FAIL $1: '$out' lacks '$2'"; failed=1 ;; esac
  if [ -e "$tmp/runs" ]; then echo "FAIL $1: a run was started"; failed=1; fi
}
case_of() { rm -rf "$tmp/$1"; cp -r "$good" "$tmp/$1"; }

case_of no_journal; rm "$tmp/no_journal/journal.jsonl"
check no_journal "$tmp/no_journal/journal.jsonl: missing"
case_of bad_journal_line; sed -i '3s/.*/{"t":3.4,"ev":"plug",/' "$tmp/bad_journal_line/journal.jsonl"
check bad_journal_line "$tmp/bad_journal_line/journal.jsonl:3: corrupt"
case_of journal_seed; sed -i '1s/"seed":42/"seed":43/' "$tmp/journal_seed/journal.jsonl"
check journal_seed "$tmp/journal_seed/journal.jsonl:1: corrupt: run_start's seed is not the seed file's (42)"
case_of no_seed; rm "$tmp/no_seed/seed"
check no_seed "$tmp/no_seed/seed: missing"
case_of bad_seed; echo "4x2" >"$tmp/bad_seed/seed"
check bad_seed "$tmp/bad_seed/seed: corrupt"
case_of huge_seed; echo "99999999999999999999" >"$tmp/huge_seed/seed"
check huge_seed "$tmp/huge_seed/seed: corrupt"
case_of no_identity; rm "$tmp/no_identity/image.json"
check no_identity "$tmp/no_identity/image.json: missing"
case_of bad_identity; echo '{"name":"debian",' >"$tmp/bad_identity/image.json"
check bad_identity "$tmp/bad_identity/image.json: corrupt"
case_of keyless_identity; echo '{"name":"debian"}' >"$tmp/keyless_identity/image.json"
check keyless_identity "$tmp/keyless_identity/image.json: corrupt: no 'cache_key'"
case_of bad_config; printf 'machine: {type: q35, vcpuz: 2}\n' >"$tmp/bad_config/config.yaml"
check bad_config "$tmp/bad_config/config.yaml:1:"
case_of clean_run; echo '{"result":"clean"}' >"$tmp/clean_run/result.json"
check clean_run "$tmp/clean_run/result.json: the run did not crash"
case_of bad_manifest; echo '{"format":' >"$tmp/bad_manifest/bundle.json"
check bad_manifest "$tmp/bad_manifest/bundle.json: corrupt"
case_of half_kernel; echo '{"format":1}' >"$tmp/half_kernel/bundle.json"; mkdir "$tmp/half_kernel/kernel"; echo x >"$tmp/half_kernel/kernel/vmlinux"
check half_kernel "$tmp/half_kernel/kernel/initramfs.cpio.gz: missing"
# The checks pass and the kernel is nowhere: refused naming image.json, nothing built.
case_of no_kernel; sed -i 's/"name":"debian"/"name":"no-such-kernel"/' "$tmp/no_kernel/image.json"
check no_kernel "$tmp/no_kernel/image.json: kernel 'no-such-kernel' (cache_key 0123) is nowhere to be found"
# Not a directory at all.
check nowhere "$tmp/nowhere: not a run directory or crash bundle"
# A bundle is only made from a run that passes the same checks.
out=$("$pcirig" bundle "$tmp/bad_seed" 2>&1); rc=$?
if [ $rc -ne 2 ] || [[ "$out" != *"$tmp/bad_seed/seed: corrupt"* ]]; then echo "FAIL bundle of a bad run: exit $rc: $out"; failed=1; else echo "ok bundle of a bad run: $out"; fi
[ -e "$tmp/bad_seed/bundle" ] && { echo "FAIL: a bundle was left from a bad run"; failed=1; }
exit $failed
