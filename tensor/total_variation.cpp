#include "tensor/total_variation.h"

#include <cstdint>

#include "tensor/threads.h"

namespace nst {

double total_variation_forward(const float* x, int planes, int H, int W) {
  double total = 0.0;
#pragma omp parallel for num_threads(num_threads()) reduction(+ : total) schedule(static) if (int64_t{planes} * H * W > 65536)
  for (int p = 0; p < planes; ++p) {
    const float* plane = x + static_cast<int64_t>(p) * H * W;
    double plane_total = 0.0;
    for (int i = 0; i < H; ++i) {
      const float* row = plane + static_cast<int64_t>(i) * W;
      for (int j = 0; j + 1 < W; ++j) {
        const double d = static_cast<double>(row[j + 1]) - row[j];
        plane_total += d * d;
      }
      if (i + 1 < H) {
        for (int j = 0; j < W; ++j) {
          const double d = static_cast<double>(row[j + W]) - row[j];
          plane_total += d * d;
        }
      }
    }
    total += plane_total;
  }
  return total;
}

void total_variation_backward(float* dx, float dout, const float* x, int planes, int H, int W) {
  const float g = 2.0f * dout;
#pragma omp parallel for num_threads(num_threads()) \
    schedule(static) if (int64_t{planes} * H * W > 65536)
  for (int p = 0; p < planes; ++p) {
    const int64_t offset = static_cast<int64_t>(p) * H * W;
    const float* in = x + offset;
    float* grad = dx + offset;
    for (int i = 0; i < H; ++i) {
      for (int j = 0; j < W; ++j) {
        const int64_t k = static_cast<int64_t>(i) * W + j;
        // Each difference d = x[next] - x[k] adds 2 d to next and -2 d to k.
        if (j + 1 < W) {
          const float d = in[k + 1] - in[k];
          grad[k + 1] += g * d;
          grad[k] -= g * d;
        }
        if (i + 1 < H) {
          const float d = in[k + W] - in[k];
          grad[k + W] += g * d;
          grad[k] -= g * d;
        }
      }
    }
  }
}

}  // namespace nst
