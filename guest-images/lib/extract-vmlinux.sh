# Uncompressed vmlinux from a bzImage, for PVH boot (QEMU -kernel takes an
# ELF vmlinux with a PVH note and skips the in-guest decompression).
# The bzImage carries the compressed kernel as one stream somewhere in its
# payload: find the compressor's magic, decompress from there, and keep the
# first result that is an ELF file.

extract_vmlinux() {  # BZIMAGE OUT
  local in=$1 out=$2 off
  # name | magic (as grep -P bytes) | decompressor reading stdin
  local formats=(
    'xz|\xfd7zXZ\x00|xz -dc --single-stream'
    'zstd|\x28\xb5\x2f\xfd|zstd -dcq'
    'gzip|\x1f\x8b\x08|gzip -dcq'
    'lz4|\x02\x21\x4c\x18|lz4 -dcq'
    'bzip2|BZh[1-9]1AY&SY|bzip2 -dcq'
    'lzma|\x5d\x00\x00\x00|xz -dc --format=lzma'
  )
  local f name magic cmd
  for f in "${formats[@]}"; do
    IFS='|' read -r name magic cmd <<<"$f"
    command -v "${cmd%% *}" >/dev/null || continue
    # Every match is a candidate: the magic bytes can also occur by chance.
    while read -r off; do
      tail -c +$((off + 1)) "$in" | $cmd >"$out.tmp" 2>/dev/null || true
      if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        mv "$out.tmp" "$out"
        log "vmlinux: $name stream at offset $off of $(basename "$in")"
        return 0
      fi
    done < <(LC_ALL=C grep -obUaP "$magic" "$in" | cut -d: -f1 | head -20)
  done
  rm -f "$out.tmp"
  die "no compressed ELF kernel found in $in (tried xz, zstd, gzip, lz4, bzip2, lzma)"
}
