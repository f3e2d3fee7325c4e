#include "tensor/winograd_staging.h"

#include <algorithm>

#include "tensor/relu_mask.h"

namespace nst {

void stage_rows(const float* plane, int H, int W, int y0, int x0, int count, int width, float* rows,
                const uint8_t* mask, int64_t mask_first) {
  const int begin = std::clamp(-x0, 0, width), end = std::clamp(W - x0, begin, width);
  for (int i = 0; i < count; ++i) {
    float* row = rows + static_cast<int64_t>(i) * width;
    const int y = y0 + i;
    if (y < 0 || y >= H) {
      std::fill_n(row, width, 0.0f);
      continue;
    }
    std::fill(row, row + begin, 0.0f);
    const int64_t first = static_cast<int64_t>(y) * W + x0 + begin;
    if (mask != nullptr) {
      relu_mask_apply(mask, mask_first + first, plane + first, row + begin, end - begin);
    } else {
      std::copy(plane + first, plane + first + (end - begin), row + begin);
    }
    std::fill(row + end, row + width, 0.0f);
  }
}

void add_staged_rows(const float* rows, int count, int width, float* plane, int H, int W, int y0,
                     int x0) {
  const int begin = std::clamp(-x0, 0, width), end = std::clamp(W - x0, begin, width);
  for (int i = 0; i < count; ++i) {
    const int y = y0 + i;
    if (y < 0 || y >= H) continue;
    const float* row = rows + static_cast<int64_t>(i) * width;
    float* target = plane + static_cast<int64_t>(y) * W + x0 + begin;  // staged column begin
    for (int x = begin; x < end; ++x) target[x - begin] += row[x];
  }
}

}  // namespace nst
