#!/usr/bin/env bash
# Whether bf16 products (NST_PRECISION=bf16, tensor/winograd_precision.h) keep a whole run's
# result: each photo:style pair and size runs in fp32 and in bf16, and the final loss ratio
# (bf16 / fp32, both pictures evaluated in fp32) and the PSNR between the two pictures are printed. The
# criterion for bf16 by default: loss within 1%, pictures within 40 dB (README, "Precision").
# Needs a CPU with AMX-BF16, and python3-torchvision for the PSNR (bench/psnr.py).
#   bench/precision_quality.sh OUTDIR "PHOTO:STYLE[ PHOTO:STYLE...]" "256[ 512]" [nst options...]
# Untrained weights unless --weights is given.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=$1 pairs=$2 sizes=$3
shift 3
options=("$@")
weights=(--weights random)
for arg in "$@"; do [ "$arg" = --weights ] && weights=(); done
mkdir -p "$out"
# The loss of a picture, evaluated in fp32 whatever made it: the first row of a one-iteration
# run that starts from it (a loss log's rows hold the loss at the start of each iteration).
fp32_loss() {  # PICTURE STYLE PHOTO SIZE
  NST_PRECISION=fp32 "$build/bin/nst" stylize "${weights[@]}" --overwrite --quiet --init "$1" \
    --style "$2" --content "$3" --size "$4" --scales 1 --iterations 1 --tolerance 0 \
    --output "$out/evaluated.png" --loss-log "$out/evaluated.csv" "${options[@]}"
  sed -n 2p "$out/evaluated.csv" | cut -d, -f2
}
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "nst: $("$build/bin/nst" --version | head -1)"
printf '%-28s %5s %10s %10s %12s %12s %8s %9s\n' pair size "fp32 s" "bf16 s" "fp32 loss" \
  "bf16 loss" ratio "PSNR dB"
for pair in $pairs; do
  photo=${pair%%:*} style=${pair##*:}
  tag="$(basename "${photo%.*}")-$(basename "${style%.*}")"
  for size in $sizes; do
    declare -A seconds
    for precision in fp32 bf16; do
      start=$EPOCHREALTIME
      NST_PRECISION=$precision "$build/bin/nst" stylize "${weights[@]}" --overwrite --quiet \
        --content "$photo" --style "$style" --size "$size" \
        --output "$out/${tag}_${size}_$precision.png" \
        --loss-log "$out/${tag}_${size}_$precision.csv" "$@"
      seconds[$precision]=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    done
    fp32=$(fp32_loss "$out/${tag}_${size}_fp32.png" "$style" "$photo" "$size")
    bf16=$(fp32_loss "$out/${tag}_${size}_bf16.png" "$style" "$photo" "$size")
    psnr=$(/usr/bin/python3 bench/psnr.py "$out/${tag}_${size}_fp32.png" "$out/${tag}_${size}_bf16.png")
    awk -v t="$tag" -v s="$size" -v ta="${seconds[fp32]}" -v tb="${seconds[bf16]}" -v a="$fp32" \
      -v b="$bf16" -v p="$psnr" \
      'BEGIN { printf "%-28s %5d %10s %10s %12.5g %12.5g %8.4f %9s\n", t, s, ta, tb, a, b, b / a, p }'
  done
done
