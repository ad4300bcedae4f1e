# The Debian 12 kernel, from the package archive: downloaded into the cache
# with `apt-get download` and unpacked with `dpkg-deb -x`; never installed on
# the host.

# Sets DEB_PKG (linux-image-6.1.0-NN-amd64), DEB_VER and KERNEL_RELEASE from
# the local apt lists (no network needed for this step).
resolve_debian_kernel() {
  DEB_PKG=${PCIRIG_DEBIAN_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')}
  [ -n "$DEB_PKG" ] || die "apt does not know linux-image-amd64: run 'apt-get update' (needs the Debian mirror)"
  DEB_VER=$(apt-cache policy "$DEB_PKG" 2>/dev/null | awk '$1 == "Candidate:" {print $2; exit}')
  [ -n "$DEB_VER" ] && [ "$DEB_VER" != "(none)" ] ||
    die "apt has no candidate version for $DEB_PKG: run 'apt-get update'"
  KERNEL_RELEASE=${DEB_PKG#linux-image-}
}

# Fetches PKG=VER's .deb into $PCIRIG_CACHE/debs (once) and prints its path.
fetch_deb() {  # PKG VER
  local pkg=$1 ver=$2 dir="$PCIRIG_CACHE/debs" deb
  mkdir -p "$dir"
  deb="$dir/${pkg}_${ver//:/%3a}_amd64.deb"
  if [ ! -s "$deb" ]; then
    require_space "$dir" 200
    log "downloading $pkg $ver"
    local tmp
    tmp=$(mktemp -d "$dir/.dl.XXXXXX")
    # apt's sandbox user cannot write into root's cache: run unsandboxed here.
    if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >"$tmp/apt.log" 2>&1); then
      local why
      why=$(grep -E '^(E|Err):' "$tmp/apt.log" | head -3)
      rm -rf "$tmp"
      die "apt-get download $pkg=$ver failed (no network to the Debian mirror?): ${why:-see apt output}"
    fi
    mv "$tmp"/*.deb "$deb"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$deb"
}

# Unpacks the kernel package into $PCIRIG_CACHE/kernels/debian-RELEASE and
# prepares what the image needs: modules.dep for the unpacked tree and an
# uncompressed vmlinux. Sets KDIR.
prepare_debian_kernel() {
  local deb stamp
  deb=$(fetch_deb "$DEB_PKG" "$DEB_VER")
  KDIR="$PCIRIG_CACHE/kernels/debian-$KERNEL_RELEASE"
  stamp="$KDIR/.unpacked-$(basename "$deb")"
  if [ ! -f "$stamp" ] || [ ! -s "$KDIR/vmlinux" ]; then
    require_space "$PCIRIG_CACHE" 800
    rm -rf "$KDIR"
    mkdir -p "$KDIR"
    log "unpacking $(basename "$deb")"
    dpkg-deb -x "$deb" "$KDIR/root" || die "dpkg-deb -x $deb failed"
    [ -f "$KDIR/root/boot/vmlinuz-$KERNEL_RELEASE" ] || die "$deb has no boot/vmlinuz-$KERNEL_RELEASE"
    # The package ships no modules.dep (the host's postinst would make it).
    /sbin/depmod -b "$KDIR/root" "$KERNEL_RELEASE" || die "depmod failed for $KDIR/root"
    extract_vmlinux "$KDIR/root/boot/vmlinuz-$KERNEL_RELEASE" "$KDIR/vmlinux"
    touch "$stamp"
  fi
  KERNEL_CONFIG="$KDIR/root/boot/config-$KERNEL_RELEASE"
  KERNEL_IMAGE="$KDIR/vmlinux"
  MODULES_ROOT="$KDIR/root"
}

# Prints, in load order and without repeats, the module files the modules in
# LIST need (dependencies first). Built-in modules print nothing.
resolve_modules() {  # MODULES_ROOT RELEASE LIST_FILE
  local root=$1 rel=$2 list=$3 m line seen=" "
  while read -r m; do
    [ -n "$m" ] || continue
    local out
    out=$(/sbin/modprobe -d "$root" -S "$rel" --show-depends "$m" 2>&1) ||
      die "module $m (from $list) is not in $rel: $out"
    while read -r line; do
      case "$line" in
        insmod\ *)
          line=${line#insmod }; line=${line%% *}
          # CPU-accelerated crypto (crct10dif-pclmul, ...) refuses to load on
          # a CPU without the feature (TCG's qemu64); the generic module that
          # the chain also pulls in does the job.
          case "$line" in */kernel/arch/x86/crypto/*) continue ;; esac
          case "$seen" in *" $line "*) ;; *) seen="$seen$line "; printf '%s\n' "$line" ;; esac ;;
      esac
    done <<<"$out"
  done < <(sed 's/#.*//; s/[[:space:]]//g' "$list")
}
