#!/usr/bin/env bash
# The crash test module builds against the Debian guest kernel's headers and
# is made for exactly that kernel (vermagic = the image's kernel release).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images=$(cd "$here/../../guest-images" && pwd)
ko=$("$images/testmod/build.sh") || { echo "FAIL: testmod/build.sh failed"; exit 1; }
[ -f "$ko" ] || { echo "FAIL: no module at '$ko'"; exit 1; }
source "$images/lib/common.sh"
source "$images/lib/debian-kernel.sh"
resolve_debian_kernel
vermagic=$(/sbin/modinfo -F vermagic "$ko")
case "$vermagic" in
  "$KERNEL_RELEASE "*) echo "ok: $ko vermagic '$vermagic'" ;;
  *) echo "FAIL: vermagic '$vermagic' is not for $KERNEL_RELEASE"; exit 1 ;;
esac
# Every kind the capture script knows is a trigger in the module.
for kind in bug warn list_add list_del null_deref paging gpf hung_task soft_lockup rcu_stall \
    deadlock_abba deadlock_rwsem deadlock_cycle3; do
  grep -q "{ \"$kind\", crashtest_$kind }" "$images/testmod/pcirig_crashtest.c" ||
    { echo "FAIL: the module has no trigger '$kind'"; exit 1; }
done
echo "ok: all kinds present"
