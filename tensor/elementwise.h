// Elementwise kernels and reductions over contiguous float ranges, on the fastest instruction
// set this CPU has (see elementwise_kernels.h). Outputs may alias inputs (in-place use is
// fine). Large ranges are split across OpenMP threads in fixed-size blocks; reductions add the
// blocks' partial sums in order, so results do not depend on the number of threads.
#pragma once

#include <span>

namespace nst {

void add(std::span<const float> a, std::span<const float> b, std::span<float> out);
void sub(std::span<const float> a, std::span<const float> b, std::span<float> out);
void mul(std::span<const float> a, std::span<const float> b, std::span<float> out);
void scale(std::span<const float> x, float s, std::span<float> out);
void axpy(float alpha, std::span<const float> x, std::span<float> y);           // y += alpha * x
void affine(std::span<const float> x, float s, float t, std::span<float> out);  // s * x + t
void relu(std::span<const float> x, std::span<float> out);
// dx += dy where y (the ReLU's output) is positive.
void relu_backward(std::span<const float> y, std::span<const float> dy, std::span<float> dx);
void clamp(std::span<const float> x, float lo, float hi, std::span<float> out);

double sum(std::span<const float> x);
double sum_squares(std::span<const float> x);
double squared_distance(std::span<const float> a, std::span<const float> b);  // sum (a - b)^2
double dot(std::span<const float> a, std::span<const float> b);

}  // namespace nst
