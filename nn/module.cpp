#include "nn/module.h"

#include "tensor/error.h"

namespace nst::nn {

std::vector<std::pair<std::string, Var>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Var>> all = parameters_;
  for (const auto& [name, child] : children_) {
    for (auto& [child_name, parameter] : child->named_parameters()) {
      all.emplace_back(name + "." + child_name, parameter);
    }
  }
  return all;
}

std::vector<Var> Module::parameters() const {
  std::vector<Var> all;
  for (auto& named : named_parameters()) all.push_back(named.second);
  return all;
}

void Module::set_requires_grad(bool enabled) {
  for (auto& named : named_parameters()) named.second.set_requires_grad(enabled);
}

void Module::register_parameter(std::string name, Var parameter) {
  parameters_.emplace_back(std::move(name), std::move(parameter));
}

void Module::register_child(std::string name, std::shared_ptr<Module> child) {
  children_.emplace_back(std::move(name), std::move(child));
}

Conv2d::Conv2d(const Conv2dParams& params) : params_(params) {
  NST_CHECK(params.in_channels > 0 && params.out_channels > 0 && params.kernel > 0,
            "Conv2d needs positive channel counts and kernel size, got in=", params.in_channels,
            " out=", params.out_channels, " kernel=", params.kernel);
  weight_ = Var(
      Tensor::zeros(Shape{params.out_channels, params.in_channels, params.kernel, params.kernel}),
      true);
  register_parameter("weight", weight_);
  if (params.bias) {
    bias_ = Var(Tensor::zeros(Shape{params.out_channels}), true);
    register_parameter("bias", bias_);
  }
}

Var Conv2d::forward(const Var& x) { return forward(x, false); }

Var Conv2d::forward(const Var& x, bool relu) {
  return conv2d(x, weight_, bias_,
                {.stride = params_.stride,
                 .padding = params_.padding,
                 .relu = relu,
                 .winograd_cache = &winograd_cache_});
}

Sequential& Sequential::append(std::shared_ptr<Module> layer) {
  NST_CHECK(layer != nullptr, "Sequential::append: null layer");
  register_child(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
  return *this;
}

Var Sequential::forward(const Var& x) { return forward_range(x, 0, layers_.size()); }

Var Sequential::forward_range(const Var& x, std::size_t begin, std::size_t end) {
  NST_CHECK(begin <= end && end <= layers_.size(), "Sequential::forward_range: [", begin, ", ", end,
            ") is outside the ", layers_.size(), " layers");
  Var y = x;
  for (std::size_t i = begin; i < end; ++i) y = layers_[i]->forward(y);
  return y;
}

}  // namespace nst::nn
