#!/usr/bin/env bash
# Coarse to fine against a single scale (bench/bench_scales.cpp): a single-scale run of 500
# iterations at 512 px sets the loss E*, then each multi-scale configuration runs until its
# full-resolution loss is at most E*; the figure is its wall time over the single-scale run's
# (target: at most 0.5). Untrained weights unless --weights names a file.
# Configurations may name the optimiser (lbfgs:2:50; adam when not named), and --converged runs
# each until its stopping rule ends it, printing its final loss over E*.
#   bench/scales.sh [--content PHOTO --style PAINTING] [--size 512] [--iterations 500]
#                   [--configs 2:100,2:200,3:100,lbfgs:1:1] [--weights random:0|FILE]
#                   [--converged [--tolerance F]]
# Without pictures it paints synthetic ones. Takes about 15 minutes on 2 cores at 512 px.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[ -x "$build/bin/bench_scales" ] || cmake --build "$build" --target bench_scales >/dev/null
echo "nst: $("$build/bin/nst" --version | head -1)"
exec "$build/bin/bench_scales" "$@"
