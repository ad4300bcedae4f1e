#!/usr/bin/env bash
# A disk filling up mid-campaign ends it cleanly: exit 2, the finished runs kept in the
# ledger, the history intact, the report saying why; --resume on a freed disk finishes it.
# The campaign and its history live on a 4 MiB tmpfs (needs root to mount one).
set -u
pcirig=$1 plans=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount a small tmpfs"; exit 77; }
work=$(mktemp -d)
mnt=$work/disk
mkdir -p "$mnt"
mount -t tmpfs -o size=4m tmpfs "$mnt" || { echo "SKIP: cannot mount tmpfs here"; rm -rf "$work"; exit 77; }
trap 'kill -9 $pid 2>/dev/null; umount "$mnt"; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$pcirig" nightly --plan "$plans/model_quick.yaml" --parallel 1 --out "$mnt" --history "$mnt/h.sqlite" > "$work/log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  ledger=$(ls "$mnt"/nightly-*/ledger.jsonl 2>/dev/null | head -1)
  [ -n "$ledger" ] && [ "$(wc -l < "$ledger")" -ge 2 ] && break
  sleep 0.1
done
dd if=/dev/zero of="$mnt/fill" bs=16k 2> /dev/null  # until the disk is full
wait $pid
rc=$?
cat "$work/log"
dir=$(dirname "$ledger")
[ $rc -eq 2 ] || fail "exit $rc (want 2)"
[ "$(jq -r .status "$dir/report.json")" = disk_full ] || fail "report status: $(jq -r '.status + ": " + .reason' "$dir/report.json")"
grep -q 'status</th><td>disk_full' "$dir/report.html" || fail "the page does not say why it stopped"
kept=$(wc -l < "$ledger")
[ "$kept" -ge 2 ] && [ "$kept" -lt 8 ] || fail "ledger has $kept runs"
[ "$(jq -c . "$ledger" | wc -l)" -eq "$kept" ] || fail "a torn ledger line"
[ "$(sqlite3 "$mnt/h.sqlite" "pragma integrity_check")" = ok ] || fail "history damaged"
[ "$(sqlite3 "$mnt/h.sqlite" "select count(*) from runs")" -le "$kept" ] || fail "history has runs the ledger lacks"
rm -f "$mnt/fill"
"$pcirig" nightly --resume "$dir" --parallel 1 --history "$mnt/h.sqlite" > "$work/resume.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "resume exit $rc: $(cat "$work/resume.log")"
[ "$(jq -r .index "$ledger" | sort -n | uniq | wc -l)" -eq 8 ] && [ "$(wc -l < "$ledger")" -eq 8 ] || fail "after resume: $(jq -r .index "$ledger" | tr '\n' ' ')"
[ "$(sqlite3 "$mnt/h.sqlite" "select count(*) from runs")" -eq 8 ] || fail "history after resume"
echo "ok: disk full after $kept runs, clean stop, resumed to 8"
