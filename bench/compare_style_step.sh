#!/usr/bin/env bash
# One style-transfer iteration in nst and in PyTorch, measured in the same run on this
# machine, as a ratio (below 1: nst is faster); then the peak memory (RSS) of each process at
# 1024x1024 (MEMORY_SIDE; 0 skips it). Needs Debian's python3-torch and
# python3-torchvision (the peer only; nst never uses them).
#   bench/compare_style_step.sh [SIDE...]        default sides: 256 512
set -euo pipefail
cd "$(dirname "$0")/.."
sides=("${@:-256 512}")
[ $# -eq 0 ] && sides=(256 512)
build=${BUILD_DIR:-build}
# Both sides get the same threads and, for PyTorch's BLAS calls (the Gram matrices), the same
# OpenBLAS kernels that nst selects for this CPU (see tensor/blas_runtime.h).
export THREADS=${THREADS:-$(nproc)}
coretype=$("$build/bin/nst" --version | sed -n 's/.*BLAS kernels: \([A-Za-z0-9]*\).*/\1/p')
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$coretype}
echo "threads: $THREADS, OpenBLAS kernels: $OPENBLAS_CORETYPE"
printf '%-6s %12s %12s %8s\n' side "nst s/it" "torch s/it" ratio
for side in "${sides[@]}"; do
  nst_s=$(OMP_NUM_THREADS=$THREADS "$build/bin/bench_style_step" --benchmark_filter="style_step/$side/" \
            --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
            --benchmark_format=csv 2>/dev/null |
          awk -F, '/_median/ { print $3 / 1000 }')  # real_time in ms
  torch_s=$(/usr/bin/python3 bench/pytorch_style_step.py "$side" 10 | awk '{ print $3 }')
  awk -v s="$side" -v a="$nst_s" -v b="$torch_s" 'BEGIN { printf "%-6s %12.3f %12.3f %8.2f\n", s, a, b, a / b }'
done

memory_side=${MEMORY_SIDE:-1024}
[ "$memory_side" -eq 0 ] && exit 0
nst_kb=$( { /usr/bin/time -f %M "$build/bin/bench_style_step" --benchmark_filter="style_step/$memory_side/" \
            --benchmark_min_time=0.01 > /dev/null; } 2>&1 | tail -1)
torch_kb=$( { /usr/bin/time -f %M /usr/bin/python3 bench/pytorch_style_step.py "$memory_side" 1 > /dev/null; } 2>&1 | tail -1)
awk -v s="$memory_side" -v a="$nst_kb" -v b="$torch_kb" \
  'BEGIN { printf "peak RSS at %dx%d: nst %.2f GB, torch %.2f GB, ratio %.2f\n", s, s, a / 1048576, b / 1048576, a / b }'
