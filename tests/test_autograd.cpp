#include <gtest/gtest.h>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "nn/elementwise_ops.h"
#include "nn/reduction_ops.h"
#include "tensor/error.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;

Var leaf(std::vector<float> values, bool requires_grad = true) {
  const auto n = static_cast<int64_t>(values.size());
  return Var(Tensor::from_values(Shape{n}, values), requires_grad);
}

TEST(Autograd, GradientsAccumulateWhenAVariableIsUsedTwice) {
  Var x = leaf({1, -2, 3});
  backward(nn::sum(nn::mul(x, x)));  // d/dx sum x^2 = 2x
  EXPECT_TRUE(all_close(x.grad().values(), std::vector<float>{2, -4, 6}, 0, 0));
  backward(nn::sum(nn::scale(x, 3.0f)));  // a second graph adds 3 to the same gradient
  EXPECT_TRUE(all_close(x.grad().values(), std::vector<float>{5, -1, 9}, 0, 0));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, DiamondGraphRunsEachNodeOnceInTopologicalOrder) {
  // y = a + b with a = 2x and b = x * a: dy/dx = 2 + 4x.
  Var x = leaf({1, 2});
  Var a = nn::scale(x, 2.0f);
  Var b = nn::mul(x, a);
  backward(nn::sum(nn::add(a, b)));
  EXPECT_TRUE(all_close(x.grad().values(), std::vector<float>{6, 10}, 0, 0));
}

TEST(Autograd, FrozenInputsGetNoGradient) {
  Var x = leaf({1, 2});
  Var frozen = leaf({3, 4}, false);
  backward(nn::sum(nn::mul(x, frozen)));
  EXPECT_TRUE(all_close(x.grad().values(), std::vector<float>{3, 4}, 0, 0));
  EXPECT_FALSE(frozen.grad().defined());
}

TEST(Autograd, NoGradScopeRecordsNothing) {
  Var x = leaf({1, 2});
  Var y;
  {
    NoGradGuard guard;
    EXPECT_FALSE(grad_enabled());
    y = nn::sum(nn::mul(x, x));
  }
  EXPECT_TRUE(grad_enabled());
  EXPECT_TRUE(y.is_leaf());
  EXPECT_FALSE(y.requires_grad());
  EXPECT_THROW(backward(y), Error);
}

TEST(Autograd, GraphIsReleasedAfterBackward) {
  Var x = leaf({1, 2});
  Var hidden = nn::mul(x, x);
  Var y = nn::sum(hidden);
  backward(y);
  // Closures (and the tensors they saved) and intermediate gradients are gone.
  EXPECT_FALSE(static_cast<bool>(y.slot()->producer->backward));
  EXPECT_FALSE(static_cast<bool>(hidden.slot()->producer->backward));
  EXPECT_FALSE(hidden.grad().defined());
  EXPECT_TRUE(x.grad().defined());
  try {
    backward(y);
    FAIL() << "a second backward must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("second time"), std::string::npos) << e.what();
  }
}

TEST(Autograd, SeveralRootsAreOneBackwardOfTheSumOfTheirTerms) {
  Var x = leaf({1, 2, 3});
  Var square = nn::mul(x, x);
  Var tripled = nn::scale(x, 3.0f);
  Var both = nn::add(square, tripled);  // a root computed from the other two
  std::vector<RootGradient> roots;
  // square's gradient given in its own value's storage (x^2), as an in-place loss does.
  roots.push_back({.root = square, .gradient = square.value()});
  roots.push_back({.root = tripled, .gradient = leaf({1, 1, 2}, false).value()});
  roots.push_back({.root = both, .gradient = Tensor::full(Shape{3}, 0.5f)});
  backward(std::move(roots));
  // d/dx = 2x (x^2 + 0.5) + 3 (g + 0.5), by hand: 3 + 4.5, 18 + 4.5, 57 + 7.5.
  EXPECT_EQ(x.grad().values()[0], 7.5f);
  EXPECT_EQ(x.grad().values()[1], 22.5f);
  EXPECT_EQ(x.grad().values()[2], 64.5f);
  EXPECT_FALSE(square.grad().defined());  // released once its node ran
}

TEST(Autograd, ALeafRootDoesNotAdoptTheCallersTensor) {
  Var x = leaf({1, 2});
  Tensor gradient = leaf({5, 6}, false).value();
  std::vector<RootGradient> roots;
  roots.push_back({.root = x, .gradient = gradient});
  backward(std::move(roots));
  gradient.fill(0.0f);  // the caller's tensor is still the caller's
  EXPECT_EQ(x.grad().values()[0], 5.0f);
  EXPECT_EQ(x.grad().values()[1], 6.0f);
}

TEST(Autograd, RootGradientsMustHaveTheRootsShape) {
  Var x = leaf({1, 2});
  std::vector<RootGradient> roots;
  roots.push_back({.root = nn::mul(x, x), .gradient = Tensor::full(Shape{3}, 1.0f)});
  EXPECT_NE(
      testing::error_of([&] { backward(std::move(roots)); }).find("backward gradient vs root"),
      std::string::npos);
}

TEST(Autograd, NonScalarRootsNeedASeed) {
  Var x = leaf({1, 2, 3});
  Var y = nn::scale(x, 2.0f);
  EXPECT_THROW(backward(y), Error);
  backward(y, Tensor::from_values(Shape{3}, std::vector<float>{1, 0, -1}));
  EXPECT_TRUE(all_close(x.grad().values(), std::vector<float>{2, 0, -2}, 0, 0));
  EXPECT_THROW(backward(nn::scale(x, 1.0f), Tensor::zeros(Shape{2})), Error);
}

TEST(Autograd, OnlyLeavesCanBeFrozen) {
  Var x = leaf({1});
  Var y = nn::scale(x, 2.0f);
  EXPECT_THROW(y.set_requires_grad(false), Error);
}

// An op whose backward is deliberately wrong (gradient 2 instead of 3): gradcheck must fail.
Var wrong_triple(const Var& x) {
  Tensor out = x.value().clone();
  for (float& v : out.values()) v *= 3.0f;
  return record_op(std::move(out), "wrong_triple", {x}, [](const Tensor& dout, InputGrads& grads) {
    for (int64_t i = 0; i < dout.numel(); ++i) grads[0].data()[i] += 2.0f * dout.data()[i];
  });
}

TEST(Gradcheck, DetectsAWrongBackward) {
  Var x = leaf({0.5f, -1.0f, 2.0f});
  GradcheckResult result =
      gradcheck([](const std::vector<Var>& in) { return wrong_triple(in[0]); }, {x});
  EXPECT_FALSE(result.passed) << result.describe();
  EXPECT_GT(result.worst_error, 0.3);
}

TEST(Gradcheck, PassesACorrectBackward) {
  Var x = leaf({0.5f, -1.0f, 2.0f});
  GradcheckResult result =
      gradcheck([](const std::vector<Var>& in) { return nn::scale(in[0], 3.0f); }, {x});
  EXPECT_TRUE(result.passed) << result.describe();
}

}  // namespace
}  // namespace nst
