#!/usr/bin/env bash
# ./run.sh refuses a bad topology or option before it builds or downloads a guest
# image: exit 2, file:line:column and the key, and a fresh PCIRIG_CACHE stays empty
# although --kernel names an image that no cache holds (fixed-lockdep+kasan is a
# kernel build from source).
#   run_sh_bad_config_test.sh REPO_ROOT PCIRIG
# run.sh builds build/default first: a no-op after ./run.sh test.
set -u
root=$(cd "${1:?usage: run_sh_bad_config_test.sh REPO_ROOT PCIRIG}" && pwd) pcirig=${2:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-badcfg.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

refused() {  # NAME EXPECTED ARGS...: ./run.sh stress ARGS must stop before any image work
  local name=$1 want=$2; shift 2
  local cache="$work/cache-$name" log="$work/$name.log" pid rc started=
  mkdir -p "$cache"
  # Its own process group: if an image build starts anyway, it is stopped at once.
  (cd "$root" && PCIRIG_CACHE=$cache exec setsid ./run.sh stress "$@" --kernel fixed-lockdep+kasan) >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -n "$(ls -A "$cache")" ]; then started=$(ls -A "$cache" | tr '\n' ' '); kill -TERM -- "-$pid" 2>/dev/null; break; fi
    sleep 0.2
  done
  wait "$pid"; rc=$?
  [ -z "$started" ] || { fail "$name: an image build started (PCIRIG_CACHE got: $started)"; return; }
  [ "$rc" -eq 2 ] || { fail "$name: exit $rc (want 2): $(tail -3 "$log")"; return; }
  grep -qF -- "$want" "$log" || { fail "$name: output lacks '$want': $(tail -3 "$log")"; return; }
  ! grep -q '^\[images\]\|^\[build-kernel\]' "$log" || { fail "$name: image builder output: $(grep -m2 '^\[images\]\|^\[build-kernel\]' "$log")"; return; }
  echo "ok $name: $(grep -F -- "$want" "$log")"
}

configs="$root/tests/rig/configs"
refused unknown_key "unknown_key.yaml:3:3: key 'machine.memroy_mb': unknown key" --config "$configs/unknown_key.yaml"
refused two_in_one_slot "two_in_one_slot.yaml:9:33: key 'devices.bus': port 'rp1' already holds 'a'" \
  --config "$configs/two_in_one_slot.yaml"
refused bad_duration "--duration 'banana': not a duration" --duration banana

# The check passes a good config (else run.sh would refuse every run).
out=$("$pcirig" stress --check-only --config default --kernel fixed-lockdep+kasan 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [[ "$out" == *"default.yaml: config ok"* ]]; then echo "ok good config: $out"
else fail "good config: exit $rc: $out"; fi

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
