#!/usr/bin/env bash
# Builds a guest image: a kernel plus an initramfs (busybox-static, modules,
# pcirig-agent, /init), cached under $PCIRIG_CACHE/images/NAME with an
# image.json describing it (docs/CONTRACTS.md, docs/guest-images.md).
#
#   guest-images/build.sh [--kernel debian|fixed|regression[-FLAVOUR]] [--if-needed]
#                         [--out DIR] [--agent PATH]
#   guest-images/build.sh --kernel NAME --tree DIR | --image FILE [--config FILE]
#                         | --source DIR|TARBALL [--patch P]... [--config FILE|defconfig]
#
# debian: Debian 12's packaged kernel (apt-get download, never installed).
# fixed, regression: kernels built from linux-source-6.1 by
#   guest-images/control/build-kernel.sh (drivers built in: no modules).
#   A -FLAVOUR suffix (fixed-lockdep, regression-kasan, fixed-lockdep+kasan)
#   adds guest-images/control/fragments/FLAVOUR.config to the build; a series
#   among them (regression-6.12, fixed-6.12+lockdep) builds from Debian's
#   linux-source-6.12 with the patches rebased in control/patches/6.12/.
# Any other NAME is the user's kernel (docs/guest-images.md "Your own kernel"):
#   --tree DIR     a tree built by the user: vmlinux (PVH) or bzImage, .config,
#                  and its modules when the config is modular; the tree is only read.
#   --image FILE   a vmlinux or bzImage; its config from --config, the image's
#                  IKCONFIG, or /boot-style config-RELEASE beside it.
#   --source ...   built here by control/build-kernel.sh with the project's
#                  fragment (--patch, --config as there), cached by its inputs.
#   Later `--kernel NAME` alone re-uses those arguments (images/NAME/origin.args).
# --if-needed: return at once when the inputs' hash matches image.json's.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"
source "$here/lib/common.sh"
source "$here/lib/extract-vmlinux.sh"
source "$here/lib/debian-kernel.sh"
source "$here/lib/initramfs.sh"
source "$here/lib/user-kernel.sh"

