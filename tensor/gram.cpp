#include "tensor/gram.h"

#include <vector>

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

}  // namespace nst
