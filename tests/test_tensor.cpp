#include <gtest/gtest.h>

#include <cstdint>

#include "tensor/error.h"
#include "tensor/tensor.h"

namespace nst {
namespace {

TEST(Shape, CountsElementsAndPrints) {
  Shape s{2, 3, 4, 5};
  EXPECT_EQ(s.rank(), 4);
  EXPECT_EQ(s.numel(), 120);
  EXPECT_EQ(s.to_string(), "[2, 3, 4, 5]");
  EXPECT_EQ(Shape{}.numel(), 1);  // a scalar
  EXPECT_EQ(Shape{}.to_string(), "[]");
  EXPECT_EQ((Shape{3, 0}.numel()), 0);
}

TEST(Shape, RejectsBadDimensions) {
  EXPECT_THROW((Shape{1, 2, 3, 4, 5}), Error);
  EXPECT_THROW((Shape{2, -1}), Error);
  try {
    (void)Shape{2, 3}[2];
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
  }
}

TEST(Tensor, StorageIsAlignedTo64Bytes) {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t(Shape{n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u) << n;
  }
}

TEST(Tensor, CopiesShareStorageAndCloneDoesNot) {
  Tensor a = Tensor::full(Shape{2, 2}, 1.0f);
  Tensor shared = a;
  Tensor copy = a.clone();
  a.data()[0] = 5.0f;
  EXPECT_EQ(shared.data()[0], 5.0f);
  EXPECT_EQ(copy.data()[0], 1.0f);
  EXPECT_TRUE(shared.same_storage(a));
  EXPECT_FALSE(copy.same_storage(a));
}

TEST(Tensor, ReshapeKeepsValuesAndChecksCount) {
  Tensor a = Tensor::from_values(Shape{2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor b = a.reshaped(Shape{3, 2});
  EXPECT_TRUE(b.same_storage(a));
  EXPECT_EQ(b.data()[5], 6.0f);
  try {
    a.reshaped(Shape{4});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[4]"), std::string::npos) << e.what();
  }
}

TEST(Tensor, ErrorsNameTheShapes) {
  EXPECT_THROW(Tensor::from_values(Shape{2}, std::vector<float>{1, 2, 3}), Error);
  EXPECT_THROW(Tensor().data(), Error);
  EXPECT_THROW((Tensor::zeros(Shape{2}).item()), Error);
  EXPECT_EQ(Tensor::scalar(2.5f).item(), 2.5f);
  try {
    check_same_shape(Tensor::zeros(Shape{1, 2}), Tensor::zeros(Shape{2, 1}), "add");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "add: shapes differ, [1, 2] vs [2, 1]");
  }
}

}  // namespace
}  // namespace nst
