#include "nn/lbfgs.h"

#include <algorithm>
#include <cmath>

#include "autograd/op_timing.h"
#include "nn/strong_wolfe.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst::nn {
namespace {

double max_abs(const Tensor& x) {
  double m = 0.0;
  for (float v : x.values()) m = std::max(m, static_cast<double>(std::abs(v)));
  return m;
}

double sum_abs(const Tensor& x) {
  double s = 0.0;
  for (float v : x.values()) s += std::abs(v);
  return s;
}

}  // namespace

Lbfgs::Lbfgs(std::vector<Var> parameters, const LbfgsOptions& options)
    : parameters_(std::move(parameters)), options_(options) {
  NST_CHECK(!parameters_.empty(), "L-BFGS needs at least one parameter");
  NST_CHECK(options.max_iter >= 1, "L-BFGS: max_iter must be at least 1, got ", options.max_iter);
  NST_CHECK(options.history_size >= 1, "L-BFGS: history_size must be at least 1, got ",
            options.history_size);
  NST_CHECK(options.lr > 0.0, "L-BFGS: learning rate must be positive, got ", options.lr);
  if (options_.max_eval <= 0) options_.max_eval = options_.max_iter * 5 / 4;
  for (const Var& p : parameters_) {
    NST_CHECK(p.is_leaf(), "L-BFGS: parameters must be leaf variables");
    numel_ += p.value().numel();
  }
}

Tensor Lbfgs::gather_flat_grad() const {
  Tensor flat = Tensor::zeros(Shape{numel_});
  int64_t offset = 0;
  for (const Var& p : parameters_) {
    if (p.grad().defined()) std::copy_n(p.grad().data(), p.grad().numel(), flat.data() + offset);
    offset += p.value().numel();
  }
  return flat;
}

Tensor Lbfgs::flat_parameters() const {
  Tensor flat(Shape{numel_});
  int64_t offset = 0;
  for (const Var& p : parameters_) {
    std::copy_n(p.value().data(), p.value().numel(), flat.data() + offset);
    offset += p.value().numel();
  }
  return flat;
}

void Lbfgs::set_parameters(const Tensor& flat) {
  int64_t offset = 0;
  for (Var& p : parameters_) {
    std::copy_n(flat.data() + offset, p.value().numel(), p.value().data());
    offset += p.value().numel();
  }
}

void Lbfgs::add_to_parameters(double t, const Tensor& direction) {
  int64_t offset = 0;
  for (Var& p : parameters_) {
    const auto n = static_cast<std::size_t>(p.value().numel());
    axpy(static_cast<float>(t), {direction.data() + offset, n}, p.value().values());
    offset += static_cast<int64_t>(n);
  }
}

Tensor Lbfgs::direction(const Tensor& flat_grad) {
  // Update the curvature history with the last step s = t d and gradient change y.
  Tensor y(flat_grad.shape()), s(flat_grad.shape());
  sub(flat_grad.values(), prev_flat_grad_.values(), y.values());
  scale(d_.values(), static_cast<float>(t_), s.values());
  const double ys = dot(y.values(), s.values());
  if (ys > 1e-10) {  // skip pairs that would make the Hessian estimate indefinite
    if (static_cast<int>(old_dirs_.size()) == options_.history_size) {
      old_dirs_.pop_front();
      old_steps_.pop_front();
      rho_.pop_front();
    }
    old_dirs_.push_back(y);
    old_steps_.push_back(s);
    rho_.push_back(1.0 / ys);
    h_diag_ = ys / dot(y.values(), y.values());
  }

  // Two-loop recursion: q = -g, then r = H q with H the L-BFGS inverse Hessian estimate.
  const std::size_t count = old_dirs_.size();
  std::vector<double> alpha(count);
  Tensor q(flat_grad.shape());
  scale(flat_grad.values(), -1.0f, q.values());
  for (std::size_t i = count; i-- > 0;) {
    alpha[i] = dot(old_steps_[i].values(), q.values()) * rho_[i];
    axpy(static_cast<float>(-alpha[i]), old_dirs_[i].values(), q.values());
  }
  scale(q.values(), static_cast<float>(h_diag_), q.values());
  for (std::size_t i = 0; i < count; ++i) {
    const double beta = dot(old_dirs_[i].values(), q.values()) * rho_[i];
    axpy(static_cast<float>(alpha[i] - beta), old_steps_[i].values(), q.values());
  }
  return q;
}

double Lbfgs::begin_iteration(const Tensor& flat_grad, double loss) {
  ++iterations_;
  if (iterations_ == 1) {
    d_ = Tensor(flat_grad.shape());
    scale(flat_grad.values(), -1.0f, d_.values());
    h_diag_ = 1.0;
  } else {
    d_ = direction(flat_grad);
  }
  prev_flat_grad_ = flat_grad.clone();
  prev_loss_ = loss;
  // The first step ever is scaled down, as the gradient's size is unknown until then.
  t_ = iterations_ == 1 ? std::min(1.0, 1.0 / sum_abs(flat_grad)) * options_.lr : options_.lr;
  return dot(flat_grad.values(), d_.values());
}

bool Lbfgs::stalled(double loss) const {
  return max_abs(d_) * std::abs(t_) <= options_.tolerance_change ||  // no progress
         std::abs(loss - prev_loss_) < options_.tolerance_change;
}

