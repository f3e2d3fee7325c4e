// The scalar reference for every elementwise kernel: plain loops, one line of arithmetic each.
// The SIMD versions must agree with these (tests/test_elementwise.cpp).
#include "tensor/elementwise_kernels.h"

namespace nst::kernels {
namespace {

void add(const float* a, const float* b, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}
void sub(const float* a, const float* b, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
}
void mul(const float* a, const float* b, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}
void scale(const float* x, float s, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x[i] * s;
}
void axpy(float alpha, const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = y[i] + x[i] * alpha;
}
void affine(const float* x, float s, float t, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x[i] * s + t;
}
void relu(const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void relu_backward(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dx[i] + (y[i] > 0.0f ? dy[i] : 0.0f);
}
void clamp(const float* x, float lo, float hi, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}
double sum(const float* x, std::size_t n) {
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) total += x[i];
  return total;
}
double sum_squares(const float* x, std::size_t n) {
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}
double squared_distance(const float* a, const float* b, std::size_t n) {
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    double d = static_cast<double>(a[i]) - b[i];
    total += d * d;
  }
  return total;
}
double dot(const float* a, const float* b, std::size_t n) {
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(a[i]) * b[i];
  return total;
}

}  // namespace

const ElementwiseKernels& scalar() {
  static const ElementwiseKernels table{
      Isa::scalar,      add,  sub,           mul,   scale, axpy,
      affine,           relu, relu_backward, clamp, sum,   sum_squares,
      squared_distance, dot};
  return table;
}

}  // namespace nst::kernels
