// Coarse to fine: a run at several sizes, each about twice the previous and the last the
// output's, every one starting from the previous one's result, upscaled (with the starting
// picture's fine detail added back: job.cpp, upscaled_start). The coarse scales are cheap (a
// quarter of the pixels per halving) and make the style's first large changes; the full-size
// scale then refines.
//
// With n scales, scale k (0-based) has longest side round(size / 2^(n-1-k)). `auto` gives two
// scales from kAutoTwoScalesFrom pixels up, one below; prepare() lowers that to one where the
// content or a style picture would be too small at half size for the deepest layer used.
// Measured with bench/scales.sh (README, "Coarse to fine"): two scales reached the
// single-scale run's final loss in 0.52 (256 px) and 0.55 (512 px) of its time; three were
// slower than two at both sizes.
#pragma once

#include <vector>

#include "nst/settings.h"

namespace nst {

// From this longest side up, `auto` runs two scales.
constexpr int kAutoTwoScalesFrom = 256;
// The most scales a run may ask for.
constexpr int kMaxScales = 16;

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
