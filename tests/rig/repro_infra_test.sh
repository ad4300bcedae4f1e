#!/usr/bin/env bash
# pcirig repro: an attempt that ends in an infrastructure fault is retried (twice) and
# counted apart from the attempts; when no attempt gets past the infrastructure, the
# verdict is exit 2, not "not reproduced". A bundle whose kernel is garbage makes real
# QEMU fail at once: no guest boots.
set -u
pcirig=$1 root=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-repro-infra.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export PCIRIG_CACHE="$tmp/cache"
fail() { echo "FAIL: $*"; exit 1; }
b="$tmp/bundle"
mkdir -p "$b/kernel"
cp "$root/tests/rig/repro/crash.yaml" "$b/config.yaml"
echo 7 >"$b/seed"
echo '{"t":0.0,"ev":"run_start","seed":7}' >"$b/journal.jsonl"
echo '{"name":"garbage","cache_key":"00"}' >"$b/image.json"
echo '{"result":"kernel_crash","crash":{"title":"WARNING in crashtest_warn","kind":"warning","function":"crashtest_warn"}}' >"$b/result.json"
echo '{"format":1}' >"$b/bundle.json"
head -c 4096 /dev/zero | tr '\0' 'x' >"$b/kernel/vmlinux"
head -c 4096 /dev/zero | tr '\0' 'y' >"$b/kernel/initramfs.cpio.gz"
"$pcirig" repro "$b" --attempts 2 --runs-dir "$tmp/runs" --json "$tmp/v.json"
rc=$?
[ $rc -eq 2 ] || fail "exit $rc, want 2"
jq -e '.attempts == 0 and .attempts_requested == 2 and .reproduced == 0 and .infra_failures == 6 and .exit_code == 2
  and ([.per_attempt[] | select(.result == "infra" and (.infra_retries | length) == 3)] | length) == 2' "$tmp/v.json" >/dev/null ||
  fail "unexpected verdict: $(cat "$tmp/v.json")"
[ "$(ls "$tmp/runs" | wc -l)" -eq 6 ] || fail "want 6 run directories (2 attempts x 3 tries): $(ls "$tmp/runs")"
echo "repro infra test: ok"
