# Shared helpers for guest-images/*.sh (sourced, not run).

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

# sha256 of stdin, hex only.
sha256_stdin() { sha256sum | cut -d' ' -f1; }

# Refuse early when the cache's filesystem is nearly full: a half-written
# initramfs is worse than a clear message.
require_space() {  # DIR MEGABYTES
  local dir=$1 need=$2 avail
  mkdir -p "$dir" || die "cannot create $dir"
  avail=$(df -Pm "$dir" | awk 'NR==2 {print $4}')
  [ "${avail:-0}" -ge "$need" ] || die "not enough disk space in $dir: ${avail} MB free, need ${need} MB"
}

# Config flag as JSON: true for y, "m" for m, false when unset.
config_flag_json() {  # CONFIG_FILE NAME
  local v
  v=$(grep -E "^CONFIG_$2=" "$1" | head -1 | cut -d= -f2-)
  case "$v" in
    y) echo true ;;
    m) echo '"m"' ;;
    "") echo false ;;
    *) printf '"%s"\n' "$(printf '%s' "$v" | tr -d '"')" ;;
  esac
}

json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# A string field of a flat JSON file (kernel.json): enough for the few files
# this part reads, without a JSON tool on the host.
json_field() {  # FILE KEY
  sed -n 's/.*"'"$2"'" *: *"\([^"]*\)".*/\1/p' "$1" | head -1
}
