#!/usr/bin/env bash
# Build one control kernel from a kernel source tarball (Debian's linux-source-6.1
# by default): x86_64 defconfig + fragments/base.config (+ flavour fragments),
# plus patches/NAME-*.patch, all outside the repo, under $PCIRIG_CACHE/kbuild/.
#
#   build-kernel.sh NAME OUTDIR [--flavour F[,F]] [--series X.Y | --source TARBALL|DIR]
#                   [--patch FILE]... [--config FILE|defconfig] [--fragment FILE]...
#                   [--jobs N] [--force]
#
#   NAME      fixed (no patches), regression (patches/regression-*.patch), or any
#             other name: patches/NAME-*.patch plus --patch files.
#   --series  Debian's linux-source-X.Y (installed when missing) instead of 6.1;
#             its patches come from patches/X.Y/ when that directory exists
#             (rebased there), else from patches/.
#   OUTDIR    receives bzImage, vmlinux (PVH entry: boots without decompression),
#             config, System.map, kernel.json.
#   --flavour base fragment plus fragments/F.config for each F (lockdep, kasan);
#             also from $PCIRIG_KERNEL_FLAVOUR.
#   --source  another kernel source tarball (.tar.xz/.tar.gz/.tar) whose top
#             directory holds a kernel tree; its sha256 is its version. Or a
#             kernel tree (DIR): copied (never built in place); its version is
#             a hash of its files' names, sizes and times (without .git).
#   --config  the config to start from instead of x86_64_defconfig; the
#             fragments are merged on top as usual.
#
# The cache key hashes the source version, the fragments, the patches and the
# flavour; when OUTDIR/kernel.json already holds that key the script returns at
# once. A patched kernel is built from a copy of the built unpatched tree with the
# same key inputs, so only the patched files and the link are rebuilt.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}
kbuild=$cache/kbuild
# Bump when the recipe below changes in a way that changes the built kernel.
recipe=1

log() { printf '[build-kernel] %s\n' "$*" >&2; }
die() { printf '[build-kernel] error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

name=${1:-}; outdir=${2:-}
[ -n "$name" ] && [ -n "$outdir" ] || usage
shift 2
flavours=${PCIRIG_KERNEL_FLAVOUR:-}
source_tar=/usr/src/linux-source-6.1.tar.xz
source_pkg=linux-source-6.1
extra_patches=(); extra_fragments=(); start_config=
jobs=$(nproc); force=0 series=
while [ $# -gt 0 ]; do
  case "$1" in
    --flavour) flavours=${2:?--flavour needs a value}; shift 2 ;;
    --source) source_tar=$(realpath -m "${2:?--source needs a file}"); source_pkg=; shift 2 ;;
    --series) series=${2:?--series needs a version such as 6.12}; shift 2
      [[ "$series" =~ ^[0-9]+\.[0-9]+$ ]] || die "--series '$series': give a version such as 6.12" ;;
    --config) start_config=${2:?--config needs a file or defconfig}
      [ "$start_config" = defconfig ] && start_config= || start_config=$(realpath -m "$start_config"); shift 2 ;;
    --patch) extra_patches+=("$(realpath "${2:?--patch needs a file}")"); shift 2 ;;
    --fragment) extra_fragments+=("$(realpath "${2:?--fragment needs a file}")"); shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --force) force=1; shift ;;
    *) die "unknown option '$1' (see: $0 --help)" ;;
  esac
done
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "kernel name '$name': use letters, digits, . _ -"
if [ -n "$series" ]; then
  [ "$source_pkg" = linux-source-6.1 ] || die "--series and --source: give one"
  source_tar=/usr/src/linux-source-$series.tar.xz source_pkg=linux-source-$series
  [ -e "$source_tar" ] || apt-cache show "$source_pkg" >/dev/null 2>&1 ||
    die "--series $series: no package $source_pkg in the apt sources (Debian 12 has linux-source-6.1 and linux-source-6.12)"
fi
mkdir -p "$outdir"; outdir=$(realpath "$outdir")

