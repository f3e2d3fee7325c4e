#include "tensor/im2col.h"

#include <algorithm>
#include <cstring>

#include "tensor/threads.h"

namespace nst {

namespace {

// The output columns [ox_begin, ox_end) whose input column ix = ox*s - p + kj lies inside
// [0, W); the columns outside read the zero padding.
struct ValidRange {
  int begin, end;
};
ValidRange valid_columns(const Conv2dShape& shape, int kj) {
  const int wo = shape.Wo();
  // Smallest ox with ox*s - p + kj >= 0, and first ox with ox*s - p + kj >= W.
  int begin = std::max(0, (shape.padding - kj + shape.stride - 1) / shape.stride);
  int end = std::min(wo, (shape.W + shape.padding - kj + shape.stride - 1) / shape.stride);
  return {std::min(begin, wo), std::max(end, std::min(begin, wo))};
}

}  // namespace

void im2col(const float* image, const Conv2dShape& shape, int row_begin, int row_end, float* col) {
  const int k = shape.kernel, s = shape.stride, p = shape.padding, wo = shape.Wo();
  const int64_t band = static_cast<int64_t>(row_end - row_begin) * wo;
#pragma omp parallel for num_threads(num_threads()) \
    schedule(static) if (shape.col_rows() * band > 65536)
  for (int row = 0; row < shape.col_rows(); ++row) {
    const int c = row / (k * k), ki = row / k % k, kj = row % k;
    const float* plane = image + static_cast<int64_t>(c) * shape.H * shape.W;
    float* out = col + row * band;
    const ValidRange cols = valid_columns(shape, kj);
    for (int oy = row_begin; oy < row_end; ++oy, out += wo) {
      const int iy = oy * s - p + ki;
      if (iy < 0 || iy >= shape.H) {
        std::fill_n(out, wo, 0.0f);
        continue;
      }
      // Output column ox reads input column ox*s - p + kj of row iy.
      const int64_t first = static_cast<int64_t>(iy) * shape.W - p + kj;
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

void col2im(const float* col, const Conv2dShape& shape, int row_begin, int row_end, float* image) {
  const int k = shape.kernel, s = shape.stride, p = shape.padding, wo = shape.Wo();
  const int64_t band = static_cast<int64_t>(row_end - row_begin) * wo;
  // One thread per channel: the k*k rows of a channel all add into the same plane.
#pragma omp parallel for num_threads(num_threads()) \
    schedule(static) if (shape.col_rows() * band > 65536)
  for (int c = 0; c < shape.C; ++c) {
    float* plane = image + static_cast<int64_t>(c) * shape.H * shape.W;
    for (int kk = 0; kk < k * k; ++kk) {
      const int ki = kk / k, kj = kk % k;
      const float* in = col + (static_cast<int64_t>(c) * k * k + kk) * band;
      const ValidRange cols = valid_columns(shape, kj);
      for (int oy = row_begin; oy < row_end; ++oy, in += wo) {
        const int iy = oy * s - p + ki;
        if (iy < 0 || iy >= shape.H) continue;
        const int64_t first = static_cast<int64_t>(iy) * shape.W - p + kj;
        for (int ox = cols.begin; ox < cols.end; ++ox) plane[first + ox * s] += in[ox];
      }
    }
  }
}

void im2col_naive(const float* image, const Conv2dShape& shape, int row_begin, int row_end,
                  float* col) {
  const int k = shape.kernel, wo = shape.Wo();
  int64_t index = 0;
  for (int c = 0; c < shape.C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj)
        for (int oy = row_begin; oy < row_end; ++oy)
          for (int ox = 0; ox < wo; ++ox) {
            int iy = oy * shape.stride - shape.padding + ki,
                ix = ox * shape.stride - shape.padding + kj;
            bool inside = iy >= 0 && iy < shape.H && ix >= 0 && ix < shape.W;
            col[index++] =
                inside ? image[(static_cast<int64_t>(c) * shape.H + iy) * shape.W + ix] : 0.0f;
          }
}

void col2im_naive(const float* col, const Conv2dShape& shape, int row_begin, int row_end,
                  float* image) {
  const int k = shape.kernel, wo = shape.Wo();
  int64_t index = 0;
  for (int c = 0; c < shape.C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj)
        for (int oy = row_begin; oy < row_end; ++oy)
          for (int ox = 0; ox < wo; ++ox, ++index) {
            int iy = oy * shape.stride - shape.padding + ki,
                ix = ox * shape.stride - shape.padding + kj;
            if (iy >= 0 && iy < shape.H && ix >= 0 && ix < shape.W) {
              image[(static_cast<int64_t>(c) * shape.H + iy) * shape.W + ix] += col[index];
            }
          }
}

}  // namespace nst
