#!/usr/bin/env bash
# Loss curves for choosing --tolerance's default (README, "Stopping when done"). For each
# photo:style pair and size it runs, to the cap and with --tolerance 0:
#   single   the standard recipe: one scale, 500 iterations of PyTorch's Adam (betas 0.9,
#            0.999) with a step of 0.02; its final loss is E*;
#   default  the default schedule (coarse to fine, Adam);
#   lbfgs    one scale, 500 L-BFGS iterations (with --lbfgs);
# each writing its loss log to OUTDIR, then bench/tolerance_choice.py applies the rule to the
# curves for a grid of tolerances and windows. Untrained weights unless --weights is given.
#   bench/tolerance_curves.sh OUTDIR "PHOTO:STYLE[ PHOTO:STYLE...]" "256[ 512]" [--lbfgs]
#                             [nst options...]
# One pair at 256 px takes about 7 minutes on 2 cores, at 512 px about 25.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=$1 pairs=$2 sizes=$3
shift 3
lbfgs=0
if [ "${1:-}" = --lbfgs ]; then lbfgs=1; shift; fi
weights=(--weights random)
for arg in "$@"; do [ "$arg" = --weights ] && weights=(); done
mkdir -p "$out"
timed() {  # FILE command...: runs the command, writes its wall time in seconds to FILE
  local file=$1 start=$EPOCHREALTIME
  shift
  "$@"
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f s\n", b - a }' > "$file"
}
echo "nst: $("$build/bin/nst" --version | head -1); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for pair in $pairs; do
  photo=${pair%%:*} style=${pair##*:}
  tag="$(basename "${photo%.*}")-$(basename "${style%.*}")"
  for size in $sizes; do
    common=(--content "$photo" --style "$style" --size "$size" "$@")
    timed "$out/${tag}_${size}_single.time" \
      "$build/bin/nst" stylize "${weights[@]}" --tolerance 0 --overwrite --quiet --scales 1 \
      --iterations 500 --learning-rate 0.02 --adam-beta2 0.999 \
      --output "$out/${tag}_${size}_single.png" --loss-log "$out/${tag}_${size}_single.csv" \
      "${common[@]}"
    timed "$out/${tag}_${size}_default.time" \
      "$build/bin/nst" stylize "${weights[@]}" --tolerance 0 --overwrite --quiet \
      --output "$out/${tag}_${size}_default.png" --loss-log "$out/${tag}_${size}_default.csv" \
      "${common[@]}"
    if [ "$lbfgs" = 1 ]; then
      timed "$out/${tag}_${size}_lbfgs.time" \
        "$build/bin/nst" stylize "${weights[@]}" --tolerance 0 --overwrite --quiet --scales 1 \
        --optimizer lbfgs --iterations 500 --output "$out/${tag}_${size}_lbfgs.png" \
        --loss-log "$out/${tag}_${size}_lbfgs.csv" "${common[@]}"
    fi
    echo "$tag $size: done ($(cat "$out/${tag}_${size}_single.time") single, $(cat "$out/${tag}_${size}_default.time") default)"
  done
done
python3 bench/tolerance_choice.py "$out"