# --- build dependencies (installed only when missing) ---
deps=(build-essential flex bison bc libelf-dev libssl-dev dwarves cpio xz-utils jq patch)
[ -n "$source_pkg" ] && deps+=("$source_pkg")
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages (install as root): ${missing[*]}"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -e "$source_tar" ] || die "kernel source not found: $source_tar"
if [ -d "$source_tar" ]; then
  [ -f "$source_tar/Makefile" ] && [ -d "$source_tar/arch/x86" ] || die "--source $source_tar: not a kernel tree (no Makefile and arch/x86)"
fi
[ -z "$start_config" ] || [ -f "$start_config" ] || die "--config $start_config: no such file"
for p in "${extra_patches[@]}"; do [ -f "$p" ] || die "--patch $p: no such file"; done

# --- inputs of the cache key ---
# Another series is identified by its tarball's bytes, as --source identifies it: a
# user's `--source /usr/src/linux-source-X.Y.tar.xz` build then has the same unpatched
# inputs, and its built tree serves as the base (below).
if [ -n "$series" ]; then
  source_pkg=$(basename "$source_tar")
  source_version=sha256:$(sha256sum "$source_tar" | cut -d' ' -f1)
elif [ -n "$source_pkg" ]; then
  source_version=$(dpkg-query -W -f='${Version}' "$source_pkg")
else
  source_pkg=$(basename "$source_tar")
  if [ -d "$source_tar" ]; then
    source_version=files:$(cd "$source_tar" && find . -path ./.git -prune -o -type f -printf '%P %s %T@\n' |
      LC_ALL=C sort | sha256sum | cut -d' ' -f1)
  else
    source_version=sha256:$(sha256sum "$source_tar" | cut -d' ' -f1)
  fi
fi
fragments=("$here/fragments/base.config")
flavour_name=base
if [ -n "$flavours" ]; then
  IFS=, read -r -a fl <<<"$flavours"
  for f in "${fl[@]}"; do
    [ -f "$here/fragments/$f.config" ] || die "unknown flavour '$f' (no $here/fragments/$f.config)"
    fragments+=("$here/fragments/$f.config")
  done
  flavour_name=$(IFS=+; echo "${fl[*]}")
