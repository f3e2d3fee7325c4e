// Optimiser behaviour beyond the PyTorch trajectories of test_parity.cpp: convergence on
// problems with a known minimum, the line search's interpolation, and option checks.
#include <gtest/gtest.h>

#include "autograd/backward.h"
#include "nn/adam.h"
#include "nn/elementwise_ops.h"
#include "nn/lbfgs.h"
#include "nn/reduction_ops.h"
#include "nn/strong_wolfe.h"
#include "tensor/error.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;

// f(x) = sum (c * (x - target))^2: an ill-conditioned quadratic with its minimum at target.
struct Quadratic {
  Var target = Var(Tensor::from_values(Shape{4}, std::vector<float>{1, -2, 3, 0.5f}));
  Var c = Var(Tensor::from_values(Shape{4}, std::vector<float>{1, 3, 0.5f, 10}));
  Var loss(const Var& x) const {
    return nn::sum(nn::mul(nn::mul(nn::sub(x, target), nn::sub(x, target)), nn::mul(c, c)));
  }
};

TEST(Adam, ConvergesOnAQuadratic) {
  Quadratic q;
  Var x(Tensor::zeros(Shape{4}), true);
  nn::Adam adam({x}, {.lr = 0.05});
  for (int i = 0; i < 2000; ++i) {
    adam.zero_grad();
    backward(q.loss(x));
    adam.step();
  }
  EXPECT_TRUE(all_close(x.value(), q.target.value(), 0, 1e-3));
  EXPECT_EQ(adam.steps(), 2000);
}

TEST(Adam, FirstStepMovesEachParameterByTheLearningRate) {
  // With bias correction, step 1 is lr * g / (|g| + eps): every element moves by lr.
  Var x(Tensor::from_values(Shape{3}, std::vector<float>{0, 0, 0}), true);
  Var g(Tensor::from_values(Shape{3}, std::vector<float>{0.001f, -5, 300}));
  nn::Adam adam({x}, {.lr = 0.1});
  backward(nn::sum(nn::mul(x, g)));
  adam.step();
  EXPECT_TRUE(all_close(x.value().values(), std::vector<float>{-0.1f, 0.1f, -0.1f}, 1e-4, 0));
}

TEST(Adam, SkipsParametersWithoutGradientAndChecksOptions) {
  Var x(Tensor::zeros(Shape{2}), true);
  nn::Adam adam({x}, {});
  adam.step();  // no gradient yet: nothing moves
  EXPECT_TRUE(all_close(x.value().values(), std::vector<float>{0, 0}, 0, 0));
  EXPECT_THROW(nn::Adam({x}, {.lr = -1}), Error);
  EXPECT_THROW(nn::Adam({x}, {.beta1 = 1.0}), Error);
}

// A copied state stays as it was; a shared one is the optimiser's own moments (nn/state_copy.h).
TEST(Adam, StateCopiedOrShared) {
  Quadratic q;
  Var x(Tensor::zeros(Shape{4}), true);
  nn::Adam adam({x}, {.lr = 0.05});
  backward(q.loss(x));
  adam.step();
  const nn::Adam::State copied = adam.state(), shared = adam.state(nn::StateCopy::shared);
  const std::vector<float> m1(copied.m[0].values().begin(), copied.m[0].values().end());
  adam.zero_grad();
  backward(q.loss(x));
  adam.step();
  EXPECT_TRUE(all_close(copied.m[0].values(), m1, 0, 0));   // unchanged
  EXPECT_FALSE(all_close(shared.m[0].values(), m1, 0, 0));  // moved with the step
  EXPECT_TRUE(all_close(shared.m[0], adam.state().m[0], 0, 0));
}

class LbfgsConverges : public ::testing::TestWithParam<bool> {};

TEST_P(LbfgsConverges, OnAQuadratic) {
  Quadratic q;
  Var x(Tensor::zeros(Shape{4}), true);
  nn::Lbfgs lbfgs({x}, {.max_iter = 100, .strong_wolfe = GetParam()});
  auto closure = [&] {
    x.zero_grad();
    Var l = q.loss(x);
    backward(l);
    return static_cast<double>(l.value().item());
  };
  lbfgs.step(closure);
  EXPECT_TRUE(all_close(x.value(), q.target.value(), 0, 1e-3));
  EXPECT_LT(closure(), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(LineSearch, LbfgsConverges, ::testing::Bool(), [](const auto& param_info) {
  return param_info.param ? "strong_wolfe" : "fixed";
});

TEST(Lbfgs, StopsAtOnceAtAStationaryPoint) {
  Quadratic q;
  Var x(q.target.value().clone(), true);
  nn::Lbfgs lbfgs({x}, {});
  lbfgs.step([&] {
    x.zero_grad();
    Var l = q.loss(x);
    backward(l);
    return static_cast<double>(l.value().item());
  });
  EXPECT_EQ(lbfgs.function_evaluations(), 1);
  EXPECT_THROW(nn::Lbfgs({x}, {.max_iter = 0}), Error);
  EXPECT_THROW(nn::Lbfgs({}, {}), Error);
}

// The one-evaluation-at-a-time interface must visit exactly the points step() visits with the
// same budget, and stop where it stops (here: at the minimum, before the budget is spent).
TEST(Lbfgs, EvaluatedAndAdvanceRetraceStep) {
  Quadratic q;
  auto evaluate = [&](Var& x) {
    x.zero_grad();
    Var l = q.loss(x);
    backward(l);
    return static_cast<double>(l.value().item());
  };
  for (int budget : {2, 7, 200}) {  // (with 1, step() also moves after its evaluation)
    SCOPED_TRACE("budget " + std::to_string(budget));
    Var a(Tensor::zeros(Shape{4}), true), b(Tensor::zeros(Shape{4}), true);
    std::vector<double> by_step, by_evaluation;
    nn::Lbfgs whole({a}, {.max_iter = budget, .max_eval = budget, .history_size = 3});
    whole.step([&] {
      by_step.push_back(evaluate(a));
      return by_step.back();
    });
    nn::Lbfgs incremental({b}, {.max_iter = budget, .max_eval = budget, .history_size = 3});
    by_evaluation.push_back(evaluate(b));
    bool going = incremental.evaluated(by_evaluation.back());
    while (going && static_cast<int>(by_evaluation.size()) < budget && incremental.advance()) {
      by_evaluation.push_back(evaluate(b));
      going = incremental.evaluated(by_evaluation.back());
    }
    EXPECT_EQ(by_evaluation, by_step);
    EXPECT_TRUE(all_close(b.value(), a.value(), 0, 0));
    if (budget == 200) {
      EXPECT_LT(by_step.size(), 200u) << "converges before the budget";
    }
  }
}

TEST(CubicInterpolate, FindsTheMinimumOfACubic) {
  // f(t) = (t - 1)^2 (t + 2) = t^3 - 3t + 2, f' = 3t^2 - 3: local minimum at t = 1.
  auto f = [](double t) { return t * t * t - 3 * t + 2; };
  auto g = [](double t) { return 3 * t * t - 3; };
  EXPECT_NEAR(nn::cubic_interpolate(0, f(0), g(0), 2, f(2), g(2)), 1.0, 1e-12);
  EXPECT_NEAR(nn::cubic_interpolate(2, f(2), g(2), 0, f(0), g(0)), 1.0, 1e-12);
  // Clamped to the bounds given.
  EXPECT_NEAR(nn::cubic_interpolate(0, f(0), g(0), 2, f(2), g(2), std::pair{1.5, 3.0}), 1.5, 1e-12);
}

}  // namespace
}  // namespace nst
