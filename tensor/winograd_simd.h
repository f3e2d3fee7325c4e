// The Winograd F(4x4, 3x3) transforms, written once for any number of lanes: R is float (one
// tile at a time, the scalar reference) or a GCC vector of floats (8 or 16 neighbouring tiles
// at once, one per lane). Each 6x6 or 4x4 transform is a 1-D transform of the columns followed
// by the same 1-D transform of the rows, with the matrices' zeros and repeated terms folded in
// by hand.
//
// Only the per-ISA translation units include this header, each compiled with its own -m flags;
// everything has internal linkage so that no AVX-512 copy can be picked for another caller.
#pragma once

#include <cstring>

#include "tensor/winograd_kernels.h"

namespace nst::kernels {
namespace {

using winograd::kAlpha;
using winograd::kPoints;
using winograd::kTile;

template <class R>
struct WinogradLanes {
  static constexpr int kLanes = sizeof(R) / sizeof(float);

  static R load(const float* p) {
    R v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(float* p, R v) { std::memcpy(p, &v, sizeof v); }
  // Lane l reads p[l * stride]: the same pixel of kLanes neighbouring tiles.
  static R gather(const float* p, int64_t stride) {
    float lanes[kLanes];
    for (int l = 0; l < kLanes; ++l) lanes[l] = p[l * stride];
    return load(lanes);
  }
  static void scatter(float* p, int64_t stride, R v) {
    float lanes[kLanes];
    store(lanes, v);
    for (int l = 0; l < kLanes; ++l) p[l * stride] = lanes[l];
  }
  static void scatter_add(float* p, int64_t stride, R v) {
    float lanes[kLanes];
    store(lanes, v);
    for (int l = 0; l < kLanes; ++l) p[l * stride] += lanes[l];  // in order: tiles overlap
  }
  static R relu(R v) { return v > 0.0f ? v : 0.0f; }

  // o = B^T d: the input transform of one line of 6.
  static void bt(const R* d, int ds, R* o, int os) {
    const R d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds],
            d5 = d[5 * ds];
    o[0] = 4.0f * d0 - 5.0f * d2 + d4;
    o[os] = d3 + d4 - 4.0f * (d1 + d2);
    o[2 * os] = d4 - d3 + 4.0f * (d1 - d2);
    o[3 * os] = d4 - d2 + 2.0f * (d3 - d1);
    o[4 * os] = d4 - d2 + 2.0f * (d1 - d3);
    o[5 * os] = 4.0f * d1 - 5.0f * d3 + d5;
  }
  // o = B n: the adjoint of bt.
  static void b(const R* n, int ns, R* o, int os) {
    const R n0 = n[0], n1 = n[ns], n2 = n[2 * ns], n3 = n[3 * ns], n4 = n[4 * ns],
            n5 = n[5 * ns];
    o[0] = 4.0f * n0;
    o[os] = 4.0f * (n2 - n1 + n5) + 2.0f * (n4 - n3);
    o[2 * os] = -5.0f * n0 - 4.0f * (n1 + n2) - n3 - n4;
    o[3 * os] = n1 - n2 + 2.0f * (n3 - n4) - 5.0f * n5;
    o[4 * os] = n0 + n1 + n2 + n3 + n4;
    o[5 * os] = n5;
  }
  // o (4) = A^T m (6): the output transform.
  static void at(const R* m, int ms, R* o, int os) {
    const R m1 = m[ms], m2 = m[2 * ms], m3 = m[3 * ms], m4 = m[4 * ms];
    const R sum12 = m1 + m2, diff12 = m1 - m2, sum34 = m3 + m4, diff34 = m3 - m4;
    o[0] = m[0] + sum12 + sum34;
    o[os] = diff12 + 2.0f * diff34;
    o[2 * os] = sum12 + 4.0f * sum34;
    o[3 * os] = diff12 + 8.0f * diff34 + m[5 * ms];
  }
  // o (6) = A d (4): the adjoint of at.
  static void a(const R* d, int ds, R* o, int os) {
    const R d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds];
    const R even = d0 + d2, odd = d1 + d3, even4 = d0 + 4.0f * d2, odd8 = 2.0f * d1 + 8.0f * d3;
    o[0] = d0;
    o[os] = even + odd;
    o[2 * os] = even - odd;
    o[3 * os] = even4 + odd8;
    o[4 * os] = even4 - odd8;
    o[5 * os] = d3;
  }
  // o (6) = G g (3): the filter transform.
  static void g(const R* f, int fs, R* o, int os) {
    const R f0 = f[0], f1 = f[fs], f2 = f[2 * fs];
    const R outer = f0 + f2;
    o[0] = 0.25f * f0;
    o[os] = (-1.0f / 6.0f) * (outer + f1);
    o[2 * os] = (-1.0f / 6.0f) * (outer - f1);
    o[3 * os] = (1.0f / 24.0f) * f0 + (1.0f / 12.0f) * f1 + (1.0f / 6.0f) * f2;
    o[4 * os] = (1.0f / 24.0f) * f0 - (1.0f / 12.0f) * f1 + (1.0f / 6.0f) * f2;
    o[5 * os] = f2;
  }