fi
fragments+=("${extra_fragments[@]}")
patches=()
patch_dir=$here/patches
[ -n "$series" ] && [ -d "$here/patches/$series" ] && patch_dir=$here/patches/$series
for p in "$patch_dir/$name"-*.patch; do [ -f "$p" ] && patches+=("$p"); done
patches+=("${extra_patches[@]}")
[ "$name" = fixed ] && [ ${#patches[@]} -gt 0 ] && die "'fixed' takes no patches"

hash_inputs() {  # with_patches(0|1): the bytes the kernel depends on
  printf 'recipe %s\nsource %s %s\nflavour %s\n' "$recipe" "$source_pkg" "$source_version" "$flavour_name"
  # Only when given, so the control kernels' keys stay what they were.
  if [ -n "$start_config" ]; then printf 'config\n'; cat "$start_config"; fi
  for f in "${fragments[@]}"; do printf 'fragment %s\n' "$(basename "$f")"; cat "$f"; done
  if [ "$1" = 1 ]; then
    for p in "${patches[@]}"; do printf 'patch %s\n' "$(basename "$p")"; cat "$p"; done
  fi
}
key=$(hash_inputs 1 | sha256sum | cut -d' ' -f1)
base_key=$(hash_inputs 0 | sha256sum | cut -d' ' -f1)

if [ "$force" = 0 ] && [ -f "$outdir/kernel.json" ] && [ -f "$outdir/bzImage" ] && [ -f "$outdir/vmlinux" ] \
   && grep -q "\"cache_key\": *\"$key\"" "$outdir/kernel.json"; then
  log "$name: up to date (cache key ${key:0:16})"
  exit 0
fi

mkdir -p "$kbuild/logs"
# One kernel build at a time per cache: the trees are shared.
exec 9>"$kbuild/.lock"
flock 9

unpack() {  # DIR: the source tarball's tree, unpacked into DIR
  local dir=$1 tmp=$1.unpacking
  rm -rf "$tmp"; mkdir -p "$tmp"
  if [ -d "$source_tar" ]; then
    # A user's tree: copied without .git and without its build products
    # (make mrproper in the copy), so the user's tree is only read.
    log "copying $source_tar into $dir"
    tar -C "$source_tar" --exclude=./.git -cf - . | tar -C "$tmp" -xf -
    make -C "$tmp" -s mrproper >/dev/null 2>&1 || true
    mv "$tmp" "$dir"
    return
  fi
  log "unpacking $(basename "$source_tar") into $dir"
  tar -xf "$source_tar" -C "$tmp"
  local top; top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
  [ -f "$top/Makefile" ] && [ -d "$top/arch/x86" ] || die "$source_tar does not hold a kernel tree"
  mv "$top" "$dir"; rm -rf "$tmp"
}

configure() {  # DIR: defconfig + fragments, then check the fragments took
  local dir=$1
  if [ -n "$start_config" ]; then
    cp "$start_config" "$dir/.config"
  else
    make -C "$dir" -s x86_64_defconfig >/dev/null
  fi
  (cd "$dir" && ./scripts/kconfig/merge_config.sh -m .config "${fragments[@]}" >/dev/null)
  make -C "$dir" -s olddefconfig >/dev/null
  # An option Kconfig silently dropped (unmet dependency) would make the kernel
  # quietly different from what the fragment promises: say so.
  local bad=()
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=n) grep -qx "${line%=n}=y" "$dir/.config" && bad+=("$line") ;;
      CONFIG_*) grep -qxF "$line" "$dir/.config" || bad+=("$line") ;;
    esac
  done < <(cat "${fragments[@]}" | sed 's/[[:space:]]*#.*//' | grep '^CONFIG_' |
           tac | awk -F= '!seen[$1]++')  # a later fragment overrides, as in merge_config.sh
  if [ ${#bad[@]} -gt 0 ]; then
    die "config fragment not honoured in $dir/.config: ${bad[*]}"
  fi
}

kmake() {  # DIR LOG TARGETS...: reproducible kernel build
  local dir=$1 logf=$2; shift 2
  nice -n 5 make -C "$dir" -j"$jobs" LOCALVERSION="-pcirig-$name" \
    KBUILD_BUILD_USER=pcirig KBUILD_BUILD_HOST=pcirig \
    KBUILD_BUILD_TIMESTAMP="source $source_version" "$@" >>"$logf" 2>&1 \
    || { tail -n 40 "$logf" >&2; die "kernel build failed, full log: $logf"; }
}

# Dry-runs PATCH in TREE; on failure sets PATCH_FAILURE to which file and hunk.
patch_check() {  # TREE PATCH
  local out file line missing=0
  out=$(patch -d "$1" -p1 --forward --batch --dry-run <"$2" 2>&1) && return 0
  PATCH_FAILURE=
  file=
  while IFS= read -r line; do
    case "$line" in
      "|+++ "*) file=${line#|+++ }; file=${file#*/}; file=${file%%$'\t'*}
        [ "$missing" = 1 ] && PATCH_FAILURE+="${PATCH_FAILURE:+; }$file: no such file in the tree"
        missing=0 ;;
      "checking file "*) file=${line#checking file } ;;
      "patching file "*) file=${line#patching file } ;;
      "Hunk #"*FAILED*) PATCH_FAILURE+="${PATCH_FAILURE:+; }$file: ${line%.}" ;;
      "can't find file to patch"*) missing=1 ;;
      *"Reversed (or previously applied) patch detected"*) PATCH_FAILURE+="${PATCH_FAILURE:+; }$file: already applied (reversed patch detected)" ;;
      *"Only garbage was found"*) PATCH_FAILURE+="${PATCH_FAILURE:+; }not a patch (only garbage found)" ;;
    esac
  done <<<"$out"
  [ -n "$PATCH_FAILURE" ] || PATCH_FAILURE=$(printf '%s' "$out" | tail -n 3 | paste -sd' ' -)
  return 1
}

# Each patch is tried (--dry-run) before it is applied, in order: one that does
# not apply stops the build there, naming its file and hunk, and the tree goes.
apply_patches() {
  local p
  for p in "${patches[@]}"; do
    if ! patch_check "$tree" "$p"; then
      rm -rf "$tree"
      die "patch $p does not apply to $source_pkg $source_version: $PATCH_FAILURE"
    fi
    log "$name: applying $(basename "$p")"
    patch -d "$tree" -p1 --forward --batch <"$p" >>"$logf" 2>&1 || die "patch $p does not apply, see $logf"
  done
}

