#include "nn/adam.h"

#include <cmath>

#include "autograd/op_timing.h"
#include "tensor/error.h"
#include "tensor/threads.h"

namespace nst::nn {
namespace {

struct AdamScalars {  // one step's constants, rounded to float where PyTorch's kernels do
  float beta1, one_minus_beta1, beta2, one_minus_beta2, weight_decay;
  float neg_step_size, bias_correction2_sqrt, eps;
};

void adam_update(float* p, const float* g, float* m, float* v, int64_t n, const AdamScalars& c) {
#pragma omp parallel for num_threads(num_threads()) schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    const float grad = c.weight_decay != 0.0f ? g[i] + c.weight_decay * p[i] : g[i];
    m[i] = m[i] * c.beta1 + c.one_minus_beta1 * grad;
    v[i] = v[i] * c.beta2 + c.one_minus_beta2 * grad * grad;
    const float denom = std::sqrt(v[i]) / c.bias_correction2_sqrt + c.eps;
    p[i] = p[i] + c.neg_step_size * (m[i] / denom);
  }
}

}  // namespace

Adam::Adam(std::vector<Var> parameters, const AdamOptions& options)
    : parameters_(std::move(parameters)), options_(options) {
  NST_CHECK(options.lr >= 0.0, "Adam: learning rate must be non-negative, got ", options.lr);
  NST_CHECK(
      options.beta1 >= 0.0 && options.beta1 < 1.0 && options.beta2 >= 0.0 && options.beta2 < 1.0,
      "Adam: betas must be in [0, 1), got ", options.beta1, ", ", options.beta2);
  NST_CHECK(options.eps >= 0.0, "Adam: eps must be non-negative, got ", options.eps);
  for (const Var& p : parameters_) {
    NST_CHECK(p.is_leaf(), "Adam: parameters must be leaf variables");
    moments_.push_back({Tensor::zeros(p.shape()), Tensor::zeros(p.shape())});
  }
}

void Adam::step() {
  const OpTimer timer("adam", OpPhase::update);
  ++steps_;
  const double t = static_cast<double>(steps_);
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, t);
  const AdamScalars c{static_cast<float>(options_.beta1),
                      static_cast<float>(1.0 - options_.beta1),
                      static_cast<float>(options_.beta2),
                      static_cast<float>(1.0 - options_.beta2),
                      static_cast<float>(options_.weight_decay),
                      static_cast<float>(-(options_.lr / bias_correction1)),
                      static_cast<float>(std::sqrt(bias_correction2)),
                      static_cast<float>(options_.eps)};
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Var& p = parameters_[i];
    if (!p.grad().defined()) continue;
    adam_update(p.value().data(), p.grad().data(), moments_[i].m.data(), moments_[i].v.data(),
                p.value().numel(), c);
  }
}

Adam::State Adam::state(StateCopy how) const {
  State s{.steps = steps_, .m = {}, .v = {}};
  for (const Moments& moments : moments_) {
    s.m.push_back(state_tensor(moments.m, how));
    s.v.push_back(state_tensor(moments.v, how));
  }
  return s;
}

void Adam::set_state(const State& s) {
  NST_CHECK(s.steps >= 0 && s.m.size() == moments_.size() && s.v.size() == moments_.size(),
            "Adam: a saved state for ", s.m.size(), " parameters, this optimiser has ",
            moments_.size());
  for (std::size_t i = 0; i < moments_.size(); ++i) {
    check_same_shape(s.m[i], moments_[i].m, "Adam state m");
    check_same_shape(s.v[i], moments_[i].v, "Adam state v");
    moments_[i].m.copy_from(s.m[i]);
    moments_[i].v.copy_from(s.v[i]);
  }
  steps_ = s.steps;
}

void Adam::zero_grad() {
  for (Var& p : parameters_) p.zero_grad();
}

}  // namespace nst::nn
