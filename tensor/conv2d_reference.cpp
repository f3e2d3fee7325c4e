#include "tensor/conv2d_reference.h"

#include <cstdint>
#include <vector>

namespace nst {
namespace {

// Calls visit(out_index, in_index, weight_index) for every multiply of the convolution whose
// input pixel lies inside the image (zero padding contributes nothing).
template <class Visit>
void for_each_tap(const Conv2dShape& s, Visit visit) {
  const int ho = s.Ho(), wo = s.Wo(), k = s.kernel;
  for (int n = 0; n < s.N; ++n)
    for (int oc = 0; oc < s.K; ++oc)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          const int64_t o = ((static_cast<int64_t>(n) * s.K + oc) * ho + oy) * wo + ox;
          for (int c = 0; c < s.C; ++c)
            for (int ki = 0; ki < k; ++ki)
              for (int kj = 0; kj < k; ++kj) {
                const int iy = oy * s.stride - s.padding + ki;
                const int ix = ox * s.stride - s.padding + kj;
                if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
                const int64_t i = ((static_cast<int64_t>(n) * s.C + c) * s.H + iy) * s.W + ix;
                const int64_t w = ((static_cast<int64_t>(oc) * s.C + c) * k + ki) * k + kj;
                visit(o, i, w);
              }
        }
}

}  // namespace

void conv2d_forward_naive(float* out, const float* in, const float* weight, const float* bias,
                          const Conv2dShape& s) {
  const int64_t out_count = static_cast<int64_t>(s.N) * s.K * s.Ho() * s.Wo();
  const int64_t plane = static_cast<int64_t>(s.Ho()) * s.Wo();
  std::vector<double> acc(out_count, 0.0);
  for_each_tap(s, [&](int64_t o, int64_t i, int64_t w) {
    acc[o] += static_cast<double>(in[i]) * weight[w];
  });
  for (int64_t o = 0; o < out_count; ++o) {
    const double b = bias != nullptr ? bias[o / plane % s.K] : 0.0;
    out[o] = static_cast<float>(acc[o] + b);
  }
}

void conv2d_backward_naive(float* din, float* dweight, float* dbias, const float* dout,
                           const float* in, const float* weight, const Conv2dShape& s) {
  for_each_tap(s, [&](int64_t o, int64_t i, int64_t w) {
    if (din != nullptr) din[i] += dout[o] * weight[w];
    if (dweight != nullptr) dweight[w] += dout[o] * in[i];
  });
  if (dbias != nullptr) {
    const int64_t plane = static_cast<int64_t>(s.Ho()) * s.Wo();
    for (int64_t o = 0; o < static_cast<int64_t>(s.N) * s.K * plane; ++o)
      dbias[o / plane % s.K] += dout[o];
  }
}

}  // namespace nst
