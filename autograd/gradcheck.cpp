#include "autograd/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

namespace nst {

std::string GradcheckResult::describe() const {
  std::ostringstream s;
  s << (passed ? "passed" : "FAILED") << ": worst error " << worst_error << " at input " << input
    << " [" << index << "]: analytic " << analytic << ", numeric " << numeric;
  return s.str();
}

GradcheckResult gradcheck(const GradcheckFn& f, std::vector<Var> inputs,
                          const GradcheckOptions& options) {
  for (Var& in : inputs) in.zero_grad();

  // Analytic: one backward pass seeded with the projection r.
  Var out = f(inputs);
  Tensor projection(out.shape());
  Random random(options.seed);
  random.fill_normal(projection.values(), 0.0f, 1.0f);
  backward(out, projection);

  auto projected = [&] {
    NoGradGuard no_grad;
    return dot(f(inputs).value().values(), projection.values());
  };

  GradcheckResult result;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    Tensor value = inputs[i].value();  // shares storage: perturbing it perturbs the input
    const Tensor& grad = inputs[i].grad();
    for (int64_t j = 0; j < value.numel(); ++j) {
      const float original = value.data()[j];
      const float plus = original + static_cast<float>(options.step);
      const float minus = original - static_cast<float>(options.step);
      value.data()[j] = plus;
      const double f_plus = projected();
      value.data()[j] = minus;
      const double f_minus = projected();
      value.data()[j] = original;

      // Divide by the step the float inputs really took.
      const double numeric = (f_plus - f_minus) / (static_cast<double>(plus) - minus);
      const double analytic = grad.defined() ? grad.data()[j] : 0.0;
      const double scale = std::max({options.floor, std::abs(analytic), std::abs(numeric)});
      const double error = std::abs(analytic - numeric) / scale;
      if (error > result.worst_error || std::isnan(error)) {
        result.worst_error = error;
        result.input = i;
        result.index = j;
        result.analytic = analytic;
        result.numeric = numeric;
      }
    }
  }
  result.passed = result.worst_error <= options.tolerance;
  return result;
}

}  // namespace nst
