// The SIMD kernels, written once for any vector width with GCC/Clang vector types: arithmetic
// operators and `?:` act lane by lane, and a scalar operand is broadcast. Each lambda below is
// therefore valid for a whole register and for one float, and serves both the vector body and
// the scalar tail of its loop.
//
// Only the per-ISA translation units include this header, each compiled with its own -m flags.
// Everything here has internal linkage (anonymous namespace) so that the linker can never pick
// an AVX-512 copy of an inline function for a caller on a CPU without AVX-512.
#pragma once

#include <cstddef>
#include <cstring>

#include "tensor/elementwise_kernels.h"

namespace nst::kernels {
namespace {

// R is a float vector type such as `float __attribute__((vector_size(64)))`, and Wide the
// double vector with as many lanes (twice the bytes), in which reductions accumulate.
template <class R, class Wide>
struct Simd {
  static constexpr std::size_t kWidth = sizeof(R) / sizeof(float);
  static_assert(sizeof(Wide) == 2 * sizeof(R), "Wide must have as many lanes as R");

  static R load(const float* p) {
    R v;
    std::memcpy(&v, p, sizeof v);  // an unaligned vector load
    return v;
  }
  static void store(float* p, R v) { std::memcpy(p, &v, sizeof v); }
  static Wide widen(R v) { return __builtin_convertvector(v, Wide); }

  // out[i] = op(a[i], ...) over n elements.
  template <class Op>
  static void map(float* out, std::size_t n, Op op, const float* a) {
    std::size_t i = 0;
    for (; i + kWidth <= n; i += kWidth) store(out + i, op(load(a + i)));
    for (; i < n; ++i) out[i] = op(a[i]);
  }
  template <class Op>
  static void map(float* out, std::size_t n, Op op, const float* a, const float* b) {
    std::size_t i = 0;
    for (; i + kWidth <= n; i += kWidth) store(out + i, op(load(a + i), load(b + i)));
    for (; i < n; ++i) out[i] = op(a[i], b[i]);
  }
  template <class Op>
  static void map(float* out, std::size_t n, Op op, const float* a, const float* b,
                  const float* c) {
    std::size_t i = 0;
    for (; i + kWidth <= n; i += kWidth) {
      store(out + i, op(load(a + i), load(b + i), load(c + i)));
    }
    for (; i < n; ++i) out[i] = op(a[i], b[i], c[i]);
  }

  // The sum over i of op(a[i], b[i]), with a and b widened to double before op.
  template <class Op>
  static double reduce(std::size_t n, Op op, const float* a, const float* b) {
    Wide acc{};
    std::size_t i = 0;
    for (; i + kWidth <= n; i += kWidth) acc += op(widen(load(a + i)), widen(load(b + i)));
    double total = 0.0;
    for (std::size_t lane = 0; lane < kWidth; ++lane) total += acc[lane];
    for (; i < n; ++i) total += op(static_cast<double>(a[i]), static_cast<double>(b[i]));
    return total;
  }
};

template <class R, class Wide>
ElementwiseKernels make_simd_kernels(Isa isa) {
  using S = Simd<R, Wide>;
  using std::size_t;
  ElementwiseKernels k{};
  k.isa = isa;
  k.add = [](const float* a, const float* b, float* out, size_t n) {
    S::map(
        out, n, [](auto x, auto y) { return x + y; }, a, b);
  };
  k.sub = [](const float* a, const float* b, float* out, size_t n) {
    S::map(
        out, n, [](auto x, auto y) { return x - y; }, a, b);
  };
  k.mul = [](const float* a, const float* b, float* out, size_t n) {
    S::map(
        out, n, [](auto x, auto y) { return x * y; }, a, b);
  };
  k.scale = [](const float* x, float s, float* out, size_t n) {
    S::map(
        out, n, [s](auto v) { return v * s; }, x);
  };
  k.axpy = [](float alpha, const float* x, float* y, size_t n) {
    S::map(
        y, n, [alpha](auto yv, auto xv) { return yv + xv * alpha; }, y, x);
  };
  k.affine = [](const float* x, float s, float t, float* out, size_t n) {
    S::map(
        out, n, [s, t](auto v) { return v * s + t; }, x);
  };
  k.relu = [](const float* x, float* out, size_t n) {
    S::map(
        out, n, [](auto v) { return v > 0.0f ? v : decltype(v){}; }, x);
  };
  k.relu_backward = [](const float* y, const float* dy, float* dx, size_t n) {
    S::map(
        dx, n, [](auto d, auto yv, auto g) { return d + (yv > 0.0f ? g : decltype(g){}); }, dx, y,
        dy);
  };
  k.clamp = [](const float* x, float lo, float hi, float* out, size_t n) {
    S::map(
        out, n,
        [lo, hi](auto v) {
          using T = decltype(v);
          const T low = T{} + lo, high = T{} + hi;  // broadcast to T
          return v < lo ? low : (v > hi ? high : v);
        },
        x);
  };
  k.sum = [](const float* x, size_t n) {
    return S::reduce(
        n, [](auto v, auto) { return v; }, x, x);
  };
  k.sum_squares = [](const float* x, size_t n) {
    return S::reduce(
        n, [](auto v, auto) { return v * v; }, x, x);
  };
  k.squared_distance = [](const float* a, const float* b, size_t n) {
    return S::reduce(
        n, [](auto u, auto v) { return (u - v) * (u - v); }, a, b);
  };
  k.dot = [](const float* a, const float* b, size_t n) {
    return S::reduce(
        n, [](auto u, auto v) { return u * v; }, a, b);
  };
  return k;
}

}  // namespace
}  // namespace nst::kernels
