// The opt-in op timing: which ops an iteration runs, how often, and that each op's time is its
// own (timers nested inside it are taken out).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "autograd/backward.h"
#include "autograd/op_timing.h"
#include "nn/conv2d.h"
#include "nn/gram.h"
#include "nn/reduction_ops.h"
#include "tensor/random.h"

namespace nst {
namespace {

Var random_var(const Shape& shape, bool requires_grad, uint64_t seed) {
  Tensor t(shape);
  Random(seed).fill_uniform(t.values(), -1.0f, 1.0f);
  return Var(t, requires_grad);
}

OpTime time_of(const OpTimes& times, const char* op, OpPhase phase) {
  auto it = times.find(OpKey{op, phase});
  return it == times.end() ? OpTime{} : it->second;
}

// conv2d + ReLU, Gram, sum, and back: every op is counted once forward and once backward.
TEST(OpTiming, CountsEachOpForwardAndBackward) {
  Var image = random_var(Shape{1, 3, 12, 12}, true, 1);
  Var weight = random_var(Shape{4, 3, 3, 3}, false, 2);
  OpTimingScope scope;
  Var loss = nn::sum(nn::gram(nn::conv2d(image, weight, Var(), {.padding = 1, .relu = true})));
  backward(loss);
  for (const char* op : {"conv2d_relu", "gram", "sum"}) {
    for (OpPhase phase : {OpPhase::forward, OpPhase::backward}) {
      const OpTime t = time_of(scope.times(), op, phase);
      EXPECT_EQ(t.calls, 1) << op << " " << op_phase_name(phase);
      EXPECT_GE(t.seconds, 0.0) << op << " " << op_phase_name(phase);
    }
  }
  EXPECT_EQ(scope.times().size(), 6u);
}

TEST(OpTiming, NothingIsCollectedWithoutAnOpenScope) {
  Var x = random_var(Shape{1, 2, 4, 4}, true, 1);
  nn::sum(x);  // no scope: nothing to collect into, nothing to break
  OpTimingScope scope;
  EXPECT_TRUE(scope.times().empty());
}

// An op that runs others (L-BFGS's step runs the evaluations) gets its own time only.
TEST(OpTiming, ATimerNestedInAnotherIsTakenOutOfIt) {
  OpTimingScope scope;
  {
    const OpTimer outer("outer", OpPhase::update);
    const OpTimer inner("inner", OpPhase::forward);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  const OpTime outer = time_of(scope.times(), "outer", OpPhase::update);
  const OpTime inner = time_of(scope.times(), "inner", OpPhase::forward);
  EXPECT_GE(inner.seconds, 0.030);
  EXPECT_LT(outer.seconds, inner.seconds / 2) << "the inner sleep was counted in the outer op";
  EXPECT_EQ(outer.calls, 1);
}

TEST(OpTiming, TheInnermostScopeCollectsAndOtherThreadsAreNotCounted) {
  OpTimingScope outer_scope;
  {
    OpTimingScope inner_scope;
    nn::sum(random_var(Shape{8}, false, 1));
    std::thread([] { nn::sum(random_var(Shape{8}, false, 2)); }).join();
    EXPECT_EQ(time_of(inner_scope.times(), "sum", OpPhase::forward).calls, 1);
  }
  EXPECT_TRUE(outer_scope.times().empty());
  nn::sum(random_var(Shape{8}, false, 3));
  EXPECT_EQ(time_of(outer_scope.times(), "sum", OpPhase::forward).calls, 1);
}

}  // namespace
}  // namespace nst