  // Tiles [first, first + kLanes) of a row.
  static void input_tiles(const float* rows, int64_t row_stride, int first, float* v,
                          int64_t point_stride) {
    R d[kPoints], t[kPoints];
    for (int i = 0; i < kAlpha; ++i)
      for (int j = 0; j < kAlpha; ++j)
        d[i * kAlpha + j] = gather(rows + i * row_stride + first * kTile + j, kTile);
    for (int j = 0; j < kAlpha; ++j) bt(d + j, kAlpha, t + j, kAlpha);      // columns
    for (int i = 0; i < kAlpha; ++i) bt(t + i * kAlpha, 1, d + i * kAlpha, 1);  // rows
    for (int xi = 0; xi < kPoints; ++xi) store(v + xi * point_stride + first, d[xi]);
  }

  static void output_tiles(const float* m, int64_t point_stride, int first, float bias,
                           bool apply_relu, float* rows, int64_t row_stride) {
    R p[kPoints], t[kTile * kAlpha], y[kTile * kTile];
    for (int xi = 0; xi < kPoints; ++xi) p[xi] = load(m + xi * point_stride + first);
    for (int j = 0; j < kAlpha; ++j) at(p + j, kAlpha, t + j, kAlpha);  // 4 x 6
    for (int i = 0; i < kTile; ++i) at(t + i * kAlpha, 1, y + i * kTile, 1);
    for (int i = 0; i < kTile; ++i) {
      for (int j = 0; j < kTile; ++j) {
        R out = y[i * kTile + j] + bias;
        if (apply_relu) out = relu(out);
        scatter(rows + i * row_stride + first * kTile + j, kTile, out);
      }
    }
  }

  static void grad_output_tiles(const float* rows, int64_t row_stride, int first, float* z,
                                int64_t point_stride) {
    R d[kTile * kTile], t[kAlpha * kTile], p[kPoints];
    for (int i = 0; i < kTile; ++i)
      for (int j = 0; j < kTile; ++j)
        d[i * kTile + j] = gather(rows + i * row_stride + first * kTile + j, kTile);
    for (int j = 0; j < kTile; ++j) a(d + j, kTile, t + j, kTile);  // 6 x 4
    for (int i = 0; i < kAlpha; ++i) a(t + i * kTile, 1, p + i * kAlpha, 1);
    for (int xi = 0; xi < kPoints; ++xi) store(z + xi * point_stride + first, p[xi]);
  }

