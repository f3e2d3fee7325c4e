#include "nn/total_variation.h"

#include <cstdint>

#include "tensor/error.h"

namespace nst {

double total_variation_forward(const float* x, int planes, int H, int W) {
  double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule(static) if (int64_t{planes} * H * W > 65536)
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
#pragma omp parallel for schedule(static) if (int64_t{planes} * H * W > 65536)
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

namespace nn {

Var total_variation(const Var& x) {
  const Shape& s = x.shape();
  NST_CHECK(s.rank() == 4, "total_variation: input must be [N, C, H, W], got ", s);
  const int planes = static_cast<int>(s[0] * s[1]), H = static_cast<int>(s[2]),
            W = static_cast<int>(s[3]);
  Tensor out =
      Tensor::scalar(static_cast<float>(total_variation_forward(x.value().data(), planes, H, W)));
  Tensor input = x.value();
  return record_op(std::move(out), "total_variation", {x},
                   [input, planes, H, W](const Tensor& dout, InputGrads& grads) {
                     total_variation_backward(grads[0].data(), dout.item(), input.data(), planes, H,
                                              W);
                   });
}

}  // namespace nn
}  // namespace nst
