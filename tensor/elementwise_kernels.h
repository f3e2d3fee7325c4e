// One instruction set's implementation of every elementwise kernel and reduction, as a table of
// function pointers over one contiguous range. elementwise.h picks a table at run time and
// splits large ranges across threads; tests call each table directly and compare it with the
// scalar reference.
#pragma once

#include <cstddef>

namespace nst {

enum class Isa { scalar, avx2, avx512 };
const char* isa_name(Isa isa);

struct ElementwiseKernels {
  Isa isa;
  void (*add)(const float* a, const float* b, float* out, std::size_t n);       // a + b
  void (*sub)(const float* a, const float* b, float* out, std::size_t n);       // a - b
  void (*mul)(const float* a, const float* b, float* out, std::size_t n);       // a * b
  void (*scale)(const float* x, float s, float* out, std::size_t n);            // s * x
  void (*axpy)(float alpha, const float* x, float* y, std::size_t n);           // y += alpha * x
  void (*affine)(const float* x, float s, float t, float* out, std::size_t n);  // s * x + t
  void (*relu)(const float* x, float* out, std::size_t n);                      // max(x, 0)
  // dx += dy where the ReLU output y is positive (the gradient is 0 at the kink, as in PyTorch).
  void (*relu_backward)(const float* y, const float* dy, float* dx, std::size_t n);
  void (*clamp)(const float* x, float lo, float hi, float* out, std::size_t n);
  // Reductions accumulate in double: a 512x512x64 feature map has 16M terms.
  double (*sum)(const float* x, std::size_t n);
  double (*sum_squares)(const float* x, std::size_t n);
  double (*squared_distance)(const float* a, const float* b, std::size_t n);  // sum (a - b)^2
  double (*dot)(const float* a, const float* b, std::size_t n);
};

namespace kernels {
const ElementwiseKernels& scalar();  // elementwise_scalar.cpp: the reference
const ElementwiseKernels& avx2();    // elementwise_avx2.cpp, built with -mavx2 -mfma
const ElementwiseKernels& avx512();  // elementwise_avx512.cpp, built with -mavx512f
}  // namespace kernels

bool isa_supported(Isa isa);
// The table for `isa`; throws nst::Error if this CPU cannot run it.
const ElementwiseKernels& elementwise_kernels(Isa isa);
// The fastest supported instruction set, unless the environment variable NST_ISA names
// another (scalar, avx2 or avx512), for comparing paths in benchmarks.
Isa active_isa();

}  // namespace nst
