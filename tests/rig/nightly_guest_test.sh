#!/usr/bin/env bash
# The campaign end to end: two short guests at once and a model run, then the report as a
# person sees it, in headless Chromium: the runs and crash tables' rows, every link
# opening a file, each chart with its points drawn inside it.
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$pcirig" nightly --plan "$plans/guest_quick.yaml" --parallel 2 --accel tcg --out "$work" --history "$work/h.sqlite" 2>&1 | tee "$work/log"
rc=${PIPESTATUS[0]}
[ "$rc" -le 1 ] || fail "campaign exit $rc"
dir=$(ls -d "$work"/nightly-*)
[ "$(jq -r .status "$dir/report.json")" = finished ] || fail "status $(jq -r .status "$dir/report.json")"
[ "$(wc -l < "$dir/ledger.jsonl")" -eq 3 ] || fail "ledger: $(wc -l < "$dir/ledger.jsonl") runs (want 3)"
vm=$(jq -c 'select(.kind == "vm")' "$dir/ledger.jsonl")
[ "$(echo "$vm" | wc -l)" -eq 2 ] || fail "want 2 guest runs"
echo "$vm" | jq -e 'select(.result == "infra")' > /dev/null && fail "a guest run ended on the rig: $vm"
for d in $(echo "$vm" | jq -r .run_dir); do
  [ -s "$dir/$d/console.log" ] && [ -s "$dir/$d/journal.jsonl" ] || fail "$d lacks its console or journal"
  [ "$(jq -r .result "$dir/$d/result.json")" != running ] || fail "$d has no verdict"
done
# Side by side: the second guest started before the first one ended.
echo "$vm" | jq -s -e '(.[0].start_offset_s < .[1].end_offset_s) and (.[1].start_offset_s < .[0].end_offset_s)' > /dev/null \
  || fail "the two guests did not overlap: $(echo "$vm" | jq -c '[.start_offset_s, .end_offset_s]' | tr '\n' ' ')"
echo "$vm" | jq -s -e 'all(.reads_per_s > 0 and .plug_cycles >= 0)' > /dev/null || fail "no guest figures: $vm"
grep -q 'testcase classname="pcirig.vm" name="vm:default/debian/own/acpi"' "$dir/junit.xml" || fail "junit lacks the acpi cell"

# The browser: check.html loads the report in a frame and writes what it finds.
cat > "$dir/check.html" <<'HTML'
<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" src="report.html" width="1200" height="2000"></iframe>
<script>
document.getElementById('f').onload = function () {
  const d = this.contentDocument, out = [];
  out.push('runs=' + d.querySelectorAll('#runs tr.run-row').length);
  out.push('crash_rows=' + d.querySelectorAll('#crashes tr.crash-row').length);
  let ok = 0, bad = [];
  for (const a of d.querySelectorAll('a.runlink')) {
    const x = new XMLHttpRequest();
    try { x.open('GET', a.href, false); x.send(); (x.responseText.length > 0 ? ok++ : bad.push(a.getAttribute('href'))); }
    catch (e) { bad.push(a.getAttribute('href')); }
  }
  out.push('links_ok=' + ok, 'links_bad=' + bad.length + (bad.length ? ' ' + bad.join(' ') : ''));
  let drawn = 0;
  for (const svg of d.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect(), pts = svg.querySelectorAll('circle');
    const inside = Array.from(pts).filter(c => { const r = c.getBoundingClientRect();
      return r.width > 0 && r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom; });
    const line = svg.querySelector('polyline');
    if (box.width > 300 && pts.length > 0 && inside.length === pts.length && line && line.getBBox().width >= 0) drawn++;
  }
  out.push('charts_drawn=' + drawn);
  document.getElementById('out').textContent = out.join(' ');
};
</script></body></html>
HTML
chrome() {
  timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
    --allow-file-access-from-files --virtual-time-budget=10000 "$@" 2>> "$work/chromium.log"
}
result=$(chrome --dump-dom "file://$dir/check.html" | grep -o '<pre id="out">[^<]*' | sed 's/.*>//')
echo "chromium: $result"
crashes=$(jq '.crashes | length' "$dir/report.json")
links=$(grep -o 'class="runlink"' "$dir/report.html" | wc -l)
[ "$result" = "runs=3 crash_rows=$crashes links_ok=$links links_bad=0 charts_drawn=3" ] \
  || fail "chromium saw '$result' (want runs=3 crash_rows=$crashes links_ok=$links links_bad=0 charts_drawn=3); $(tail -3 "$work/chromium.log")"
chrome --window-size=1280,1400 --screenshot="$work/report.png" "file://$dir/report.html" > /dev/null
[ -s "$work/report.png" ] || fail "no screenshot"
[ -n "${PCIRIG_REPORT_SHOT:-}" ] && cp "$work/report.png" "$PCIRIG_REPORT_SHOT"  # docs/ keeps one
echo "ok: 2 guests side by side, report checked in Chromium ($result)"
