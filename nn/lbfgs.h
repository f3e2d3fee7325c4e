// L-BFGS with the algorithm and defaults of torch.optim.LBFGS (PyTorch 1.13): two-loop
// recursion over the last `history_size` curvature pairs, initial Hessian scaling
// s.y / y.y, a first step of min(1, 1/|g|_1) * lr, and either fixed steps or a strong-Wolfe
// line search. Scalars are kept in double; vectors are float.
//
// Style transfer in the classic Torch implementation counts one iteration per function
// evaluation: use max_iter = 1 and call step() once per iteration, or set max_iter to the
// whole budget and call step() once.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "autograd/variable.h"
#include "nn/state_copy.h"

namespace nst::nn {

struct LbfgsOptions {
  double lr = 1.0;
  int max_iter = 20;             // iterations per step()
  int max_eval = 0;              // function evaluations per step(); 0 means max_iter * 5 / 4
  double tolerance_grad = 1e-7;  // stop when max |g_i| is below
  double tolerance_change = 1e-9;
  int history_size = 100;
  bool strong_wolfe = false;  // line search; false takes fixed steps of lr
};

class Lbfgs {
 public:
  // Re-evaluates the objective: zero the gradients, run forward and backward, return the loss.
  using Closure = std::function<double()>;

  Lbfgs(std::vector<Var> parameters, const LbfgsOptions& options);

  // Runs up to max_iter iterations; returns the loss of the first evaluation.
  double step(const Closure& closure);
  int64_t function_evaluations() const { return function_evaluations_; }

  // Fixed-step L-BFGS one function evaluation at a time, for a caller that owns the loop
  // (style transfer counts one iteration per evaluation and may stop, save or show the image
  // between them). After each evaluation of the objective at the current parameters, with their
  // gradients filled, call evaluated(loss): false means the algorithm has stopped (gradient,
  // step or change of loss below tolerance). To go on, advance() moves the parameters to the
  // next point to evaluate; false means there is no descent direction left (nothing moved).
  // evaluated(), then n - 1 times advance() and evaluated(), evaluates the same points as
  // step() with max_iter = max_eval = n and stops where it stops.
  bool evaluated(double loss);
  bool advance();

  // Everything carried between calls, to save a run and continue it later exactly.
  struct State {
    int64_t iterations = 0, function_evaluations = 0;
    Tensor d, prev_flat_grad, flat_grad;  // undefined until first needed
    double t = 0.0, prev_loss = 0.0, h_diag = 1.0, loss = 0.0;
    std::vector<Tensor> old_dirs, old_steps;  // y and s of the curvature pairs, oldest first
    std::vector<double> rho;
  };
  State state(StateCopy how = StateCopy::copied) const;  // nn/state_copy.h
  void set_state(const State& state);                    // sizes must match the parameters

 private:
  // Starts an iteration from the gradient and loss at the current point: the direction d_ and
  // step t_; returns the directional derivative g.d.
  double begin_iteration(const Tensor& flat_grad, double loss);
  bool stalled(double loss) const;  // the step or the change of loss fell below tolerance
  Tensor gather_flat_grad() const;
  void add_to_parameters(double t, const Tensor& direction);
  void set_parameters(const Tensor& flat);
  Tensor flat_parameters() const;
  Tensor direction(const Tensor& flat_grad);  // the two-loop recursion

  std::vector<Var> parameters_;
  LbfgsOptions options_;
  int64_t numel_ = 0;

  // State carried between step() calls, as torch keeps it in optimizer.state.
  int64_t iterations_ = 0;
  int64_t function_evaluations_ = 0;
  Tensor d_, prev_flat_grad_;
  double t_ = 0.0, prev_loss_ = 0.0, h_diag_ = 1.0;
  std::deque<Tensor> old_dirs_, old_steps_;  // y and s of the curvature pairs, oldest first
  std::deque<double> rho_;                   // 1 / (y.s)
  Tensor flat_grad_;                         // evaluated(): the gradient at the current point
  double loss_ = 0.0;                        // and its loss
};

}  // namespace nst::nn
