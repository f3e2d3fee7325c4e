// `nst bench --plot FILE.svg`: the convolution table as a picture, for people who profile. One
// group of bars per VGG19 shape and pass, one bar per method (SGEMM, im2col, Winograd's GEMM
// path, the fused path) at its median effective GFLOP/s, the one a job runs outlined, and the
// FMA peak as a dashed line: Winograd's bars may pass it, since they do fewer multiplications.
#pragma once

#include <string>

#include "apps/nst/bench_measure.h"

namespace nst::cli {

// A standalone SVG document (with a title and a description for screen readers).
std::string bench_svg(const BenchReport& report);

}  // namespace nst::cli