double Lbfgs::step(const Closure& closure) {
  // Its own work only: the timers of the ops the closure runs are taken out.
  const OpTimer timer("lbfgs", OpPhase::update);
  const double orig_loss = closure();
  double loss = orig_loss;
  int current_evals = 1;
  ++function_evaluations_;
  Tensor flat_grad = gather_flat_grad();
  if (max_abs(flat_grad) <= options_.tolerance_grad) return orig_loss;

  for (int n_iter = 1; n_iter <= options_.max_iter; ++n_iter) {
    const double gtd = begin_iteration(flat_grad, loss);
    if (gtd > -options_.tolerance_change) break;  // not a descent direction

    int ls_evals = 0;
    bool optimal = false;
    if (options_.strong_wolfe) {
      const Tensor x_init = flat_parameters();
      auto evaluate = [&](double t) {
        add_to_parameters(t, d_);
        const double f = closure();
        Tensor g = gather_flat_grad();
        set_parameters(x_init);
        return std::pair{f, g};
      };
      const LineSearchResult ls = strong_wolfe(
          evaluate, {.t = t_, .direction = d_, .loss = loss, .flat_grad = flat_grad, .gtd = gtd});
      loss = ls.loss;
      flat_grad = ls.flat_grad;
      t_ = ls.t;
      ls_evals = ls.evaluations;
      add_to_parameters(t_, d_);
      optimal = max_abs(flat_grad) <= options_.tolerance_grad;
    } else {
      add_to_parameters(t_, d_);
      // The last iteration's re-evaluation is left to the next step().
      if (n_iter != options_.max_iter) {
        loss = closure();
        flat_grad = gather_flat_grad();
        optimal = max_abs(flat_grad) <= options_.tolerance_grad;
        ls_evals = 1;
      }
    }
    current_evals += ls_evals;
    function_evaluations_ += ls_evals;

    if (n_iter == options_.max_iter || current_evals >= options_.max_eval || optimal) break;
    if (stalled(loss)) break;
  }
  return orig_loss;
}

Lbfgs::State Lbfgs::state(StateCopy how) const {
  auto copy = [how](const Tensor& t) { return state_tensor(t, how); };
  State s{.iterations = iterations_,
          .function_evaluations = function_evaluations_,
          .d = copy(d_),
          .prev_flat_grad = copy(prev_flat_grad_),
          .flat_grad = copy(flat_grad_),
          .t = t_,
          .prev_loss = prev_loss_,
          .h_diag = h_diag_,
          .loss = loss_,
          .old_dirs = {},
          .old_steps = {},
          .rho = {rho_.begin(), rho_.end()}};
  for (const Tensor& y : old_dirs_) s.old_dirs.push_back(copy(y));
  for (const Tensor& step : old_steps_) s.old_steps.push_back(copy(step));
  return s;
}

void Lbfgs::set_state(const State& s) {
  const std::size_t pairs = s.old_dirs.size();
  NST_CHECK(s.iterations >= 0 && s.function_evaluations >= 0 && s.old_steps.size() == pairs &&
                s.rho.size() == pairs && static_cast<int>(pairs) <= options_.history_size,
            "L-BFGS: an inconsistent saved state (", pairs, " curvature pairs)");
  for (const Tensor* t : {&s.d, &s.prev_flat_grad, &s.flat_grad}) {
    NST_CHECK(!t->defined() || t->shape() == Shape{numel_}, "L-BFGS: a saved vector of shape ",
              t->shape(), " for ", numel_, " parameters");
  }
  for (std::size_t i = 0; i < pairs; ++i) {
    NST_CHECK(s.old_dirs[i].shape() == Shape{numel_} && s.old_steps[i].shape() == Shape{numel_},
              "L-BFGS: a saved curvature pair does not fit ", numel_, " parameters");
  }
  auto copy = [](const Tensor& t) { return t.defined() ? t.clone() : Tensor(); };
  iterations_ = s.iterations;
  function_evaluations_ = s.function_evaluations;
  d_ = copy(s.d);
  prev_flat_grad_ = copy(s.prev_flat_grad);
  flat_grad_ = copy(s.flat_grad);
  t_ = s.t;
  prev_loss_ = s.prev_loss;
  h_diag_ = s.h_diag;
  loss_ = s.loss;
  old_dirs_.clear();
  old_steps_.clear();
  for (std::size_t i = 0; i < pairs; ++i) {
    old_dirs_.push_back(s.old_dirs[i].clone());
    old_steps_.push_back(s.old_steps[i].clone());
  }
  rho_.assign(s.rho.begin(), s.rho.end());
}

bool Lbfgs::evaluated(double loss) {
  NST_CHECK(!options_.strong_wolfe, "L-BFGS: evaluated()/advance() take fixed steps only");
  ++function_evaluations_;
  const bool first = !flat_grad_.defined();
  flat_grad_ = gather_flat_grad();
  loss_ = loss;
  if (max_abs(flat_grad_) <= options_.tolerance_grad) return false;  // optimal
  return first || !stalled(loss);
}

bool Lbfgs::advance() {
  NST_CHECK(flat_grad_.defined(), "L-BFGS: advance() before the first evaluated()");
  const double gtd = begin_iteration(flat_grad_, loss_);
  if (gtd > -options_.tolerance_change) return false;  // not a descent direction
  add_to_parameters(t_, d_);
  return true;
}

}  // namespace nst::nn
