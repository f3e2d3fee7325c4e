#include "nn/gram.h"

#include <vector>

#include "tensor/error.h"
#include "tensor/gemm.h"

namespace nst {

void gram_forward(float* gram, const float* features, int C, int HW) {
  gemm(Transpose::no, Transpose::yes, C, C, HW, 1.0f / static_cast<float>(HW), features, HW,
       features, HW, 0.0f, gram, C);
}

void gram_backward(float* dfeatures, const float* dgram, const float* features, int C, int HW) {
  std::vector<float> symmetric(static_cast<std::size_t>(C) * C);  // dG + dG^T, C x C: small
  for (int i = 0; i < C; ++i)
    for (int j = 0; j < C; ++j) symmetric[i * C + j] = dgram[i * C + j] + dgram[j * C + i];
  gemm(Transpose::no, Transpose::no, C, HW, C, 1.0f / static_cast<float>(HW), symmetric.data(), C,
       features, HW, 1.0f, dfeatures, HW);
}

namespace nn {

Var gram(const Var& x) {
  const Shape& s = x.shape();
  NST_CHECK(s.rank() == 4, "gram: input must be [N, C, H, W], got ", s);
  const int N = static_cast<int>(s[0]), C = static_cast<int>(s[1]);
  const int HW = static_cast<int>(s[2] * s[3]);
  NST_CHECK(HW > 0, "gram: input ", s, " has no positions");
  Tensor out(Shape{N, C, C});
  for (int n = 0; n < N; ++n) {
    gram_forward(out.data() + static_cast<int64_t>(n) * C * C,
                 x.value().data() + static_cast<int64_t>(n) * C * HW, C, HW);
  }
  Tensor features = x.value();
  return record_op(std::move(out), "gram", {x},
                   [features, N, C, HW](const Tensor& dout, InputGrads& grads) {
                     for (int n = 0; n < N; ++n) {
                       gram_backward(grads[0].data() + static_cast<int64_t>(n) * C * HW,
                                     dout.data() + static_cast<int64_t>(n) * C * C,
                                     features.data() + static_cast<int64_t>(n) * C * HW, C, HW);
                     }
                   });
}

}  // namespace nn
}  // namespace nst
