#!/usr/bin/env bash
# One style-transfer iteration in nst and in PyTorch, measured in the same run on this
# machine, as a ratio (below 1: nst is faster); then the peak memory (RSS) of each process for
# one iteration at 1024x1024 and at 3840x2160 (4K UHD). Needs Debian's python3-torch and
# python3-torchvision (the peer only; nst never uses them).
#   bench/compare_style_step.sh [SIDE...]        default sides: 256 512 1024
#   MEMORY_SIZES="1024x1024 2160x3840"          HEIGHTxWIDTH of the memory runs ("" skips them)
#   TORCH_MEMORY_LIMIT_GB=20                    PyTorch's address-space limit in those runs, so
#                                               that a peer that needs more fails instead of
#                                               sending the machine into swap
set -euo pipefail
cd "$(dirname "$0")/.."
sides=("$@")
[ $# -eq 0 ] && sides=(256 512 1024)
build=${BUILD_DIR:-build}
# Both sides get the same threads and, for PyTorch's BLAS calls (the Gram matrices), the same
# OpenBLAS kernels that nst selects for this CPU (see tensor/blas_runtime.h).
export THREADS=${THREADS:-$(nproc)}
coretype=$("$build/bin/nst" --version | sed -n 's/.*BLAS kernels: \([A-Za-z0-9]*\).*/\1/p')
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$coretype}
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "nst: $("$build/bin/nst" --version)"
echo "threads: $THREADS, OpenBLAS kernels: $OPENBLAS_CORETYPE"
printf '%-10s %12s %12s %8s\n' size "nst s/it" "torch s/it" ratio
for side in "${sides[@]}"; do
  nst_s=$(OMP_NUM_THREADS=$THREADS "$build/bin/bench_style_step" \
            --benchmark_filter="style_step/$side/$side/" \
            --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
            --benchmark_format=csv 2>/dev/null |
          awk -F, '/_median/ { print $3 / 1000 }')  # real_time in ms
  torch_s=$(/usr/bin/python3 bench/pytorch_style_step.py "$side" 10 | awk '{ print $3 }')
  awk -v s="${side}x$side" -v a="$nst_s" -v b="$torch_s" \
    'BEGIN { printf "%-10s %12.3f %12.3f %8.2f\n", s, a, b, a / b }'
done

# Peak RSS in KB of a command, or "failed (its last error line)" if it did not exit 0.
peak_kb() {
  local out err
  out=$(mktemp) err=$(mktemp)
  if /usr/bin/time -o "$out" -f %M "$@" > /dev/null 2> "$err"; then
    tail -1 "$out"
  else
    echo "failed ($(grep -v '^ ' "$err" | tail -1 | cut -c1-100))"
  fi
  rm -f "$out" "$err"
}

gb() { case $1 in failed*) echo "$1" ;; *) awk -v k="$1" 'BEGIN { printf "%.2f GB", k / 1048576 }' ;; esac; }

limit_kb=$(( ${TORCH_MEMORY_LIMIT_GB:-20} * 1048576 ))
for size in ${MEMORY_SIZES-1024x1024 2160x3840}; do
  height=${size%x*} width=${size#*x}
  nst_kb=$(peak_kb "$build/bin/bench_style_step" --benchmark_filter="style_step/$height/$width/")
  torch_kb=$(ulimit -v "$limit_kb"; peak_kb /usr/bin/python3 bench/pytorch_style_step.py "$size" 1)
  case $torch_kb in failed*) torch_note=" under a ${TORCH_MEMORY_LIMIT_GB:-20} GB limit" ;; *) torch_note="" ;; esac
  ratio=$(awk -v a="$nst_kb" -v b="$torch_kb" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf ", ratio %.2f", a / b }')
  echo "peak RSS of one iteration at ${width}x$height: nst $(gb "$nst_kb"), torch $(gb "$torch_kb")$torch_note$ratio"
done
