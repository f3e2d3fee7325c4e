#include "nst/drivers.h"

#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst {

OptimizerDriver::OptimizerDriver(StyleObjective& objective, const Tensor& initial)
    : objective_(objective) {
  const ImageSize size = image_size(initial), content = objective.content_size();
  NST_CHECK(size.width == content.width && size.height == content.height, "the initial image is ",
            size.width, "x", size.height, " but the content is ", content.width, "x",
            content.height);
  image_ = Var(initial.clone(), true);
}

AdamDriver::AdamDriver(StyleObjective& objective, const Tensor& initial, double learning_rate)
    : OptimizerDriver(objective, initial), adam_({image_}, {.lr = learning_rate}) {}

std::optional<IterationLosses> AdamDriver::step() {
  IterationLosses losses = objective_.evaluate(image_);
  losses.iteration = ++iterations_;
  adam_.step();
  clamp(image_.value().values(), 0.0f, 1.0f, image_.value().values());
  return losses;
}

LbfgsDriver::LbfgsDriver(StyleObjective& objective, const Tensor& initial, int iterations)
    : OptimizerDriver(objective, initial),
      lbfgs_({image_},
             {.lr = 1.0, .max_iter = iterations, .max_eval = iterations, .history_size = 10}) {}

std::optional<IterationLosses> LbfgsDriver::step() {
  if (iterations_ > 0 && (!going_ || !lbfgs_.advance())) return std::nullopt;
  IterationLosses losses = objective_.evaluate(image_);
  losses.iteration = ++iterations_;
  going_ = lbfgs_.evaluated(losses.total);
  return losses;
}

Tensor LbfgsDriver::result() const {
  Tensor result = image().clone();
  clamp(result.values(), 0.0f, 1.0f, result.values());
  return result;
}

std::unique_ptr<OptimizerDriver> make_driver(StyleObjective& objective, const Tensor& initial,
                                             const JobSettings& settings) {
  if (settings.optimizer == OptimizerKind::lbfgs)
    return std::make_unique<LbfgsDriver>(objective, initial, settings.iterations);
  return std::make_unique<AdamDriver>(objective, initial, settings.learning_rate);
}

}  // namespace nst
