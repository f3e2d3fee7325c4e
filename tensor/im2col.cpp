#include "tensor/im2col.h"

#include <algorithm>
#include <cstring>

#include "tensor/error.h"

namespace nst {

void ConvGeometry::validate() const {
  NST_CHECK(channels > 0 && height > 0 && width > 0,
            "convolution input must be non-empty, got C=", channels, " H=", height, " W=", width);
  NST_CHECK(kernel > 0 && stride > 0 && padding >= 0, "bad convolution parameters: kernel=", kernel,
            " stride=", stride, " padding=", padding);
  NST_CHECK(height + 2 * padding >= kernel && width + 2 * padding >= kernel, "a ", kernel, "x",
            kernel, " kernel does not fit a ", height, "x", width, " input with padding ", padding);
}

namespace {

// The output columns [ox_begin, ox_end) whose input column ix = ox*s - p + kj lies inside
// [0, W); the columns outside read the zero padding.
struct ValidRange {
  int begin, end;
};
ValidRange valid_columns(const ConvGeometry& g, int kj) {
  const int wo = g.out_width();
  // Smallest ox with ox*s - p + kj >= 0, and first ox with ox*s - p + kj >= W.
  int begin = std::max(0, (g.padding - kj + g.stride - 1) / g.stride);
  int end = std::min(wo, (g.width + g.padding - kj + g.stride - 1) / g.stride);
  return {std::min(begin, wo), std::max(end, std::min(begin, wo))};
}

}  // namespace

void im2col(const float* image, const ConvGeometry& g, int row_begin, int row_end, float* col) {
  const int k = g.kernel, s = g.stride, p = g.padding, wo = g.out_width();
  const int64_t band = static_cast<int64_t>(row_end - row_begin) * wo;
#pragma omp parallel for schedule(static) if (g.col_rows() * band > 65536)
  for (int row = 0; row < g.col_rows(); ++row) {
    const int c = row / (k * k), ki = row / k % k, kj = row % k;
    const float* plane = image + static_cast<int64_t>(c) * g.height * g.width;
    float* out = col + row * band;
    const ValidRange cols = valid_columns(g, kj);
    for (int oy = row_begin; oy < row_end; ++oy, out += wo) {
      const int iy = oy * s - p + ki;
      if (iy < 0 || iy >= g.height) {
        std::fill_n(out, wo, 0.0f);
        continue;
      }
      // Output column ox reads input column ox*s - p + kj of row iy.
      const int64_t first = static_cast<int64_t>(iy) * g.width - p + kj;
      std::fill(out, out + cols.begin, 0.0f);
      if (s == 1) {
        std::memcpy(out + cols.begin, plane + first + cols.begin,
                    sizeof(float) * (cols.end - cols.begin));
      } else {
        for (int ox = cols.begin; ox < cols.end; ++ox) out[ox] = plane[first + ox * s];
      }
      std::fill(out + cols.end, out + wo, 0.0f);
    }
  }
}

void col2im(const float* col, const ConvGeometry& g, int row_begin, int row_end, float* image) {
  const int k = g.kernel, s = g.stride, p = g.padding, wo = g.out_width();
  const int64_t band = static_cast<int64_t>(row_end - row_begin) * wo;
  // One thread per channel: the k*k rows of a channel all add into the same plane.
#pragma omp parallel for schedule(static) if (g.col_rows() * band > 65536)
  for (int c = 0; c < g.channels; ++c) {
    float* plane = image + static_cast<int64_t>(c) * g.height * g.width;
    for (int kk = 0; kk < k * k; ++kk) {
      const int ki = kk / k, kj = kk % k;
      const float* in = col + (static_cast<int64_t>(c) * k * k + kk) * band;
      const ValidRange cols = valid_columns(g, kj);
      for (int oy = row_begin; oy < row_end; ++oy, in += wo) {
        const int iy = oy * s - p + ki;
        if (iy < 0 || iy >= g.height) continue;
        const int64_t first = static_cast<int64_t>(iy) * g.width - p + kj;
        for (int ox = cols.begin; ox < cols.end; ++ox) plane[first + ox * s] += in[ox];
      }
    }
  }
}

void im2col_naive(const float* image, const ConvGeometry& g, int row_begin, int row_end,
                  float* col) {
  const int k = g.kernel, wo = g.out_width();
  int64_t index = 0;
  for (int c = 0; c < g.channels; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj)
        for (int oy = row_begin; oy < row_end; ++oy)
          for (int ox = 0; ox < wo; ++ox) {
            int iy = oy * g.stride - g.padding + ki, ix = ox * g.stride - g.padding + kj;
            bool inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
            col[index++] =
                inside ? image[(static_cast<int64_t>(c) * g.height + iy) * g.width + ix] : 0.0f;
          }
}

void col2im_naive(const float* col, const ConvGeometry& g, int row_begin, int row_end,
                  float* image) {
  const int k = g.kernel, wo = g.out_width();
  int64_t index = 0;
  for (int c = 0; c < g.channels; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj)
        for (int oy = row_begin; oy < row_end; ++oy)
          for (int ox = 0; ox < wo; ++ox, ++index) {
            int iy = oy * g.stride - g.padding + ki, ix = ox * g.stride - g.padding + kj;
            if (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width) {
              image[(static_cast<int64_t>(c) * g.height + iy) * g.width + ix] += col[index];
            }
          }
}

}  // namespace nst
