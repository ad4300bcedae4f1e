#!/usr/bin/env bash
# Seed corpora for the parser targets (docs/fuzzing.md): candidates from the golden
# consoles, the shipped configs, the saved model crashes and real run directories'
# transcripts, then each target's -merge=1 keeps the inputs that add coverage in
# corpora/<target>/. Build the fuzz preset first.
#   rig/fuzz/make-seeds.sh [RUNDIR...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bin=${PCIRIG_FUZZ_BUILD:-build/fuzz}/fuzz-parsers
cand=$(mktemp -d)
trap 'rm -rf "$cand"' EXIT
for t in crash_title agent_message qmp_message journal_replay topology_yaml model_input; do mkdir -p "$cand/$t"; done

# A console's report is at its end (the guest panics): the last 3 KiB from a line start
# (a longer tail adds boot lines and slows the target, ~0.1 s per report under ASan).
tail_lines() { tail -c 3072 "$1" | sed 1d; }
n=0
for f in tests/rig/golden/*.log tests/rig/golden/raw/*.log; do tail_lines "$f" > "$cand/crash_title/golden-$((n++))"; done
for f in rig/configs/*.yaml tests/rig/configs/*.yaml; do cp "$f" "$cand/topology_yaml/"; done
for f in corpora/crashes/*.pcirig; do cp "$f" "$cand/model_input/"; done

# What the peer sent, one message per line, in windows of W lines (first HEAD lines repeated).
windows() {  # transcript.jsonl out-prefix W HEAD
  local lines
  lines=$(mktemp)
  jq -r 'select(.dir == "in") | if has("msg") then (.msg | tojson) else (.raw // empty) end' "$1" > "$lines"
  local total head_n=$4
  total=$(wc -l < "$lines")
  for ((i = head_n; i < total; i += $3)); do
    { head -n "$head_n" "$lines"; sed -n "$((i + 1)),$((i + $3))p" "$lines"; } > "$2-$i"
  done
  rm -f "$lines"
}
for d in "$@"; do
  id=$(basename "$d")
  [ -f "$d/console.log" ] && tail_lines "$d/console.log" > "$cand/crash_title/run-$id"
  [ -f "$d/config.yaml" ] && cp "$d/config.yaml" "$cand/topology_yaml/run-$id.yaml"
  [ -f "$d/agent.jsonl" ] && windows "$d/agent.jsonl" "$cand/agent_message/$id" 8 1
  [ -f "$d/qmp.jsonl" ] && windows "$d/qmp.jsonl" "$cand/qmp_message/$id" 8 2
  if [ -f "$d/journal.jsonl" ]; then
    cp "$d/journal.jsonl" "$cand/journal_replay/$id-all"
    split -l 24 -d "$d/journal.jsonl" "$cand/journal_replay/$id-"
  fi
done

for t in "$cand"/*/; do
  t=$(basename "$t")
  mkdir -p "corpora/$t"
  "$bin/pcirig-fuzz-$t" -merge=1 -max_len=8192 "corpora/$t" "$cand/$t" 2>&1 | grep -E "^MERGE-OUTER: [0-9]+ new files" || true
  echo "corpora/$t: $(ls "corpora/$t" | wc -l) inputs"
done
