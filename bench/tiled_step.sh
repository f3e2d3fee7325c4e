#!/usr/bin/env bash
# Tiled runs against the untiled step, in one run on one machine (README, "Tiled runs"): the time
# per pixel of one untiled Adam iteration at 1024x1024, and of one iteration at 3840x2160 within
# 2, 3 and 4 GB and at 7680x4320 within 4 GB in the tiles nst's plan picks for those limits (and
# whether they keep their deep layers between an iteration's passes); the peak RSS of each
# process (set-up, the targets and one iteration) and the ratio of the times per pixel.
#   bench/tiled_step.sh            # all of them (the 8K iteration takes several minutes)
#   TILED="2160/3840/2048"         # HEIGHT/WIDTH/MB of the tiled runs
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
echo "nst: $("$build/bin/nst" --version)"

# One benchmark alone: "SECONDS_PER_MPIXEL PEAK_KB TILES TILE_SIZE ESTIMATED_MB KEEPS_DEEP".
measure() {
  local out time
  out=$(mktemp) time=$(mktemp)
  /usr/bin/time -o "$time" -f %M "$build/bin/bench_style_step" --benchmark_filter="$1" \
    --benchmark_format=csv > "$out" 2> /dev/null
  # Counters are columns after the standard ones; read them by the header's names.
  awk -F, -v peak="$(tail -1 "$time")" '
    /^name,/ { for (i = 1; i <= NF; i++) col[$i] = i; next }
    col["name"] && NF > 3 {
      printf "%s %s %s %s %s %s\n", $col["\"s/Mpixel\""], peak, $col["\"tiles\""],
        ("\"tile size\"" in col ? $col["\"tile size\""] : 0),
        ("\"estimated MB\"" in col ? $col["\"estimated MB\""] : 0),
        ("\"keeps deep\"" in col ? $col["\"keeps deep\""] : 0)
    }' "$out"
  rm -f "$out" "$time"
}

read -r base base_kb _ <<< "$(measure 'style_step/1024/1024/')"
printf '%-26s %10s %8s %6s %10s %6s %10s %6s\n' run "s/Mpixel" ratio tiles "tile size" keeps \
  "estimate" peak
printf '%-26s %10.2f %8s %6s %10s %6s %10s %6.2f GB\n' "1024x1024 untiled" "$base" 1.00 1 - - - \
  "$(awk -v k="$base_kb" 'BEGIN { print k / 1048576 }')"
for run in ${TILED-2160/3840/2048 2160/3840/3072 2160/3840/4096 4320/7680/4096}; do
  IFS=/ read -r height width mb <<< "$run"
  read -r spm kb tiles tile est keeps <<< "$(measure "tiled_style_step/$height/$width/$mb/")"
  printf '%-26s %10.2f %8.2f %6d %10d %6s %7d MB %6.2f GB\n' "${width}x$height within $mb MB" \
    "$spm" "$(awk -v a="$spm" -v b="$base" 'BEGIN { print a / b }')" "$tiles" "$tile" \
    "$([ "$keeps" = 1 ] && echo yes || echo no)" "$est" \
    "$(awk -v k="$kb" 'BEGIN { print k / 1048576 }')"
done
