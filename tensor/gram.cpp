#include "tensor/gram.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "tensor/error.h"
#include "tensor/gemm.h"
#include "tensor/threads.h"

namespace nst {

void gram_forward(float* gram, const float* features, int C, int HW) {
  gram_forward(gram, features, C, HW, HW);
}

void gram_forward(float* gram, const float* features, int C, int HW, int64_t stride) {
  NST_CHECK(stride >= HW && stride <= std::numeric_limits<int>::max(), "gram_forward: stride ",
            stride, " for ", HW, " positions");
  gemm(Transpose::no, Transpose::yes, C, C, HW, 1.0f / static_cast<float>(HW), features,
       static_cast<int>(stride), features, static_cast<int>(stride), 0.0f, gram, C);
}

namespace {

std::vector<float> symmetric_part(const float* dgram, int C) {  // dG + dG^T, C x C: small
  std::vector<float> symmetric(static_cast<std::size_t>(C) * C);
  for (int i = 0; i < C; ++i)
    for (int j = 0; j < C; ++j) symmetric[i * C + j] = dgram[i * C + j] + dgram[j * C + i];
  return symmetric;
}

}  // namespace

void gram_backward(float* dfeatures, const float* dgram, const float* features, int C, int HW) {
  const std::vector<float> symmetric = symmetric_part(dgram, C);
  gemm(Transpose::no, Transpose::no, C, HW, C, 1.0f / static_cast<float>(HW), symmetric.data(), C,
       features, HW, 1.0f, dfeatures, HW);
}

void gram_backward_in_place(float* features, const float* dgram, const float* target,
                            float distance_scale, int C, int HW) {
  gram_backward_in_place(features, dgram, target, distance_scale, C, HW, HW);
}

void gram_backward_in_place(float* features, const float* dgram, const float* target,
                            float distance_scale, int C, int HW, int64_t stride) {
  const GramGradient plain{.dgram = dgram, .scale = 1.0f / static_cast<float>(HW)};
  gram_backward_in_place(features, std::span(&plain, dgram != nullptr ? 1 : 0), target,
                         distance_scale, C, HW, stride);
}

void weighted_gram_forward(float* gram, const float* weighted, const float* features, int C, int HW,
                           float scale, int64_t stride) {
  NST_CHECK(stride >= HW && stride <= std::numeric_limits<int>::max(),
            "weighted_gram_forward: stride ", stride, " for ", HW, " positions");
  gemm(Transpose::no, Transpose::yes, C, C, HW, scale, weighted, HW, features,
       static_cast<int>(stride), 0.0f, gram, C);
}

void gram_backward_in_place(float* features, std::span<const GramGradient> grams,
                            const float* target, float distance_scale, int C, int HW,
                            int64_t stride) {
  NST_CHECK(stride >= HW && stride <= std::numeric_limits<int>::max(),
            "gram_backward_in_place: stride ", stride, " for ", HW, " positions");
  std::vector<std::vector<float>> symmetric;
  for (const GramGradient& term : grams) symmetric.push_back(symmetric_part(term.dgram, C));
  // 256 columns: a C x 256 block (512 KiB at C = 512) stays in L2 while it is written back.
  constexpr int kColumns = 256;
  const int blocks = (HW + kColumns - 1) / kColumns;
#pragma omp parallel num_threads(num_threads())
  {
    std::vector<float> block(static_cast<std::size_t>(C) * kColumns);
    std::vector<float> share(grams.size() > 1 ? block.size() : 0);
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      const int first = b * kColumns, n = std::min(kColumns, HW - first);
      float* columns = features + first;  // row c at columns + c * stride
      if (grams.empty()) std::fill_n(block.data(), static_cast<std::size_t>(C) * n, 0.0f);
      for (std::size_t t = 0; t < grams.size(); ++t) {
        // The first term goes straight into the block: one term costs what it did unmasked.
        float* out = t == 0 ? block.data() : share.data();
        gemm(Transpose::no, Transpose::no, C, n, C, grams[t].scale, symmetric[t].data(), C, columns,
             static_cast<int>(stride), 0.0f, out, n);
        const float* mask = grams[t].mask;
        if (mask == nullptr && t == 0) continue;
        for (int c = 0; c < C; ++c) {
          float* row = block.data() + static_cast<int64_t>(c) * n;
          const float* add = out + static_cast<int64_t>(c) * n;
          for (int j = 0; j < n; ++j) {
            const float weighted = mask != nullptr ? add[j] * mask[first + j] : add[j];
            row[j] = t == 0 ? weighted : row[j] + weighted;
          }
        }
      }
      for (int c = 0; c < C; ++c) {
        float* row = columns + c * stride;
        float* out = block.data() + static_cast<int64_t>(c) * n;
        if (target != nullptr) {
          const float* t = target + first + c * stride;
          for (int j = 0; j < n; ++j) out[j] += distance_scale * (row[j] - t[j]);
        }
        std::copy_n(out, n, row);
      }
    }
  }
}

}  // namespace nst
