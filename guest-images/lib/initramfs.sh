# The initramfs: busybox-static, the modules (decompressed, in load order),
# the agent and /init, packed as a gzip'd newc cpio. Reproducible: sorted
# names, fixed owner and timestamps.

# Stages into DIR: busybox with its applet links, /init, the agent.
stage_base() {  # DIR AGENT INIT
  local dir=$1 agent=$2 init=$3 bb
  bb=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
  file -L "$bb" | grep -q 'statically linked' || die "$bb is not static (apt-get install busybox-static)"
  mkdir -p "$dir"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib/modules/pcirig}
  cp "$bb" "$dir/bin/busybox"
  local applet
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
  install -m 0755 "$init" "$dir/init"
  # Debug info is for the host; the guest only needs the code.
  strip --strip-all -o "$dir/sbin/pcirig-agent" "$agent" || die "strip $agent failed"
  file "$dir/sbin/pcirig-agent" | grep -q 'statically linked' || die "$agent is not a static binary"
}

# Copies module files (one path a line on stdin) into DIR's /lib/modules/pcirig,
# decompressing .ko.xz/.ko.zst/.ko.gz (busybox insmod takes plain .ko), and
# writes load-order for /init.
stage_modules() {  # DIR
  local dir=$1 dest="$1/lib/modules/pcirig" src name
  : >"$dest/load-order"
  while read -r src; do
    name=$(basename "$src")
    case "$src" in
      *.ko.xz)  name=${name%.xz};  xz -dc "$src" >"$dest/$name" ;;
      *.ko.zst) name=${name%.zst}; zstd -dcq "$src" >"$dest/$name" ;;
      *.ko.gz)  name=${name%.gz};  gzip -dc "$src" >"$dest/$name" ;;
      *.ko)     cp "$src" "$dest/$name" ;;
      *) die "unexpected module file $src" ;;
    esac || die "cannot unpack module $src"
    printf '%s\n' "$name" >>"$dest/load-order"
  done
}

pack_cpio() {  # DIR OUT
  local dir=$1 out=$2
  find "$dir" -exec touch -h -d @0 {} +
  (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc --owner=0:0 --reproducible) | gzip -6 -n >"$out.tmp" ||
    die "packing $out failed (disk full?)"
  mv "$out.tmp" "$out"
}