  static void grad_input_tiles(const float* n, int64_t point_stride, int first, float* rows,
                               int64_t row_stride) {
    R p[kPoints], t[kPoints];
    for (int xi = 0; xi < kPoints; ++xi) p[xi] = load(n + xi * point_stride + first);
    for (int j = 0; j < kAlpha; ++j) b(p + j, kAlpha, t + j, kAlpha);
    for (int i = 0; i < kAlpha; ++i) b(t + i * kAlpha, 1, p + i * kAlpha, 1);
    for (int i = 0; i < kAlpha; ++i)
      for (int j = 0; j < kAlpha; ++j)
        scatter_add(rows + i * row_stride + first * kTile + j, kTile, p[i * kAlpha + j]);
  }

  static void filter_tiles(const float* filters, int first, float* u, int64_t point_stride) {
    constexpr int kTaps = 3;
    R f[kTaps * kTaps], t[kAlpha * kTaps], p[kPoints];
    for (int tap = 0; tap < kTaps * kTaps; ++tap)
      f[tap] = gather(filters + static_cast<int64_t>(first) * 9 + tap, 9);
    for (int j = 0; j < kTaps; ++j) g(f + j, kTaps, t + j, kTaps);  // 6 x 3
    for (int i = 0; i < kAlpha; ++i) g(t + i * kTaps, 1, p + i * kAlpha, 1);
    for (int xi = 0; xi < kPoints; ++xi) store(u + xi * point_stride + first, p[xi]);
  }
};

// Runs `lanes_at(first)` over whole groups of kLanes tiles with vector type R and the rest one
// tile at a time with float: the same arithmetic either way.
template <class R, class Vector, class Scalar>
void over_tiles(int tiles, Vector vector, Scalar scalar) {
  int first = 0;
  for (; first + WinogradLanes<R>::kLanes <= tiles; first += WinogradLanes<R>::kLanes)
    vector(first);
  for (; first < tiles; ++first) scalar(first);
}

template <class R>
WinogradKernels make_winograd_kernels(Isa isa) {
  using V = WinogradLanes<R>;
  using S = WinogradLanes<float>;
  WinogradKernels k{};
  k.isa = isa;
  k.input_tiles = [](const float* rows, int64_t row_stride, int tiles, float* v,
                     int64_t point_stride) {
    over_tiles<R>(
        tiles, [&](int t) { V::input_tiles(rows, row_stride, t, v, point_stride); },
        [&](int t) { S::input_tiles(rows, row_stride, t, v, point_stride); });
  };
  k.output_tiles = [](const float* m, int64_t point_stride, int tiles, float bias, bool relu,
                      float* rows, int64_t row_stride) {
    over_tiles<R>(
        tiles, [&](int t) { V::output_tiles(m, point_stride, t, bias, relu, rows, row_stride); },
        [&](int t) { S::output_tiles(m, point_stride, t, bias, relu, rows, row_stride); });
  };
  k.grad_output_tiles = [](const float* rows, int64_t row_stride, int tiles, float* z,
                           int64_t point_stride) {
    over_tiles<R>(
        tiles, [&](int t) { V::grad_output_tiles(rows, row_stride, t, z, point_stride); },
        [&](int t) { S::grad_output_tiles(rows, row_stride, t, z, point_stride); });
  };
  k.grad_input_tiles = [](const float* n, int64_t point_stride, int tiles, float* rows,
                          int64_t row_stride) {
    over_tiles<R>(
        tiles, [&](int t) { V::grad_input_tiles(n, point_stride, t, rows, row_stride); },
        [&](int t) { S::grad_input_tiles(n, point_stride, t, rows, row_stride); });
  };
  k.filter_tiles = [](const float* filters, int count, float* u, int64_t point_stride) {
    over_tiles<R>(
        count, [&](int f) { V::filter_tiles(filters, f, u, point_stride); },
        [&](int f) { S::filter_tiles(filters, f, u, point_stride); });
  };
  return k;
}

}  // namespace
}  // namespace nst::kernels
