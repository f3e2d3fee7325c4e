// Example: add an op to the framework, with its backward, and prove the backward right by
// finite differences (autograd/gradcheck.h).
//
// The op is softplus, y = log(1 + e^x), a smooth ReLU. Its derivative is the logistic
// function: dy/dx = e^x / (1 + e^x) = 1 / (1 + e^-x). An op in this framework is two things
// side by side (as every op in nn/ is written):
//   - the forward: compute the output Tensor from the inputs' values;
//   - the backward closure, registered with record_op(): given dL/dy (grad_out), ADD
//     dL/dx = dL/dy * dy/dx into the input's gradient. It captures what it needs (here x).
// gradcheck() then compares that backward with (f(x + h) - f(x - h)) / 2h for every element.
//
// The program checks the right backward (it must pass) and a wrong one that forgets the chain
// rule's grad_out factor (it must fail), and exits non-zero unless both come out as they
// should. Run: build/bin/example_gradcheck_your_op
#include <cmath>
#include <cstdio>

#include "autograd/gradcheck.h"
#include "autograd/variable.h"
#include "tensor/random.h"

namespace {

using nst::InputGrads;
using nst::Tensor;
using nst::Var;

// y = log(1 + e^x), written to stay finite for large |x|: max(x, 0) + log1p(e^-|x|).
Tensor softplus_values(const Tensor& x) {
  Tensor y(x.shape());
  const float* in = x.data();
  float* out = y.data();
  for (int64_t i = 0; i < x.numel(); ++i)
    out[i] = std::max(in[i], 0.0f) + std::log1p(std::exp(-std::fabs(in[i])));
  return y;
}

float logistic(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// The op with its correct backward: dL/dx += dL/dy * logistic(x).
Var softplus(const Var& x) {
  const Tensor saved = x.value();  // the backward needs x
  return nst::record_op(softplus_values(x.value()), "softplus", {x},
                        [saved](const Tensor& grad_out, InputGrads& grads) {
                          const float* in = saved.data();
                          const float* g = grad_out.data();
                          float* dx = grads[0].data();
                          for (int64_t i = 0; i < saved.numel(); ++i)
                            dx[i] += g[i] * logistic(in[i]);
                        });
}

// The same op with a classic mistake: the local derivative without the chain rule's grad_out.
Var softplus_wrong(const Var& x) {
  const Tensor saved = x.value();
  return nst::record_op(softplus_values(x.value()), "softplus_wrong", {x},
                        [saved](const Tensor&, InputGrads& grads) {
                          const float* in = saved.data();
                          float* dx = grads[0].data();
                          for (int64_t i = 0; i < saved.numel(); ++i) dx[i] += logistic(in[i]);
                        });
}

nst::GradcheckResult check(Var (*op)(const Var&)) {
  Tensor x(nst::Shape{2, 3, 5, 7});
  nst::Random(42).fill_uniform(x.values(), -3.0f, 3.0f);
  // In float32, a step of 1e-2 keeps the rounding error of the differences small and the
  // truncation error (h^2 f''' / 6) below the tolerance.
  return nst::gradcheck([op](const std::vector<Var>& in) { return op(in[0]); },
                        {Var(x, /*requires_grad=*/true)},
                        {.step = 1e-2, .tolerance = 1e-3, .floor = 1.0, .seed = 7});
}

}  // namespace

int main() {
  const nst::GradcheckResult right = check(softplus);
  std::printf("softplus, right backward: %s (%s)\n", right.passed ? "PASSED" : "FAILED",
              right.describe().c_str());
  const nst::GradcheckResult wrong = check(softplus_wrong);
  std::printf("softplus, backward without grad_out: %s (%s)\n", wrong.passed ? "PASSED" : "FAILED",
              wrong.describe().c_str());
  if (!right.passed) std::puts("error: the right backward should pass");
  if (wrong.passed) std::puts("error: gradcheck should catch the wrong backward");
  return right.passed && !wrong.passed ? 0 : 1;
}
