#!/usr/bin/env bash
# The minimised VM crash bundles in corpora/vm/ must keep reproducing: each comes back
# at least once in 3 attempts (pcirig repro exit 0). Their kernels are rebuilt from the
# recipe when missing (label control: CI does not build control kernels).
set -u
pcirig=$1 root=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-repro-corpora.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
for b in "$root"/corpora/vm/*/; do
  [ -f "$b/bundle.json" ] || continue
  n=$((n + 1))
  "$pcirig" repro "$b" --attempts 3 --runs-dir "$tmp/runs" --json "$tmp/v.json"
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "ok $(basename "$b"): $(jq -r '"\(.reproduced)/\(.attempts), median \(.median_seconds_to_crash) s"' "$tmp/v.json")"
  else
    echo "FAIL $(basename "$b"): exit $rc"; failed=1
  fi
done
[ $n -gt 0 ] || { echo "no bundles in $root/corpora/vm"; exit 77; }
exit $failed