start=$(date +%s.%N)
base_tree=$kbuild/tree-${base_key:0:16}-base
tree=$kbuild/tree-${key:0:16}-$name
logf=$kbuild/logs/$name-${key:0:16}.log
# The unpatched tree is fixed's: other names work in their own copy, since
# LOCALVERSION (-pcirig-NAME) differs.
if [ "$name" = fixed ]; then
  tree=$base_tree
fi
# Any built tree of the same unpatched inputs (a user's --source build of the same
# tarball under another name) can stand in for fixed's.
from_tree=$base_tree
if [ ! -f "$base_tree/.pcirig-built" ]; then
  for t in "$kbuild"/tree-"${base_key:0:16}"-*/; do
    t=${t%/}
    [ -f "$t/.pcirig-built" ] && [ "$(cut -d' ' -f1 "$t/.pcirig-built")" = "$base_key" ] && { from_tree=$t; break; }
  done
fi
if [ ! -f "$tree/.pcirig-configured" ]; then
  : >"$logf"
  rm -rf "$tree"
  if [ "$tree" != "$from_tree" ] && [ -f "$from_tree/.pcirig-built" ]; then
    base_tree=$from_tree
    log "$name: copying the built unpatched tree $base_tree (incremental build)"
    rm -rf "$tree.copying"
    cp -a "$base_tree" "$tree.copying"
    # tools/objtool records absolute paths in its .cmd files: left as they are,
    # the new path relinks objtool, and every object that objtool checked is
    # rebuilt with it (a full build). Point them at the copy instead.
    (cd "$tree.copying" && grep -rlF "$base_tree" --include='*.cmd' --include='*.d' . || true) |
      while IFS= read -r f; do sed -i "s|$base_tree|$tree|g" "$tree.copying/$f"; done
    mv "$tree.copying" "$tree"
    rm -f "$tree/.pcirig-built"
    apply_patches
  else
    unpack "$tree"
    apply_patches  # before configure: a patch may touch a Kconfig
    configure "$tree"
  fi
  touch "$tree/.pcirig-configured"
fi
# --force re-runs make in the kept tree (incremental: fast when nothing changed).
[ "$force" = 1 ] && rm -f "$tree/.pcirig-built"
if [ -f "$tree/.pcirig-built" ] && [ "$(cut -d' ' -f1 "$tree/.pcirig-built")" = "$key" ]; then
  # Built before for another OUTDIR: copy, and report the original build time.
  log "$name: already built in $tree"
  seconds=$(cut -d' ' -f2 "$tree/.pcirig-built")
else
  log "$name: building in $tree (log: $logf)"
  kmake "$tree" "$logf" bzImage
  end=$(date +%s.%N)
  seconds=$(echo "$end - $start" | bc)
  echo "$key $seconds" >"$tree/.pcirig-built"
fi
release=$(make -C "$tree" -s LOCALVERSION="-pcirig-$name" kernelrelease)

cp "$tree/arch/x86/boot/bzImage" "$outdir/bzImage.tmp" && mv "$outdir/bzImage.tmp" "$outdir/bzImage"
cp "$tree/vmlinux" "$outdir/vmlinux.tmp" && mv "$outdir/vmlinux.tmp" "$outdir/vmlinux"
cp "$tree/.config" "$outdir/config"
cp "$tree/System.map" "$outdir/System.map"
patch_names=$(for p in "${patches[@]}"; do basename "$p"; done)
jq -n --arg name "$name" --arg release "$release" --arg pkg "$source_pkg" \
  --arg ver "$source_version" --arg key "$key" --argjson secs "$seconds" \
  --arg patches "$patch_names" --arg flavour "$flavour_name" --arg tree "$tree" \
  '{name:$name, release:$release, source_package:$pkg, source_version:$ver,
    cache_key:$key, build_seconds:$secs,
    patches:($patches | split("\n") | map(select(length>0))), flavour:$flavour,
    build_tree:$tree}' >"$outdir/kernel.json.tmp"
mv "$outdir/kernel.json.tmp" "$outdir/kernel.json"
log "$name: $release built in ${seconds%.*} s -> $outdir"
