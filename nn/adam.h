// Adam with exactly the update of torch.optim.Adam (PyTorch 1.13, amsgrad = false):
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// with the bias corrections computed in double, as Python does, and the rest in float.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/variable.h"
#include "nn/state_copy.h"

namespace nst::nn {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2 penalty added to the gradient, as torch.optim.Adam does
};

class Adam {
 public:
  Adam(std::vector<Var> parameters, const AdamOptions& options);

  // One update of every parameter from its current gradient. A parameter that has no gradient
  // (backward did not reach it) is skipped, like PyTorch does.
  void step();
  void zero_grad();
  int64_t steps() const { return steps_; }
  AdamOptions& options() { return options_; }

  // Everything step() carries from one call to the next, to save a run and continue it later
  // exactly: the step count and each parameter's moments.
  struct State {
    int64_t steps = 0;
    std::vector<Tensor> m, v;  // per parameter
  };
  State state(StateCopy how = StateCopy::copied) const;  // nn/state_copy.h
  void set_state(const State& state);                    // shapes must match the parameters

 private:
  struct Moments {
    Tensor m, v;
  };
  std::vector<Var> parameters_;
  std::vector<Moments> moments_;
  AdamOptions options_;
  int64_t steps_ = 0;
};

}  // namespace nst::nn
