// The multiplication of the fused Winograd path (tensor/winograd_fused.h): a register-blocked
// micro-kernel of our own, written once over a small SIMD interface that each per-ISA file
// supplies with intrinsics (fused multiply-adds must be asked for: ISO C++ does not let the
// compiler contract `a * b + c`).
//
//   c[r][0 .. panel) = sum over d of a(r, d) * b[d][0 .. panel)       for r < rows
//
// b is one panel of transformed tiles, `panel` tiles wide, one row per channel: the layout the
// transforms write, so it is packed as it is made and never copied. a is one point's
// transformed filters, read by broadcast at any strides: a(r, d) = a[r * a_row + d * a_depth].
// The forward pass reads U[xi] (K x C) as stored (a_row = C, a_depth = 1); the input gradient
// reads a transposed copy the same way, because U^T read in place (a_row = 1, a_depth = C) steps
// through memory C floats at a time, a power of two whose reads fall into the same few L1
// sets: that measured 2x slower. kRows rows of c and the panel's kVectors registers stay in
// registers across the whole depth: kRows * kVectors accumulators, kVectors loads and kRows
// broadcasts per step.
#pragma once

#include <cstdint>

namespace nst::kernels {
namespace {

// Simd: V, kLanes, zero(), load(p), store(p, v), broadcast(p), fma(a, b, c) = a * b + c.
template <class Simd, int kRows, int kVectors>
struct PanelProduct {
  static constexpr int kPanel = Simd::kLanes * kVectors;
  using V = typename Simd::V;

  template <int R>
  static void block(const float* a, int64_t a_row, int64_t a_depth, int depth, const float* b,
                    int64_t b_stride, float* c, int64_t c_stride) {
    V acc[R][kVectors];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int j = 0; j < kVectors; ++j) acc[r][j] = Simd::zero();
    for (int d = 0; d < depth; ++d) {
      const float* bd = b + d * b_stride;
      const float* ad = a + d * a_depth;
      V bv[kVectors];
#pragma GCC unroll 4
      for (int j = 0; j < kVectors; ++j) bv[j] = Simd::load(bd + j * Simd::kLanes);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const V ar = Simd::broadcast(ad + r * a_row);
#pragma GCC unroll 4
        for (int j = 0; j < kVectors; ++j) acc[r][j] = Simd::fma(ar, bv[j], acc[r][j]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int j = 0; j < kVectors; ++j)
        Simd::store(c + r * c_stride + j * Simd::kLanes, acc[r][j]);
  }

  static void product(const float* a, int64_t a_row, int64_t a_depth, int rows, int depth,
                      const float* b, int64_t b_stride, float* c, int64_t c_stride) {
    int r = 0;
    for (; r + kRows <= rows; r += kRows)
      block<kRows>(a + r * a_row, a_row, a_depth, depth, b, b_stride, c + r * c_stride, c_stride);
    for (; r < rows; ++r)  // VGG19's channel counts never get here; other networks' may
      block<1>(a + r * a_row, a_row, a_depth, depth, b, b_stride, c + r * c_stride, c_stride);
  }
};

// The scalar reference: one float per "register".
struct ScalarSimd {
  using V = float;
  static constexpr int kLanes = 1;
  static V zero() { return 0.0f; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V broadcast(const float* p) { return *p; }
  static V fma(V a, V b, V c) { return a * b + c; }
};

}  // namespace
}  // namespace nst::kernels
