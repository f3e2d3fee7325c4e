#include "nn/reduction_ops.h"

#include "autograd/op_timing.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst::nn {
namespace {

// dx += g for every element: the gradient of a sum, scaled.
void add_constant(Tensor& dx, float g) { affine(dx.values(), 1.0f, g, dx.values()); }

}  // namespace

Var sum(const Var& x) {
  const OpTimer timer("sum", OpPhase::forward);
  Tensor out = Tensor::scalar(static_cast<float>(nst::sum(x.value().values())));
  return record_op(std::move(out), "sum", {x}, [](const Tensor& dout, InputGrads& grads) {
    add_constant(grads[0], dout.item());
  });
}

Var mean(const Var& x) {
  const OpTimer timer("mean", OpPhase::forward);
  NST_CHECK(x.value().numel() > 0, "mean of an empty tensor");
  const double count = static_cast<double>(x.value().numel());
  Tensor out = Tensor::scalar(static_cast<float>(nst::sum(x.value().values()) / count));
  return record_op(std::move(out), "mean", {x}, [count](const Tensor& dout, InputGrads& grads) {
    add_constant(grads[0], static_cast<float>(dout.item() / count));
  });
}

Var squared_error_sum(const Var& a, const Var& b) {
  const OpTimer timer("squared_error_sum", OpPhase::forward);
  check_same_shape(a.value(), b.value(), "squared_error_sum");
  Tensor out =
      Tensor::scalar(static_cast<float>(squared_distance(a.value().values(), b.value().values())));
  Tensor a_saved = a.value(), b_saved = b.value();
  return record_op(std::move(out), "squared_error_sum", {a, b},
                   [a_saved, b_saved](const Tensor& dout, InputGrads& grads) {
                     // d/da = 2 (a - b) dout, d/db = -2 (a - b) dout: added term by term, with
                     // no temporary as large as a feature map.
                     const float g = 2.0f * dout.item();
                     for (std::size_t i = 0; i < 2; ++i) {
                       if (!grads.needed(i)) continue;
                       const float sign = i == 0 ? 1.0f : -1.0f;
                       axpy(sign * g, a_saved.values(), grads[i].values());
                       axpy(-sign * g, b_saved.values(), grads[i].values());
                     }
                   });
}

}  // namespace nst::nn
