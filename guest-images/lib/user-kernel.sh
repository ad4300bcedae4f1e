# A user's kernel for the rig: a tree they built (--tree DIR) or a ready image
# (--image FILE). Nothing is ever written into the user's tree or next to their
# image: the kernel, its config and any modules are copied under
# $PCIRIG_CACHE/kernels/NAME.

# The release an image says it is: the linux_banner of an ELF vmlinux, or the
# version string a bzImage's setup header points at (offset 0x20E + 0x200).
image_release() {  # IMAGE
  local img=$1 off
  if [ "$(head -c 4 "$img" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
    LC_ALL=C grep -aom1 'Linux version [^ ]*' "$img" | head -1 | cut -d' ' -f3
  elif [ "$(dd if="$img" bs=1 skip=$((0x202)) count=4 2>/dev/null)" = HdrS ]; then
    off=$(od -An -tu2 -j $((0x20E)) -N2 "$img" | tr -d ' ')
    dd if="$img" bs=1 skip=$((off + 0x200)) count=128 2>/dev/null | tr '\0' '\n' | head -1 | cut -d' ' -f1
  fi
}

# The kernel version a .config was written for ("# Linux/x86 6.1.158 Kernel
# Configuration"), and its CONFIG_LOCALVERSION.
config_version() { sed -n 's/^# Linux\/[^ ]* \([^ ]*\) Kernel Configuration$/\1/p' "$1" | head -1; }
config_localversion() { sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "$1" | head -1; }

# Options whose code leaves a fixed message in the kernel image: the image
# must have it exactly when its config says =y.
oracle_markers=(
  'DEBUG_LIST|list_add corruption'
  'PROVE_LOCKING|possible circular locking dependency'
  'KASAN|BUG: KASAN: '
)

# Refuses an image that does not belong to the config: another kernel's config
# would make the rig's config check judge the wrong kernel. The version
# (major.minor; distributions renumber the rest), CONFIG_LOCALVERSION, and the
# oracle options above, read from the uncompressed ELF.
check_config_matches() {  # IMAGE CONFIG ELF_OR_EMPTY
  local img=$1 cfg=$2 elf=${3:-} rel ver lv m opt text want has
  grep -q '^CONFIG_' "$cfg" || die "$cfg is not a kernel .config (no CONFIG_ lines)"
  rel=$(image_release "$img")
  [ -n "$rel" ] || die "$img: no kernel version string found (not a vmlinux or bzImage?)"
  ver=$(config_version "$cfg")
  lv=$(config_localversion "$cfg")
  if [ -n "$ver" ] && [ "$(echo "$rel" | cut -d. -f1-2)" != "$(echo "$ver" | cut -d. -f1-2)" ]; then
    die "$img is $rel but $cfg was written for $ver: not this kernel's config (give the matching one with --config)"
  fi
  for m in "${oracle_markers[@]}"; do
    [ -n "$elf" ] || break
    opt=${m%%|*} text=${m#*|}
    want=0; [ "$(config_flag_json "$cfg" "$opt")" = true ] && want=1
    has=0; LC_ALL=C grep -qaF "$text" "$elf" && has=1
    [ "$want" = "$has" ] && continue
    if [ "$want" = 1 ]; then
      die "$cfg sets CONFIG_$opt=y but $img has no '$text' in it: not this kernel's config"
    else
      die "$img has CONFIG_$opt built in ('$text') but $cfg does not set it: not this kernel's config"
    fi
  done
  if [ -n "$lv" ] && [[ "$rel" != *"$lv"* ]]; then
    die "$img is $rel but $cfg sets CONFIG_LOCALVERSION=\"$lv\": not this kernel's config"
  fi
  IMAGE_RELEASE=$rel
}

# The config embedded with CONFIG_IKCONFIG (between IKCFG_ST and IKCFG_ED,
# gzip'd) in an ELF vmlinux; nothing when there is none.
ikconfig_of() {  # VMLINUX OUT
  local off
  off=$(LC_ALL=C grep -obUa IKCFG_ST "$1" | head -1 | cut -d: -f1)
  [ -n "$off" ] || return 1
  tail -c +$((off + 9)) "$1" | gzip -dc 2>/dev/null >"$2.tmp" || true
  grep -q '^CONFIG_' "$2.tmp" || { rm -f "$2.tmp"; return 1; }
  mv "$2.tmp" "$2"
}

# What the rig boots: an ELF vmlinux when it has the PVH entry (no
# decompression under TCG), else the bzImage.
is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; }

# --image FILE [--config C]: sets KERNEL_IMAGE, KERNEL_CONFIG, KERNEL_RELEASE,
# MODULES_ROOT (empty) in KDIR=$PCIRIG_CACHE/kernels/NAME.
prepare_image_kernel() {  # NAME FILE CONFIG_OR_EMPTY
  local name=$1 img=$2 cfg=$3 elf sib
  [ -f "$img" ] || die "--image $img: no such file"
  KDIR="$PCIRIG_CACHE/kernels/$name"
  mkdir -p "$KDIR"
  if is_elf "$img"; then
    elf=$img
  else
    [ "$(dd if="$img" bs=1 skip=$((0x202)) count=4 2>/dev/null)" = HdrS ] ||
      die "--image $img is neither an ELF vmlinux nor a bzImage (no HdrS setup header)"
    extract_vmlinux "$img" "$KDIR/vmlinux.extracted"
    elf=$KDIR/vmlinux.extracted
  fi
  if [ -z "$cfg" ] && ikconfig_of "$elf" "$KDIR/config.ikconfig"; then
    log "config: read from the image (CONFIG_IKCONFIG)"
    cfg=$KDIR/config.ikconfig
  fi
  if [ -z "$cfg" ]; then
    # /boot/vmlinuz-R beside /boot/config-R, or a config beside the image.
    for sib in "$(dirname "$img")/config-$(basename "$img" | sed 's/^vmlinu[xz]-//')" \
               "$(dirname "$img")/config" "$(dirname "$img")/.config"; do
      [ -f "$sib" ] && { cfg=$sib; log "config: $sib (beside the image)"; break; }
    done
  fi
  [ -n "$cfg" ] || die "--image $img: no config: give --config FILE (the .config it was built with), or build with CONFIG_IKCONFIG=y"
  [ -f "$cfg" ] || die "--config $cfg: no such file"
  check_config_matches "$img" "$cfg" "$elf"
  cp "$cfg" "$KDIR/config"
  KERNEL_CONFIG=$KDIR/config
  KERNEL_RELEASE=$IMAGE_RELEASE
  if [ "$(config_flag_json "$KERNEL_CONFIG" PVH)" = true ]; then KERNEL_IMAGE=$elf; else KERNEL_IMAGE=$img; fi
  # A vmlinux without the PVH note cannot be started by QEMU -kernel.
  if [ "$KERNEL_IMAGE" = "$img" ] && is_elf "$img"; then
    die "--image $img is an ELF vmlinux without CONFIG_PVH: QEMU cannot boot it directly; give arch/x86/boot/bzImage instead"
  fi
  MODULES_ROOT=
}

# --tree DIR: the user's built tree. Sets KERNEL_IMAGE, KERNEL_CONFIG,
# KERNEL_RELEASE, TREE_IDENTITY; modules are staged later (stage_tree_modules).
inspect_tree_kernel() {  # NAME DIR
  local name=$1 dir=$2
  [ -d "$dir" ] || die "--tree $dir: no such directory"
  [ -f "$dir/Makefile" ] && [ -d "$dir/arch/x86" ] || die "--tree $dir: not a kernel tree (no Makefile and arch/x86)"
  [ -f "$dir/.config" ] || die "--tree $dir: not configured (no .config): make defconfig, then build it, or use --source $dir"
  local elf=$dir/vmlinux bz=$dir/arch/x86/boot/bzImage
  if [ ! -s "$elf" ] && [ ! -s "$bz" ]; then
    die "--tree $dir: no built kernel (neither vmlinux nor arch/x86/boot/bzImage): run make in it first, or use --source $dir"
  fi
  KERNEL_CONFIG=$dir/.config
  if [ "$(config_flag_json "$KERNEL_CONFIG" PVH)" = true ] && [ -s "$elf" ]; then KERNEL_IMAGE=$elf
  elif [ -s "$bz" ]; then KERNEL_IMAGE=$bz
  else die "--tree $dir: vmlinux has no PVH entry (CONFIG_PVH not set) and there is no arch/x86/boot/bzImage to boot instead"
  fi
  # .config edited after the build: the image is not the config's kernel.
  if [ "$KERNEL_CONFIG" -nt "$KERNEL_IMAGE" ]; then
    die "--tree $dir: .config is newer than $(basename "$KERNEL_IMAGE"): the built kernel may not match its config; run make again"
  fi
  check_config_matches "$KERNEL_IMAGE" "$KERNEL_CONFIG" "$([ -s "$elf" ] && echo "$elf")"
  KERNEL_RELEASE=$IMAGE_RELEASE
  if [ -f "$dir/include/config/kernel.release" ]; then
    KERNEL_RELEASE=$(cat "$dir/include/config/kernel.release")
  fi
  # What the image depends on: the kernel, its config, the built modules.
  TREE_IDENTITY="tree $(realpath "$dir") $(sha256sum <"$KERNEL_IMAGE" | cut -c1-16) $(sha256sum <"$KERNEL_CONFIG" | cut -c1-16)"
  if [ "$(config_flag_json "$KERNEL_CONFIG" MODULES)" = true ] && [ -f "$dir/modules.order" ]; then
    TREE_IDENTITY+=" modules $(modules_of_tree "$dir" | xargs -r stat -c '%n %s %Y' | sha256_stdin | cut -c1-16)"
  fi
}

# The tree's built modules (paths), from modules.order (.ko before 6.3, .o after).
modules_of_tree() {  # DIR
  local dir=$1 m
  [ -f "$dir/modules.order" ] || return 0
  while read -r m; do
    m=${m#kernel/}; m=${m%.o}; m=${m%.ko}.ko
    [ -f "$dir/$m" ] && printf '%s\n' "$dir/$m"
  done <"$dir/modules.order"
}

# Copies the tree's modules into KDIR/root/lib/modules/RELEASE (what `make
# modules_install INSTALL_MOD_PATH=` would do, without make touching the tree)
# and runs depmod there. Sets MODULES_ROOT.
stage_tree_modules() {  # DIR KDIR RELEASE
  local dir=$1 kdir=$2 rel=$3 dest f
  dest=$kdir/root/lib/modules/$rel
  rm -rf "$kdir/root"
  mkdir -p "$dest/kernel"
  while read -r f; do
    mkdir -p "$dest/kernel/$(dirname "${f#"$dir"/}")"
    cp "$f" "$dest/kernel/${f#"$dir"/}"
  done < <(modules_of_tree "$dir")
  for f in modules.order modules.builtin; do
    [ -f "$dir/$f" ] && sed 's/\.o$/.ko/; s/^\(kernel\/\)\{0,1\}/kernel\//' "$dir/$f" >"$dest/$f"
  done
  if [ -f "$dir/modules.builtin.modinfo" ]; then cp "$dir/modules.builtin.modinfo" "$dest/"; fi
  /sbin/depmod -b "$kdir/root" "$rel" || die "depmod failed for the modules of $dir"
  MODULES_ROOT=$kdir/root
}

# The modules of LIST this kernel has (built in or built as modules): a user's
# config may leave out, say, vfio; the rig's config check says which config
# needs it, so the image is built without it.
available_modules() {  # MODULES_ROOT RELEASE LIST_FILE
  local root=$1 rel=$2 m
  while read -r m; do
    [ -n "$m" ] || continue
    if /sbin/modprobe -d "$root" -S "$rel" --show-depends "$m" >/dev/null 2>&1; then
      printf '%s\n' "$m"
    else
      log "module $m: not in this kernel, left out"
    fi
  done < <(sed 's/#.*//; s/[[:space:]]//g' "$3")
}
