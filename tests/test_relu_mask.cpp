// The ReLU bit masks (tensor/relu_mask.h) against the definition, element by element: any
// length, any starting bit (the Winograd and im2col bands start mid-byte), NaN and -0.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tensor/relu_mask.h"
#include "tests/test_util.h"

namespace nst {
namespace {

TEST(ReluMask, PacksOneBitPerPositiveElement) {
  for (int64_t n : {1, 7, 8, 9, 64, 1000, 40001}) {
    Tensor y = testing::random_tensor(Shape{n}, 7);
    if (n > 3) y.data()[1] = NAN, y.data()[2] = -0.0f, y.data()[3] = 0.0f;
    std::vector<uint8_t> bits(relu_mask_bytes(n), 0xAB);  // garbage that must be overwritten
    relu_mask_pack(y.data(), n, bits.data());
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(relu_mask_bit(bits.data(), i), y.data()[i] > 0.0f) << i;
    for (int64_t i = n; i < relu_mask_bytes(n) * 8; ++i)
      ASSERT_FALSE(relu_mask_bit(bits.data(), i)) << "spare bit " << i;
  }
}

TEST(ReluMask, AppliesFromAnyBitForAnyLength) {
  const int64_t total = 200;
  Tensor y = testing::random_tensor(Shape{total}, 3), dy = testing::random_tensor(Shape{total}, 4);
  std::vector<uint8_t> bits(relu_mask_bytes(total));
  relu_mask_pack(y.data(), total, bits.data());
  for (int64_t first : {0, 1, 5, 8, 13}) {
    for (int64_t n : {0, 1, 3, 8, 11, 16, 27, 150}) {
      std::vector<float> out(n + 1, 42.0f);  // the element after the range must stay
      relu_mask_apply(bits.data(), first, dy.data() + first, out.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(out[i], y.data()[first + i] > 0.0f ? dy.data()[first + i] : 0.0f)
            << "first " << first << ", n " << n << ", i " << i;
      }
      ASSERT_EQ(out[n], 42.0f);
    }
  }
}

}  // namespace
}  // namespace nst
