// Outputs and gradients against PyTorch, on the fixtures that tests/make_fixtures.py wrote.
// Tolerances: float32 on both sides with different summation orders (oneDNN/MKL vs OpenBLAS),
// so agreement to about 1e-5 relative is expected; the optimiser trajectories compound that
// over 10 steps, hence their looser bounds.
#include <gtest/gtest.h>

#include "autograd/backward.h"
#include "nn/adam.h"
#include "nn/conv2d.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/lbfgs.h"
#include "nn/pooling.h"
#include "nn/reduction_ops.h"
#include "nn/total_variation.h"
#include "tests/fixture.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::Fixture;

TEST(Parity, Conv2d) {
  const Fixture f = Fixture::load("conv2d");
  for (std::string name : {"same", "stride2_nopad", "single_channel", "k5_s2_p2", "k1"}) {
    SCOPED_TRACE(name);
    const std::string p = name + "/";
    const bool has_bias = f.contains(p + "bias");
    Var x(f[p + "input"].clone(), true), w(f[p + "weight"].clone(), true);
    Var b = has_bias ? Var(f[p + "bias"].clone(), true) : Var();
    const Tensor& params = f[p + "params"];
    const nn::Conv2dOptions options{.stride = static_cast<int>(params.data()[0]),
                                    .padding = static_cast<int>(params.data()[1])};
    Var y = nn::conv2d(x, w, b, options);
    EXPECT_TRUE(all_close(y.value(), f[p + "output"], 1e-5, 1e-5));
    backward(y, f[p + "grad_output"]);
    EXPECT_TRUE(all_close(x.grad(), f[p + "grad_input"], 1e-5, 1e-5));
    EXPECT_TRUE(all_close(w.grad(), f[p + "grad_weight"], 1e-5, 1e-4));
    if (has_bias) {
      EXPECT_TRUE(all_close(b.grad(), f[p + "grad_bias"], 1e-5, 1e-4));
    }
  }
}

TEST(Parity, Pooling) {
  const Fixture f = Fixture::load("pooling");
  for (std::string name : {"max_k2s2_odd", "max_k3s2p1", "avg_k2s2_odd", "avg_k3s2p1"}) {
    SCOPED_TRACE(name);
    const std::string p = name + "/";
    const Tensor& params = f[p + "params"];
    nn::PoolOptions o{static_cast<int>(params.data()[0]), static_cast<int>(params.data()[1]),
                      static_cast<int>(params.data()[2])};
    Var x(f[p + "input"].clone(), true);
    Var y = name.starts_with("max") ? nn::max_pool2d(x, o) : nn::avg_pool2d(x, o);
    EXPECT_TRUE(all_close(y.value(), f[p + "output"], 1e-6, 1e-7));
    backward(y, f[p + "grad_output"]);
    EXPECT_TRUE(all_close(x.grad(), f[p + "grad_input"], 1e-6, 1e-6));
  }
}

TEST(Parity, Gram) {
  const Fixture f = Fixture::load("gram");
  Var x(f["input"].clone(), true);
  Var g = nn::gram(x);
  EXPECT_TRUE(all_close(g.value(), f["output"], 1e-5, 1e-6));
  backward(g, f["grad_output"]);
  EXPECT_TRUE(all_close(x.grad(), f["grad_input"], 1e-5, 1e-6));
}

TEST(Parity, TotalVariation) {
  const Fixture f = Fixture::load("total_variation");
  Var x(f["input"].clone(), true);
  Var tv = nn::total_variation(x);
  EXPECT_TRUE(all_close(tv.value(), f["output"], 1e-6, 0));
  backward(tv);
  EXPECT_TRUE(all_close(x.grad(), f["grad_input"], 1e-5, 1e-6));
}

// The problem of make_fixtures.py's Problem class, from the same ops:
// f(x) = sum((gram(relu(conv2d(x, w, b, padding=1))) - target)^2) + 0.1 * tv(x)
class OptimizerParity : public ::testing::Test {
 protected:
  OptimizerParity() : f_(Fixture::load("optimizers")) {}

  Var loss(const Var& x) const {
    Var w(f_["problem/weight"]), b(f_["problem/bias"]), target(f_["problem/target"]);
    Var features = nn::relu(nn::conv2d(x, w, b, {1, 1}));
    return nn::add(nn::squared_error_sum(nn::gram(features), target),
                   nn::scale(nn::total_variation(x), 0.1f));
  }

  Fixture f_;
};

TEST_F(OptimizerParity, AdamTenSteps) {
  Var x(f_["problem/x0"].clone(), true);
  nn::Adam adam({x}, {.lr = 0.05});
  const Tensor& losses = f_["adam/losses"];
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1));
    adam.zero_grad();
    Var l = loss(x);
    backward(l);
    EXPECT_NEAR(l.value().item(), losses.data()[i], 1e-5 * std::abs(losses.data()[i]));
    adam.step();
    EXPECT_TRUE(all_close(x.value(), f_["adam/x_after_" + std::to_string(i + 1)], 1e-5, 1e-6));
  }
}

void run_lbfgs(const Fixture& f, const std::string& name, const nn::LbfgsOptions& options,
               int steps, const std::function<Var(const Var&)>& loss) {
  Var x(f["problem/x0"].clone(), true);
  nn::Lbfgs lbfgs({x}, options);
  auto closure = [&] {
    x.zero_grad();
    Var l = loss(x);
    backward(l);
    return static_cast<double>(l.value().item());
  };
  const Tensor& losses = f[name + "/losses"];
  for (int i = 0; i < steps; ++i) {
    SCOPED_TRACE(name + " step " + std::to_string(i + 1));
    const double l = lbfgs.step(closure);
    EXPECT_NEAR(l, losses.data()[i], 1e-4 * std::abs(losses.data()[i]));
    EXPECT_TRUE(all_close(x.value(), f[name + "/x_after_" + std::to_string(i + 1)], 1e-4, 1e-5));
  }
  // The same branches were taken: fixed steps, line-search iterations, stopping tests.
  EXPECT_EQ(lbfgs.function_evaluations(), static_cast<int64_t>(f[name + "/func_evals"].item()));
}

TEST_F(OptimizerParity, LbfgsFixedStep) {
  run_lbfgs(f_, "lbfgs_fixed", {.lr = 1, .max_iter = 1, .history_size = 5}, 10,
            [this](const Var& x) { return loss(x); });
}

TEST_F(OptimizerParity, LbfgsStrongWolfe) {
  run_lbfgs(f_, "lbfgs_wolfe", {.lr = 1, .max_iter = 1, .history_size = 5, .strong_wolfe = true},
            10, [this](const Var& x) { return loss(x); });
}

TEST_F(OptimizerParity, LbfgsInnerIterations) {
  run_lbfgs(f_, "lbfgs_inner", {.max_iter = 10, .strong_wolfe = true}, 1,
            [this](const Var& x) { return loss(x); });
}

}  // namespace
}  // namespace nst
