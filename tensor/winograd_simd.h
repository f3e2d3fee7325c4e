// The Winograd F(4x4, 3x3) transforms, written once for any number of lanes: R is float (one
// tile at a time, the scalar reference) or a GCC vector of floats (8 or 16 neighbouring tiles
// at once, one per lane). Each 6x6 or 4x4 transform is a 1-D transform of the columns followed
// by the same 1-D transform of the rows, with the matrices' zeros and repeated terms folded in
// by hand.
//
// Neighbouring tiles' pixels interleave in a row (tile t's column j is row column 4t + j), so
// vectors of tiles are loaded and stored whole and taken apart or put together with shuffles
// (`phases`, `interleave`), not gathered one float at a time.
//
// Only the per-ISA translation units include this header, each compiled with its own -m flags;
// everything has internal linkage so that no AVX-512 copy can be picked for another caller.
#pragma once

#include <cstring>
#include <type_traits>
#include <utility>

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
  // Lane l reads p[l * stride]: the same tap of kLanes neighbouring filters.
  static R gather(const float* p, int64_t stride) {
    float lanes[kLanes];
    for (int l = 0; l < kLanes; ++l) lanes[l] = p[l * stride];
    return load(lanes);
  }
  static R relu(R v) { return v > 0.0f ? v : 0.0f; }

  // The shuffles below exist for vectors only; the scalar reference reads and writes floats.
  template <std::size_t... I>
  static R even(R a, R b, std::index_sequence<I...>) {  // a0 a2 .. b0 b2 ..
    return __builtin_shufflevector(a, b, (2 * I)...);
  }
  template <std::size_t... I>
  static R odd(R a, R b, std::index_sequence<I...>) {  // a1 a3 .. b1 b3 ..
    return __builtin_shufflevector(a, b, (2 * I + 1)...);
  }
  template <std::size_t... I>
  static R low_pairs(R a, R b, std::index_sequence<I...>) {  // a0 b0 a1 b1 .. (first half)
    return __builtin_shufflevector(a, b, ((I % 2) * kLanes + I / 2)...);
  }
  template <std::size_t... I>
  static R high_pairs(R a, R b, std::index_sequence<I...>) {  // the second half
    return __builtin_shufflevector(a, b, ((I % 2) * kLanes + kLanes / 2 + I / 2)...);
  }
  template <std::size_t... I>
  static R next_lane(R a, R b, std::index_sequence<I...>) {  // a1 .. a(n-1) b0
    return __builtin_shufflevector(a, b, (I + 1)...);
  }
  template <std::size_t... I>
  static R previous_lane(R a, R b, std::index_sequence<I...>) {  // a(n-1) b0 .. b(n-2)
    return __builtin_shufflevector(a, b, (I + kLanes - 1)...);
  }
  using Lanes = std::make_index_sequence<kLanes>;

  // p[k][l] = row[4 l + k], k < 4: column k of kLanes neighbouring tiles, from 4 loads.
  static void phases(const float* row, R* p) {
    const R x0 = load(row), x1 = load(row + kLanes), x2 = load(row + 2 * kLanes),
            x3 = load(row + 3 * kLanes);
    const R a = even(x0, x1, Lanes{}), b = odd(x0, x1, Lanes{}), c = even(x2, x3, Lanes{}),
            d = odd(x2, x3, Lanes{});
    p[0] = even(a, c, Lanes{});
    p[1] = even(b, d, Lanes{});
    p[2] = odd(a, c, Lanes{});
    p[3] = odd(b, d, Lanes{});
  }
  // The inverse: row[4 l + k] = p[k][l], as 4 vectors.
  static void interleave(const R* p, R* x) {
    const R e_low = low_pairs(p[0], p[2], Lanes{}), e_high = high_pairs(p[0], p[2], Lanes{});
    const R o_low = low_pairs(p[1], p[3], Lanes{}), o_high = high_pairs(p[1], p[3], Lanes{});
    x[0] = low_pairs(e_low, o_low, Lanes{});
    x[1] = high_pairs(e_low, o_low, Lanes{});
    x[2] = low_pairs(e_high, o_high, Lanes{});
    x[3] = high_pairs(e_high, o_high, Lanes{});
  }
  // Lane l of column 4 or 5 is lane l + 1 of column 0 or 1; the last lane is the next tile's.
  static R shifted(R column, float next) { return next_lane(column, R{} + next, Lanes{}); }

  // o = B^T d: the input transform of one line of 6.
  static void bt(const R* d, int ds, R* o, int os) {
    const R d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    o[0] = 4.0f * d0 - 5.0f * d2 + d4;
    o[os] = d3 + d4 - 4.0f * (d1 + d2);
    o[2 * os] = d4 - d3 + 4.0f * (d1 - d2);
    o[3 * os] = d4 - d2 + 2.0f * (d3 - d1);
    o[4 * os] = d4 - d2 + 2.0f * (d1 - d3);
    o[5 * os] = 4.0f * d1 - 5.0f * d3 + d5;
  }
  // o = B n: the adjoint of bt.
  static void b(const R* n, int ns, R* o, int os) {
    const R n0 = n[0], n1 = n[ns], n2 = n[2 * ns], n3 = n[3 * ns], n4 = n[4 * ns], n5 = n[5 * ns];
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
    for (int i = 0; i < kAlpha; ++i) {
      const float* row = rows + i * row_stride + first * kTile;
      R* line = d + i * kAlpha;
      if constexpr (kLanes == 1) {
        for (int j = 0; j < kAlpha; ++j) line[j] = row[j];
      } else {
        phases(row, line);
        line[4] = shifted(line[0], row[kTile * kLanes]);
        line[5] = shifted(line[1], row[kTile * kLanes + 1]);
      }
    }
    for (int j = 0; j < kAlpha; ++j) bt(d + j, kAlpha, t + j, kAlpha);          // columns
    for (int i = 0; i < kAlpha; ++i) bt(t + i * kAlpha, 1, d + i * kAlpha, 1);  // rows
    for (int xi = 0; xi < kPoints; ++xi) store(v + xi * point_stride + first, d[xi]);
  }

  static void output_tiles(const float* m, int64_t point_stride, int first, float bias,
                           bool apply_relu, float* rows, int64_t row_stride) {
    R p[kPoints], t[kTile * kAlpha], y[kTile * kTile];
    for (int xi = 0; xi < kPoints; ++xi) p[xi] = load(m + xi * point_stride + first);
    for (int j = 0; j < kAlpha; ++j) at(p + j, kAlpha, t + j, kAlpha);  // 4 x 6
    for (int i = 0; i < kTile; ++i) at(t + i * kAlpha, 1, y + i * kTile, 1);
    for (R& out : y) {
      out = out + bias;
      if (apply_relu) out = relu(out);
    }
    for (int i = 0; i < kTile; ++i) {
      float* row = rows + i * row_stride + first * kTile;
      if constexpr (kLanes == 1) {
        for (int j = 0; j < kTile; ++j) row[j] = y[i * kTile + j];
      } else {
        R x[kTile];
        interleave(y + i * kTile, x);
        for (int q = 0; q < kTile; ++q) store(row + q * kLanes, x[q]);
      }
    }
  }

  static void grad_output_tiles(const float* rows, int64_t row_stride, int first, float* z,
                                int64_t point_stride) {
    R d[kTile * kTile], t[kAlpha * kTile], p[kPoints];
    for (int i = 0; i < kTile; ++i) {
      const float* row = rows + i * row_stride + first * kTile;
      if constexpr (kLanes == 1) {
        for (int j = 0; j < kTile; ++j) d[i * kTile + j] = row[j];
      } else {
        phases(row, d + i * kTile);
      }
    }
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
    for (int i = 0; i < kAlpha; ++i) {
      float* row = rows + i * row_stride + first * kTile;
      const R* line = p + i * kAlpha;
      if constexpr (kLanes == 1) {
        for (int j = 0; j < kAlpha; ++j) row[j] += line[j];  // in order: tiles overlap
      } else {
        // Columns 4 and 5 of tile l add to columns 0 and 1 of tile l + 1; the last tile's go
        // past this group, to the next group's first tile (added before it, as in order).
        const R columns[kTile] = {line[0] + previous_lane(R{}, line[4], Lanes{}),
                                  line[1] + previous_lane(R{}, line[5], Lanes{}), line[2], line[3]};
        R x[kTile];
        interleave(columns, x);
        for (int q = 0; q < kTile; ++q) store(row + q * kLanes, load(row + q * kLanes) + x[q]);
        row[kTile * kLanes] += line[4][kLanes - 1];
        row[kTile * kLanes + 1] += line[5][kLanes - 1];
      }
    }
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

// Half of a vector of 16 or 8 floats. (A vector_size attribute with a dependent size would be
// dropped by GCC inside a template, silently leaving plain float.)
using Floats8 = float __attribute__((vector_size(32)));
using Floats4 = float __attribute__((vector_size(16)));
template <class R>
using HalfOf = std::conditional_t<sizeof(R) == sizeof(Floats8) * 2, Floats8, Floats4>;

// Runs `call(WinogradLanes<V>{}, first)` over the tiles in groups of as many lanes as fit: R's
// width, then halves of it down to 4 lanes, then one tile at a time with float. Every width
// does the same arithmetic per tile. Halving matters: a row of 28 tiles (an 896-pixel picture
// at conv4) left 12 tiles to the scalar code, whose strided stores then took 28% of the
// convolution's time.
template <class R, class Call>
void over_tiles(int tiles, Call call, int first = 0) {
  for (; first + WinogradLanes<R>::kLanes <= tiles; first += WinogradLanes<R>::kLanes)
    call(WinogradLanes<R>{}, first);
  if constexpr (sizeof(R) > 4 * sizeof(float)) {
    static_assert(sizeof(HalfOf<R>) * 2 == sizeof(R));
    over_tiles<HalfOf<R>>(tiles, call, first);
  } else if constexpr (sizeof(R) > sizeof(float)) {
    over_tiles<float>(tiles, call, first);
  }
}

template <class R>
WinogradKernels make_winograd_kernels(Isa isa) {
  WinogradKernels k{};
  k.isa = isa;
  k.input_tiles = [](const float* rows, int64_t row_stride, int tiles, float* v,
                     int64_t point_stride) {
    over_tiles<R>(
        tiles, [&](auto lanes, int t) { lanes.input_tiles(rows, row_stride, t, v, point_stride); });
  };
  k.output_tiles = [](const float* m, int64_t point_stride, int tiles, float bias, bool relu,
                      float* rows, int64_t row_stride) {
    over_tiles<R>(tiles, [&](auto lanes, int t) {
      lanes.output_tiles(m, point_stride, t, bias, relu, rows, row_stride);
    });
  };
  k.grad_output_tiles = [](const float* rows, int64_t row_stride, int tiles, float* z,
                           int64_t point_stride) {
    over_tiles<R>(tiles, [&](auto lanes, int t) {
      lanes.grad_output_tiles(rows, row_stride, t, z, point_stride);
    });
  };
  k.grad_input_tiles = [](const float* n, int64_t point_stride, int tiles, float* rows,
                          int64_t row_stride) {
    over_tiles<R>(tiles, [&](auto lanes, int t) {
      lanes.grad_input_tiles(n, point_stride, t, rows, row_stride);
    });
  };
  k.filter_tiles = [](const float* filters, int count, float* u, int64_t point_stride) {
    over_tiles<R>(count,
                  [&](auto lanes, int f) { lanes.filter_tiles(filters, f, u, point_stride); });
  };
  return k;
}

}  // namespace
}  // namespace nst::kernels