kernel=debian if_needed=0 out= agent=${PCIRIG_AGENT:-}
user_tree= user_image= user_source= user_config= user_patches=()
parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --kernel) kernel=${2:?--kernel needs debian, fixed or regression[-FLAVOUR]}; shift 2 ;;
      --kernel=*) kernel=${1#*=}; shift ;;
      --if-needed) if_needed=1; shift ;;
      --out) out=${2:?--out needs a directory}; shift 2 ;;
      --agent) agent=${2:?--agent needs a path}; shift 2 ;;
      --tree) user_tree=$(realpath -m "${2:?--tree needs a directory}"); shift 2 ;;
      --image) user_image=$(realpath -m "${2:?--image needs a file}"); shift 2 ;;
      --source) user_source=$(realpath -m "${2:?--source needs a directory or tarball}"); shift 2 ;;
      --config) user_config=${2:?--config needs a file or defconfig}
        [ "$user_config" = defconfig ] || user_config=$(realpath -m "$user_config"); shift 2 ;;
      --patch) user_patches+=("$(realpath -m "${2:?--patch needs a file}")"); shift 2 ;;
      -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
  done
}
parse_args "$@"
# fixed-lockdep -> base fixed, flavours lockdep; fixed-lockdep+kasan -> lockdep,kasan.
control_base=${kernel%%-*} control_flavours= control_series=
user_origin=$(( ${#user_tree} > 0 )):$(( ${#user_image} > 0 )):$(( ${#user_source} > 0 ))
case "$user_origin" in
  0:0:0) [ -z "$user_config" ] && [ ${#user_patches[@]} -eq 0 ] ||
           die "--config and --patch go with --source (or --config with --image)" ;;
  1:0:0|0:1:0|0:0:1) ;;
  *) die "give one of --tree, --image, --source" ;;
esac
[ -z "$user_config" ] || [ -z "$user_tree" ] || die "--config does not go with --tree (the tree's own .config is the one it was built with)"
[ ${#user_patches[@]} -eq 0 ] || [ -n "$user_source" ] ||
  die "--patch needs --source (a built --tree or --image cannot be patched here)"
if [ "$user_origin" = 0:0:0 ] && [ -f "$PCIRIG_CACHE/images/$kernel/origin.args" ]; then
  # A user kernel built before: the same arguments again (a changed tree rebuilds).
  mapfile -t saved <"$PCIRIG_CACHE/images/$kernel/origin.args"
  parse_args "${saved[@]}"
  user_origin=set
fi
case "$kernel" in
  debian|fixed|regression|fixed-*|regression-*)
    [ "$user_origin" = 0:0:0 ] || die "'$kernel' is a kernel the project builds: give yours another name" ;;
  *) [ "$user_origin" = 0:0:0 ] &&
       die "unknown kernel '$kernel': debian, fixed or regression (optionally -lockdep, -kasan or -lockdep+kasan), or your own with --tree DIR, --image FILE or --source DIR|TARBALL"
     [[ "$kernel" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "kernel name '$kernel': use letters, digits, . _ + -"
     control_base=user ;;
esac
case "$kernel" in
  debian|fixed|regression) ;;
  fixed-*|regression-*)
    # A token such as 6.12 is the source series (Debian's linux-source-6.12), not a fragment.
    flavour_list=
    for f in $(tr '+' ' ' <<<"${kernel#*-}"); do
      if [[ "$f" =~ ^[0-9]+\.[0-9]+$ ]]; then
        [ -z "$control_series" ] || die "two source series in '$kernel'"
        control_series=$f
        continue
      fi
      [ -f "$here/control/fragments/$f.config" ] || die "unknown flavour '$f' in '$kernel' (no control/fragments/$f.config)"
      flavour_list+=${flavour_list:+,}$f
    done
    control_flavours=$flavour_list ;;
  *) ;;
esac
out=${out:-$PCIRIG_CACHE/images/$kernel}
start=$(date +%s.%N)

# One build at a time per kernel name: run.sh, the tests and the orchestrator
# may all ask for the same image at once, and they share the unpacked kernel.
# Per name, so that a 15-minute control-kernel build (which has its own lock on
# the shared kernel tree) does not hold up the Debian image's 1 s check.
mkdir -p "$PCIRIG_CACHE"
exec 9>"$PCIRIG_CACHE/.images-$kernel.lock"
if ! flock -n 9; then
  log "waiting for another image build to finish"
  flock 9
fi

# The agent binary: --agent, else the main build's, else build it (the main
# build if configured, else the agent alone so an image never waits on other parts).
resolve_agent() {
  [ -n "$agent" ] && { [ -x "$agent" ] || die "agent $agent is not an executable"; return; }
  agent="$root/build/default/rig/agent/pcirig-agent"
  [ -x "$agent" ] && return
  if [ -f "$root/build/default/build.ninja" ] &&
     cmake --build "$root/build/default" --target pcirig-agent >&2; then
    [ -x "$agent" ] && return
  fi
  log "building pcirig-agent alone (build/agent-standalone)"
  cmake -S "$here/agent-standalone" -B "$root/build/agent-standalone" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || die "configuring the agent build failed"
  cmake --build "$root/build/agent-standalone" >&2 || die "building pcirig-agent failed"
  agent="$root/build/agent-standalone/rig/agent/pcirig-agent"
}
resolve_agent

busybox_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || busybox | head -1)
builder_hash=$(cat "$here/build.sh" "$here"/lib/*.sh | sha256_stdin)

# A user's kernel (--tree, --image, --source): its identity for the cache key,
# then (when the image must be built) the files. The user's paths are only read.
user_kernel_inputs() {
  kout="$PCIRIG_CACHE/kernels/$kernel"
  module_list=""
  user_args=(--kernel "$kernel")
  if [ -n "$user_tree" ]; then
    inspect_tree_kernel "$kernel" "$user_tree"
    kernel_identity=$TREE_IDENTITY
    user_args+=(--tree "$user_tree")
    user_origin_text="tree $user_tree"
    if [ "$(config_flag_json "$KERNEL_CONFIG" MODULES)" = true ]; then
      if [ -f "$user_tree/modules.order" ]; then
        module_list=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$here/modules.list")
      else
        log "--tree $user_tree: CONFIG_MODULES=y but no modules built (no modules.order): built-in drivers only"
      fi
    fi
  elif [ -n "$user_image" ]; then
    prepare_image_kernel "$kernel" "$user_image" "$user_config"
    kernel_identity="image $user_image $(sha256sum <"$KERNEL_IMAGE" | cut -c1-16) $(sha256sum <"$KERNEL_CONFIG" | cut -c1-16)"
    user_args+=(--image "$user_image")
    [ -n "$user_config" ] && user_args+=(--config "$user_config")
    user_origin_text="image $user_image"
  else
    builder="$here/control/build-kernel.sh"
    local bargs=(--source "$user_source")
    for p in "${user_patches[@]}"; do [ -f "$p" ] || die "--patch $p: no such file"; bargs+=(--patch "$p"); done
    [ -n "$user_config" ] && bargs+=(--config "$user_config")
    mkdir -p "$kout"
    log "kernel $kernel: $builder $kernel $kout ${bargs[*]}"
    "$builder" "$kernel" "$kout" "${bargs[@]}" >&2 || die "building the $kernel kernel failed (see above)"
    [ -f "$kout/kernel.json" ] && [ -f "$kout/config" ] || die "$builder left no kernel.json/config in $kout"
    kernel_identity="$kernel $(json_field "$kout/kernel.json" release) $(json_field "$kout/kernel.json" cache_key)"
    user_args+=("${bargs[@]}")
    user_origin_text="source $user_source${user_patches[*]:+ patches ${user_patches[*]}}"
  fi
}
user_kernel_prepare() {
  if [ -n "$user_tree" ]; then
    if [ -n "$module_list" ]; then
      stage_tree_modules "$user_tree" "$kout" "$KERNEL_RELEASE"
      module_list=$(available_modules "$MODULES_ROOT" "$KERNEL_RELEASE" "$here/modules.list")
    fi
  elif [ -n "$user_source" ]; then
    KERNEL_RELEASE=$(json_field "$kout/kernel.json" release)
    KERNEL_CONFIG="$kout/config"
    if [ -s "$kout/vmlinux" ]; then KERNEL_IMAGE="$kout/vmlinux"; else KERNEL_IMAGE="$kout/bzImage"; fi
  fi
}

# Kernel inputs first: the cache key must be known before any heavy work.
case "$kernel" in debian) kind=debian ;; *) kind=control ;; esac
[ "$control_base" = user ] && kind=user
case "$kind" in
  user) user_kernel_inputs ;;
  debian)
    resolve_debian_kernel
    kernel_identity="$DEB_PKG $DEB_VER"
    module_list=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$here/modules.list")
    ;;
  control)
    builder="$here/control/build-kernel.sh"
    [ -x "$builder" ] || die "$builder is missing: the $kernel kernel is built by guest-images/control"
    kout="$PCIRIG_CACHE/kernels/$kernel"
    mkdir -p "$kout"
    log "kernel $kernel: $builder $control_base $kout${control_flavours:+ --flavour $control_flavours}${control_series:+ --series $control_series}"
    "$builder" "$control_base" "$kout" ${control_flavours:+--flavour "$control_flavours"} \
      ${control_series:+--series "$control_series"} >&2 ||
      die "building the $kernel kernel failed (see above)"
    [ -f "$kout/kernel.json" ] && [ -f "$kout/config" ] || die "$builder left no kernel.json/config in $kout"
    # Release and the kernel's own cache key: not build_seconds, which differs
    # between two builds of the same inputs.
    kernel_identity="$kernel $(json_field "$kout/kernel.json" release) $(json_field "$kout/kernel.json" cache_key)"
    module_list=""  # drivers built in
    ;;
esac

cache_key=$( {
  echo "kernel=$kernel_identity"
  echo "modules=$module_list"
  echo "busybox=$busybox_version"
  echo "agent=$(sha256sum <"$agent" | cut -d' ' -f1)"
  echo "init=$(sha256sum <"$here/init" | cut -d' ' -f1)"
  echo "builder=$builder_hash"
} | sha256_stdin)

if [ "$if_needed" = 1 ] && [ -f "$out/image.json" ] &&
   grep -q "\"cache_key\":\"$cache_key\"" "$out/image.json" &&
   [ -s "$(json_field "$out/image.json" kernel)" ] && [ -s "$out/initramfs.cpio.gz" ]; then
  log "image $kernel is up to date ($out/image.json)"
  exit 0
fi

require_space "$PCIRIG_CACHE" 300
case "$kind" in
  user) user_kernel_prepare ;;
  debian)
    prepare_debian_kernel
    ;;
  control)
    KERNEL_RELEASE=$(json_field "$kout/kernel.json" release)
    KERNEL_CONFIG="$kout/config"
    if [ -s "$kout/vmlinux" ]; then KERNEL_IMAGE="$kout/vmlinux"; else KERNEL_IMAGE="$kout/bzImage"; fi
    [ -s "$KERNEL_IMAGE" ] || die "no vmlinux or bzImage in $kout"
    ;;
esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
stage_base "$stage" "$agent" "$here/init"
modules_json=""
if [ -n "$module_list" ]; then
  printf '%s\n' "$module_list" >"$stage/modules.want"
  resolve_modules "$MODULES_ROOT" "$KERNEL_RELEASE" "$stage/modules.want" | stage_modules "$stage"
  rm "$stage/modules.want"
  modules_json=$(sed 's/\.ko$//' "$stage/lib/modules/pcirig/load-order" | while read -r m; do json_string "$m"; echo; done | paste -sd, -)
fi
mkdir -p "$out"
pack_cpio "$stage" "$out/initramfs.cpio.gz"
# What QEMU -kernel gets: vmlinux (PVH ELF) or, for a user kernel without PVH, bzImage.
kfile=vmlinux
is_elf "$KERNEL_IMAGE" || kfile=bzImage
if ! [ "$out/$kfile" -ef "$KERNEL_IMAGE" ]; then
  # A hard link when the cache is one filesystem: the kernel is 60+ MB. Never
  # one into a user's tree: a later build there would change the image.
  rm -f "$out/$kfile.tmp"
  if [ "$kind" = user ]; then cp "$KERNEL_IMAGE" "$out/$kfile.tmp"
  else ln "$KERNEL_IMAGE" "$out/$kfile.tmp" 2>/dev/null || cp "$KERNEL_IMAGE" "$out/$kfile.tmp"; fi
  mv "$out/$kfile.tmp" "$out/$kfile"
fi
[ "$kfile" = vmlinux ] || rm -f "$out/vmlinux"
cp "$KERNEL_CONFIG" "$out/config"

flags=(DEBUG_LIST BUG_ON_DATA_CORRUPTION HOTPLUG_PCI_PCIE HOTPLUG_PCI_ACPI VFIO_PCI VFIO_NOIOMMU
  INTEL_IOMMU PROVE_LOCKING KASAN PCI_LOCKLESS_CONFIG DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR PVH)
config_json=$(for f in "${flags[@]}"; do printf '"%s":%s\n' "$f" "$(config_flag_json "$KERNEL_CONFIG" "$f")"; done | paste -sd, -)
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
case "$kernel" in
  debian) package_json=$(json_string "$DEB_PKG $DEB_VER") ;;
  *) package_json=null ;;
esac
{
  printf '{"name":%s,"kernel":%s,"initramfs":%s,\n' "$(json_string "$kernel")" \
    "$(json_string "$out/$kfile")" "$(json_string "$out/initramfs.cpio.gz")"
  printf ' "kernel_release":%s,"kernel_package":%s,\n' "$(json_string "$KERNEL_RELEASE")" "$package_json"
  printf ' "cache_key":%s,\n' "$(json_string "$cache_key")"
  [ "$kind" = user ] && printf ' "origin":%s,\n' "$(json_string "$user_origin_text")"
  printf ' "config":{%s},\n' "$config_json"
  printf ' "modules":[%s],\n' "$modules_json"
  printf ' "busybox":%s,"agent_sha256":%s,\n' "$(json_string "$busybox_version")" \
    "$(json_string "$(sha256sum <"$agent" | cut -d' ' -f1)")"
  printf ' "initramfs_bytes":%s,"built_seconds":%s}\n' "$(stat -c %s "$out/initramfs.cpio.gz")" "$elapsed"
} >"$out/image.json.tmp"
mv "$out/image.json.tmp" "$out/image.json"
if [ "$kind" = user ]; then printf '%s\n' "${user_args[@]}" >"$out/origin.args"; fi
log "image $kernel built in ${elapsed}s: $out/image.json"
