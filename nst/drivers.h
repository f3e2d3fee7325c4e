// Optimiser drivers: they move an image downhill on a StyleObjective one iteration at a time,
// so that whoever runs them (a job, a schedule of scales, a resumed run) can observe, stop or
// save between iterations.
//
//   adam:  torch.optim.Adam (lr, betas = (0.9, adam_beta2)) on the [0, 1] image, which is
//          clamped to [0, 1] after every step;
//          an iteration is one evaluation of E and one update.
//   lbfgs: torch.optim.LBFGS (history 10, fixed step, lr 1); as in the classic Torch
//          implementation, an iteration is one evaluation of E: iteration 1 evaluates the
//          starting image, each later one moves along the L-BFGS direction and evaluates there.
//          The image is clamped to [0, 1] only in result().
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "nn/adam.h"
#include "nn/lbfgs.h"
#include "nst/objective.h"

namespace nst {

// Where a run stands between two iterations: enough to continue it later exactly.
struct RunState {
  int iteration = 0;           // iterations done at the current scale
  int scale = 0;               // the current scale (0-based, nst/scales.h)
  int earlier_iterations = 0;  // iterations done at the scales before it
  Tensor image;                // the optimiser's image (for L-BFGS not yet clamped)
  OptimizerKind optimizer = OptimizerKind::adam;
  nn::Adam::State adam;     // optimizer adam
  nn::Lbfgs::State lbfgs;   // optimizer lbfgs
  bool lbfgs_going = true;  // L-BFGS has not converged
  // The total loss of each iteration at the current scale: the convergence rule's memory
  // (nst/convergence.h). A resume file holds them as its loss rows.
  std::vector<double> scale_totals;
};

class OptimizerDriver {
 public:
  virtual ~OptimizerDriver() = default;

  // The state to continue from: copied, or shared with the driver until its next step()
  // (nn/state_copy.h: a checkpoint written at once).
  RunState save(nn::StateCopy how = nn::StateCopy::copied) const;
  // Continues from a saved state of the same optimiser on an image of the same size.
  void restore(const RunState& state);

  // One iteration: the losses of the image it evaluated (before its update), or nothing when
  // the optimiser has converged and stops early (L-BFGS can).
  virtual std::optional<IterationLosses> step() = 0;
  // The image as it stands now, as a view: the updated one for Adam, the one last evaluated for
  // L-BFGS. Valid until the next step().
  const Tensor& image() const { return image_.value(); }
  // The run's answer: the current image, in [0, 1].
  virtual Tensor result() const = 0;
  int iterations() const { return iterations_; }  // steps that returned losses

 protected:
  OptimizerDriver(StyleObjective& objective, const Tensor& initial, OptimizerKind kind);
  virtual void save_optimizer(RunState& state, nn::StateCopy how) const = 0;
  virtual void restore_optimizer(const RunState& state) = 0;
  StyleObjective& objective_;
  OptimizerKind kind_;
  Var image_;
  int iterations_ = 0;
};

class AdamDriver final : public OptimizerDriver {
 public:
  AdamDriver(StyleObjective& objective, const Tensor& initial, const nn::AdamOptions& options);
  std::optional<IterationLosses> step() override;
  Tensor result() const override { return image().clone(); }

 private:
  void save_optimizer(RunState& state, nn::StateCopy how) const override {
    state.adam = adam_.state(how);
  }
  void restore_optimizer(const RunState& state) override { adam_.set_state(state.adam); }
  nn::Adam adam_;
};

class LbfgsDriver final : public OptimizerDriver {
 public:
  // `iterations` is the whole run's budget of evaluations, as torch's max_iter and max_eval.
  LbfgsDriver(StyleObjective& objective, const Tensor& initial, int iterations);
  std::optional<IterationLosses> step() override;
  Tensor result() const override;

 private:
  void save_optimizer(RunState& state, nn::StateCopy how) const override;
  void restore_optimizer(const RunState& state) override;
  nn::Lbfgs lbfgs_;
  bool going_ = true;  // false once L-BFGS has converged
};

// Adam's options from the job settings (step and beta2; beta1 and eps are torch's defaults).
nn::AdamOptions adam_options(const JobSettings& settings);

// The driver the settings ask for, starting from `initial` (the content's size), for a run of
// `iterations` (L-BFGS's budget of evaluations).
std::unique_ptr<OptimizerDriver> make_driver(StyleObjective& objective, const Tensor& initial,
                                             const JobSettings& settings, int iterations);

}  // namespace nst
