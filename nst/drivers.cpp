#include "nst/drivers.h"

#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst {

OptimizerDriver::OptimizerDriver(StyleObjective& objective, const Tensor& initial,
                                 OptimizerKind kind)
    : objective_(objective), kind_(kind) {
  const ImageSize size = image_size(initial), content = objective.content_size();
  NST_CHECK(size.width == content.width && size.height == content.height, "the initial image is ",
            size.width, "x", size.height, " but the content is ", content.width, "x",
            content.height);
  image_ = Var(initial.clone(), true);
}

RunState OptimizerDriver::save(nn::StateCopy how) const {
  RunState state;
  state.iteration = iterations_;
  state.image = nn::state_tensor(image(), how);
  state.optimizer = kind_;
  save_optimizer(state, how);
  return state;
}

void OptimizerDriver::restore(const RunState& state) {
  NST_CHECK(state.optimizer == kind_, "the saved run used ", optimizer_name(state.optimizer),
            ", this one ", optimizer_name(kind_));
  check_same_shape(state.image, image(), "the saved run's image");
  NST_CHECK(state.iteration >= 0, "a saved run at iteration ", state.iteration);
  image_.value().copy_from(state.image);
  iterations_ = state.iteration;
  restore_optimizer(state);
}

nn::AdamOptions adam_options(const JobSettings& settings) {
  return {.lr = settings.learning_rate, .beta2 = settings.adam_beta2};
}

AdamDriver::AdamDriver(StyleObjective& objective, const Tensor& initial,
                       const nn::AdamOptions& options)
    : OptimizerDriver(objective, initial, OptimizerKind::adam), adam_({image_}, options) {}

std::optional<IterationLosses> AdamDriver::step() {
  IterationLosses losses = objective_.evaluate(image_);
  losses.iteration = ++iterations_;
  adam_.step();
  clamp(image_.value().values(), 0.0f, 1.0f, image_.value().values());
  return losses;
}

LbfgsDriver::LbfgsDriver(StyleObjective& objective, const Tensor& initial, int iterations)
    : OptimizerDriver(objective, initial, OptimizerKind::lbfgs),
      lbfgs_({image_},
             {.lr = 1.0, .max_iter = iterations, .max_eval = iterations, .history_size = 10}) {}

std::optional<IterationLosses> LbfgsDriver::step() {
  if (iterations_ > 0 && (!going_ || !lbfgs_.advance())) return std::nullopt;
  IterationLosses losses = objective_.evaluate(image_);
  losses.iteration = ++iterations_;
  going_ = lbfgs_.evaluated(losses.total);
  return losses;
}

void LbfgsDriver::save_optimizer(RunState& state, nn::StateCopy how) const {
  state.lbfgs = lbfgs_.state(how);
  state.lbfgs_going = going_;
}

void LbfgsDriver::restore_optimizer(const RunState& state) {
  lbfgs_.set_state(state.lbfgs);
  going_ = state.lbfgs_going;
}

Tensor LbfgsDriver::result() const {
  Tensor result = image().clone();
  clamp(result.values(), 0.0f, 1.0f, result.values());
  return result;
}

std::unique_ptr<OptimizerDriver> make_driver(StyleObjective& objective, const Tensor& initial,
                                             const JobSettings& settings, int iterations) {
  if (settings.optimizer == OptimizerKind::lbfgs)
    return std::make_unique<LbfgsDriver>(objective, initial, iterations);
  return std::make_unique<AdamDriver>(objective, initial, adam_options(settings));
}

}  // namespace nst
