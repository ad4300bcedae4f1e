#!/usr/bin/env bash
# One real crash end to end: capture-golden.sh boots the Debian guest with
# the crash test module, triggers KIND (default list_del) and must save a
# console log holding the kernel's report and the panic.
set -uo pipefail
kind=${1:-list_del}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images=$(cd "$here/../../guest-images" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$images/capture-golden.sh" --out "$out" "$kind" || { echo "FAIL: capture-golden.sh $kind failed"; exit 1; }
log="$out/$kind.log"
grep -q "pcirig: READY" "$log" || { echo "FAIL: no READY marker in the console"; exit 1; }
grep -q "pcirig_crashtest: triggering $kind" "$log" || { echo "FAIL: the module did not trigger $kind"; exit 1; }
case "$kind" in
  list_del) want="list_del corruption" ;;
  list_add) want="list_add corruption" ;;
  bug) want="kernel BUG at guest-images/testmod/pcirig_crashtest.c" ;;
  warn) want="WARNING: CPU: .* at guest-images/testmod/pcirig_crashtest.c" ;;
  *) want="Call Trace" ;;
esac
grep -q "$want" "$log" || { echo "FAIL: no '$want' in the console"; exit 1; }
grep -q "Kernel panic - not syncing" "$log" || { echo "FAIL: no panic"; exit 1; }
echo "ok: $kind captured ($(wc -l <"$log") lines)"
