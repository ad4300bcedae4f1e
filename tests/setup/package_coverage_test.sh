#!/usr/bin/env bash
# run.sh's packages=(...) list must install everything the project uses on a fresh
# Debian 12. Every file a CMake preset finds (CMakeCache.txt paths, the paths in
# build.ninja, the compiler driver's own link inputs and runtimes) and every
# external command the shell scripts call must be owned (dpkg -S) by a package in
# the closure of that list: the listed packages, the base system (Essential: yes
# and Priority: required, present on every Debian install) and, transitively,
# their Depends and Pre-Depends ("a | b" counts when one of them is in the
# closure, else a, as apt would pick). Anything else is named with its owner.
#   package_coverage_test.sh REPO_ROOT
# Commands are found by parsing the scripts (shfmt's syntax tree), not from a list:
# bash builtins and keywords and the scripts' own functions are left out; a
# command named by a variable ("$rig") is not seen.
set -u  # not -e: a failed lookup is reported, not fatal
root=$(cd "${1:?usage: package_coverage_test.sh REPO_ROOT}" && pwd)
for t in shfmt jq dpkg-query cmake; do
  type -P "$t" >/dev/null || { echo "FAIL: $t is not installed (./run.sh installs it)"; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-coverage.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The presets (and the agent's stand-alone project that build.sh may configure)
# configure in the background while the scripts are read.
configs=(default fuzz release agent-standalone)
declare -A configuring
for p in "${configs[@]}"; do
  if [ "$p" = agent-standalone ]; then
    (cd "$root" && exec cmake -S guest-images/agent-standalone -B "$work/$p" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo) >"$work/$p.log" 2>&1 &
  else
    (cd "$root" && exec cmake --preset "$p" -B "$work/$p") >"$work/$p.log" 2>&1 &
  fi
  configuring[$p]=$!
done

# --- the host scripts: run.sh, what it runs, the image builders, the test scripts
scripts=(run.sh .ci/run)
while IFS= read -r f; do scripts+=("${f#"$root"/}"); done < <(
  find "$root/guest-images" "$root/fuzz/scripts" "$root/tests" -name '*.sh' -type f | LC_ALL=C sort)

# A word is literal when every part is plain text: its value, else null.
jq_words='
def lit: if .Type == "Lit" or .Type == "SglQuoted" then .Value
  elif .Type == "DblQuoted" then ([(.Parts // [])[] | lit] | if any(.[]; . == null) then null else join("") end)
  else null end;
def word: [(.Parts // [])[] | lit] | if any(.[]; . == null) then null else join("") end;
def opts: if length > 0 and (.[0] // "" | startswith("-")) then .[1:] | opts else . end;
# exec/command/nice/timeout/env run the command that follows them.
def unwrap: if length == 0 then .
  elif .[0] == "exec" or .[0] == "command" or .[0] == "builtin" then .[1:] | opts | unwrap
  elif .[0] == "nice" then .[1:] | (if .[0] == "-n" then .[2:] else . end) | opts | unwrap
  elif .[0] == "timeout" then .[1:] | opts | .[1:] | unwrap
  elif .[0] == "env" then .[1:] | until(length == 0 or ((.[0] // "-x" | startswith("-") or contains("=")) | not); .[1:]) | unwrap
  else . end;
'
# Lines "cmd<TAB>NAME<TAB>LINE", "func<TAB>NAME", "pkg<TAB>NAME" (a packages=/deps= array).
for s in "${scripts[@]}"; do
  [ -f "$root/$s" ] || continue
  shfmt -ln bash --tojson <"$root/$s" >"$work/ast.json" 2>"$work/shfmt.err" ||
    { bad "$s does not parse: $(head -1 "$work/shfmt.err")"; continue; }
  jq -r "$jq_words"'
    (.. | objects | select(.Type? == "CallExpr" and (.Args | length) > 0) |
      .Pos.Line as $l | [.Args[] | word] as $w |
      (($w | unwrap | .[0]), ($w | to_entries[] | select(.value == "-exec" or .value == "-execdir") | $w[.key + 1]))
      | select(. != null and . != "") | "cmd\t\(.)\t\($l)"),
    (.. | objects | select(.Type? == "FuncDecl") | "func\t\(.Name.Value)"),
    (.. | objects | select((.Name?.Value? == "packages" or .Name?.Value? == "deps") and .Array? != null) |
      .Array.Elems[] | .Value | word | select(. != null) | "pkg\t\(.)"),
    (.. | objects | select(.Name?.Value? == "source_pkg" and .Value? != null) |
      .Value | word | select(. != null and . != "") | "pkg\t\(.)")
  ' "$work/ast.json" | sed "s|\$|\t$s|" >>"$work/words.tsv"
done

# run.sh's list, the only list that counts.
shfmt -ln bash --tojson <"$root/run.sh" | jq -r "$jq_words"'
  .. | objects | select(.Name?.Value? == "packages" and .Array? != null) | .Array.Elems[] | .Value | word' \
  >"$work/listed"
[ -s "$work/listed" ] || { echo "FAIL: no packages=( ... ) list in run.sh"; exit 1; }

# --- the closure of the list on this machine's package database
dpkg-query -W -f='${Package}\t${Essential}\t${Priority}\t${Provides}\t${Depends}, ${Pre-Depends}\t${db:Status-Abbrev}\n' |
  awk -F'\t' -v listed="$(tr '\n' ' ' <"$work/listed")" '
  function name(s) { gsub(/^[ ]+|[ ]+$/, "", s); sub(/[ :(].*/, "", s); return s }
  function add(p) { if (!(p in C)) { C[p] = 1; Q[qt++] = p; grew = 1 } }
  function addname(n,   k, P, i) {  # a real package, or the installed providers of a virtual one
    if (n in inst) add(n)
    else if (n in prov) { k = split(prov[n], P, " "); for (i = 1; i <= k; i++) add(P[i]) }
  }
  function has(n,   k, P, i) {
    if (n in C) return 1
    if (n in prov) { k = split(prov[n], P, " "); for (i = 1; i <= k; i++) if (P[i] in C) return 1 }
    return 0
  }
  $6 ~ /^ii/ {
    inst[$1] = 1; deps[$1] = $5
    if ($2 == "yes" || $3 == "required") base[$1] = 1
    n = split($4, V, /,/); for (i = 1; i <= n; i++) { v = name(V[i]); if (v != "") prov[v] = prov[v] " " $1 }
  }
  END {
    n = split(listed, L, " ")
    for (i = 1; i <= n; i++) { if (L[i] in inst) add(L[i]); else print "notinstalled\t" L[i] }
    for (p in base) add(p)
    grew = 1
    while (grew) {
      grew = 0
      while (qh < qt) {
        p = Q[qh++]; g = split(deps[p], G, /,/)
        for (i = 1; i <= g; i++) {
          a = split(G[i], A, /\|/)
          if (a == 1) { x = name(A[1]); if (x != "") addname(x) }
          else if (a > 1) alt[G[i]] = 1
        }
      }
      for (grp in alt) {  # an alternative is met by any member, else apt takes the first
        a = split(grp, A, /\|/); ok = 0
        for (j = 1; j <= a; j++) if (has(name(A[j]))) ok = 1
        if (!ok) addname(name(A[1]))
      }
    }
    for (p in C) print "closure\t" p
  }' >"$work/closure.tsv"
awk -F'\t' '$1 == "notinstalled" {print $2}' "$work/closure.tsv" | while read -r p; do
  echo "FAIL: run.sh lists $p, which is not installed here (run ./run.sh to set up)"; done >>"$work/fails"
awk -F'\t' '$1 == "closure" {print $2}' "$work/closure.tsv" | LC_ALL=C sort >"$work/closure"

# Packages that scripts install themselves (build-kernel.sh's deps) must be in it too.
awk -F'\t' '$1 == "pkg" {print $2 "\t" $3}' "$work/words.tsv" | LC_ALL=C sort -u | while IFS=$'\t' read -r p s; do
  grep -qxF "$p" "$work/closure" || echo "FAIL: $s installs $p, which run.sh's packages do not pull in"
done >>"$work/fails"

# --- external commands of the scripts -> their files. Looked up on a fresh system's
# PATH: a tool only under /usr/local or a home directory came from no package.
syspath=/usr/sbin:/usr/bin:/sbin:/bin
declare -A notexternal
while read -r w; do notexternal[$w]=1; done < <(compgen -b; compgen -k; awk -F'\t' '$1 == "func" {print $2}' "$work/words.tsv")
ncmd=0
while IFS=$'\t' read -r c line s; do
  [ -n "${notexternal[$c]:-}" ] && continue
  case "$c" in
    /*) p=$c ;;
    */*) continue ;;  # a path in the tree ("$here/build.sh", ./scripts/kconfig/...)
    *) p=$(PATH=$syspath type -P -- "$c") || { echo "FAIL: $s:$line calls '$c', which is not installed here" >>"$work/fails"; continue; } ;;
  esac
  [ -e "$p" ] || { echo "FAIL: $s:$line calls $p, which does not exist here" >>"$work/fails"; continue; }
  printf '%s\t%s\n' "$p" "$s:$line ($c)" >>"$work/paths.tsv"
  ncmd=$((ncmd + 1))
done < <(awk -F'\t' '$1 == "cmd" {print $2 "\t" $3 "\t" $4}' "$work/words.tsv" | LC_ALL=C sort -t$'\t' -k1,1 -u)
echo "scripts: ${#scripts[@]} parsed, $ncmd distinct external commands (${SECONDS}s)"

# --- what the configured presets use
: >"$work/x.o"; echo 'int main() {}' >"$work/x.cc"
driver_paths() {  # COMPILER FLAGS...: the files the compiler driver would use (-### runs nothing)
  "$@" -### 2>&1 | tr ' ' '\n' | tr -d '"' | sed -n 's/^-[A-Za-z-]*=\{0,1\}\(\/\)/\1/; /^\//p'
}
for p in "${configs[@]}"; do
  b="$work/$p"
  wait "${configuring[$p]}" ||
    { bad "cmake configure of $p failed: $(grep -m3 -A3 'Error' "$b.log" | tr '\n' ' ')"; continue; }
  # Cache entries that are (lists of) absolute paths: *_DIR, libraries, tools.
  sed -n 's/^\([A-Za-z0-9_.+-]*\):[A-Z]*=\(\/.*\)$/\1\t\2/p' "$b/CMakeCache.txt" |
    while IFS=$'\t' read -r k v; do
      IFS=';' read -r -a fs <<<"$v"
      for f in "${fs[@]}"; do
        case "$f" in "$root"*|"$work"*|/usr/local) continue ;; esac
        if [ -e "$f" ]; then printf '%s\t%s\n' "$f" "$p preset: CMakeCache $k"; fi
      done
    done >>"$work/paths.tsv"
  # Include dirs, libraries and tools the generated build uses.
  grep -o '/usr/[^ "$;:]*' "$b/build.ninja" | LC_ALL=C sort -u | while read -r f; do
    [ -e "$f" ] && printf '%s\t%s\n' "$f" "$p preset: build.ninja"
  done >>"$work/paths.tsv"
  # Runtimes the compiler adds at link time (crt files, libstdc++, libFuzzer, sanitizers).
  cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$b/CMakeCache.txt")
  [ -n "$cxx" ] || cxx=$(sed -n 's/^set(CMAKE_CXX_COMPILER "\(.*\)")$/\1/p' "$b"/CMakeFiles/*/CMakeCXXCompiler.cmake)
  cxx=$(type -P "$cxx" || echo "$cxx")
  { echo; sed -n 's/^  LINK_FLAGS = //p' "$b/build.ninja"; } | LC_ALL=C sort -u | while read -r lf; do
    # shellcheck disable=SC2086  # flags are words
    driver_paths "$cxx" $lf -o "$work/x" "$work/x.o" | while read -r f; do
      case "$f" in "$work"*) continue ;; esac
      if [ -f "$f" ]; then printf '%s\t%s\n' "$f" "$p preset: $(basename "$cxx") ${lf:-(plain link)}"
      elif [[ "$f" =~ \.(a|o|so)(\.[0-9]+)*$ ]]; then
        echo "FAIL: $p preset: $(basename "$cxx") ${lf} links $f, which does not exist here" >>"$work/fails"
      fi
    done
  done >>"$work/paths.tsv"
  sed -n 's/^  FLAGS = //p' "$b/build.ninja" | LC_ALL=C sort -u | while read -r cf; do
    # shellcheck disable=SC2086
    driver_paths "$cxx" $cf -c "$work/x.cc" -o "$work/x.o" | while read -r f; do
      case "$f" in "$work"*|"$root"*|/usr/local/*) continue ;; esac  # the input; empty search dirs
      if [ -e "$f" ]; then printf '%s\t%s\n' "$f" "$p preset: $(basename "$cxx") compile"; fi
    done
  done >>"$work/paths.tsv"
  echo "preset $p: configured, $(grep -c "$p preset" "$work/paths.tsv") path references (${SECONDS}s)"
done

# --- owners. dpkg knows a file by the path its package ships: under merged /usr,
# /usr/bin/sed is /bin/sed to dpkg; an alternative (/usr/bin/awk) by its target.
cut -f1 "$work/paths.tsv" | LC_ALL=C sort -u >"$work/files"
# Each file, then its variants in order: as named, with .. removed, symlinks
# resolved, each also across the /usr merge.
xargs -d '\n' realpath -m -s -- <"$work/files" >"$work/files.norm"
xargs -d '\n' realpath -m -- <"$work/files" >"$work/files.real"
paste "$work/files" "$work/files.norm" "$work/files.real" | awk -F'\t' '{
  split("", seen)
  for (i = 1; i <= 3; i++) {
    x = $i; m = ""
    if (x ~ /^\/usr\/(bin|sbin|lib|lib64)\//) m = substr(x, 5)
    else if (x ~ /^\/(bin|sbin|lib|lib64)\//) m = "/usr" x
    if (!(x in seen)) { seen[x] = 1; print $1 "\t" x }
    if (m != "" && !(m in seen)) { seen[m] = 1; print $1 "\t" m }
  }
}' >"$work/variants.tsv"
cut -f2 "$work/variants.tsv" | LC_ALL=C sort -u | xargs -d '\n' dpkg-query -S 2>/dev/null |
  grep -v '^diversion by' | sed -n 's/^\(.*\): \(\/.*\)$/\2\t\1/p' >"$work/owners.tsv" || true
awk -F'\t' -v closure="$work/closure" -v counted="$work/checked" '
  BEGIN { while ((getline l < closure) > 0) C[l] = 1 }
  FILENAME == ARGV[1] { o = $2; gsub(/:[a-z0-9]+/, "", o); gsub(/ /, "", o); own[$1] = o; next }
  FILENAME == ARGV[2] { if (!($1 in pick) && ($2 in own)) pick[$1] = own[$2]; next }
  {
    f = $1
    if (f in done) next
    done[f] = 1
    if (!(f in pick)) { print "FAIL: " f " (" $2 ") belongs to no Debian package"; next }
    n = split(pick[f], P, ","); ok = 0
    for (i = 1; i <= n; i++) if (P[i] in C) ok = 1
    if (!ok) print "FAIL: " f " (" $2 ") is owned by " pick[f] ", which run.sh'"'"'s packages do not pull in"
    checked++
  }
  END { print checked + 0 > counted }
' "$work/owners.tsv" "$work/variants.tsv" "$work/paths.tsv" >>"$work/fails"
echo "files checked against dpkg: $(cat "$work/checked")"

echo "run.sh lists $(wc -l <"$work/listed") packages; closure with the base system: $(wc -l <"$work/closure") packages"
if [ -s "$work/fails" ] || [ "$fail" = 1 ]; then
  LC_ALL=C sort -u "$work/fails"
  echo "package coverage: FAILED ($(LC_ALL=C sort -u "$work/fails" | wc -l) problems)"
  exit 1
fi
echo "package coverage: ok"
