// Coarse to fine: a run at several sizes, each about twice the previous and the last the
// output's, every one starting from the previous one's result, upscaled. The coarse scales are
// cheap (a quarter of the pixels per halving) and settle the large structures that take a
// full-size run many iterations to move; the full-size scale then only refines.
//
// With n scales, scale k (0-based) has longest side round(size / 2^(n-1-k)). `auto` picks
//   n = 1 + floor(log2(size / kAutoCoarsestSide)),  at least 1,
// so the coarsest scale's longest side is between kAutoCoarsestSide and twice that (256 px ->
// 1 scale, 512 -> 2, 1024 -> 3), and fewer where the content or a style picture would be too
// small for the deepest layer used (prepare() decides that once it has read them).
#pragma once

#include <vector>

#include "nst/settings.h"

namespace nst {

// The smallest longest side that `auto` starts at (bench/scales.sh chose it).
constexpr int kAutoCoarsestSide = 256;

struct Scale {
  int size = 0;        // longest side of the content at this scale
  int iterations = 0;  // iterations to run at it
};

// The number of scales `auto` gives for an output of longest side `size`.
int auto_scale_count(int size);

// The settings' scales, or auto's count when they leave it open.
int planned_scale_count(const JobSettings& settings);

// `count` scales for the settings, coarse to fine: the last at settings.size with
// settings.iterations, the others with settings.coarse_iterations.
std::vector<Scale> scale_schedule(const JobSettings& settings, int count);

// The iterations of a whole run with `count` scales.
int total_iterations(const JobSettings& settings, int count);

}  // namespace nst
