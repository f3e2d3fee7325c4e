#include "nn/elementwise_ops.h"

#include "autograd/op_timing.h"
#include "tensor/elementwise.h"

namespace nst::nn {

Var add(const Var& a, const Var& b) {
  const OpTimer timer("add", OpPhase::forward);
  check_same_shape(a.value(), b.value(), "add");
  Tensor out(a.shape());
  nst::add(a.value().values(), b.value().values(), out.values());
  return record_op(std::move(out), "add", {a, b}, [](const Tensor& dout, InputGrads& grads) {
    if (grads.needed(0)) axpy(1.0f, dout.values(), grads[0].values());
    if (grads.needed(1)) axpy(1.0f, dout.values(), grads[1].values());
  });
}

Var sub(const Var& a, const Var& b) {
  const OpTimer timer("sub", OpPhase::forward);
  check_same_shape(a.value(), b.value(), "sub");
  Tensor out(a.shape());
  nst::sub(a.value().values(), b.value().values(), out.values());
  return record_op(std::move(out), "sub", {a, b}, [](const Tensor& dout, InputGrads& grads) {
    if (grads.needed(0)) axpy(1.0f, dout.values(), grads[0].values());
    if (grads.needed(1)) axpy(-1.0f, dout.values(), grads[1].values());
  });
}

Var mul(const Var& a, const Var& b) {
  const OpTimer timer("mul", OpPhase::forward);
  check_same_shape(a.value(), b.value(), "mul");
  Tensor out(a.shape());
  nst::mul(a.value().values(), b.value().values(), out.values());
  Tensor a_saved = a.value(), b_saved = b.value();
  return record_op(std::move(out), "mul", {a, b},
                   [a_saved, b_saved](const Tensor& dout, InputGrads& grads) {
                     Tensor product(dout.shape());
                     if (grads.needed(0)) {  // da += dout * b
                       nst::mul(dout.values(), b_saved.values(), product.values());
                       axpy(1.0f, product.values(), grads[0].values());
                     }
                     if (grads.needed(1)) {  // db += dout * a
                       nst::mul(dout.values(), a_saved.values(), product.values());
                       axpy(1.0f, product.values(), grads[1].values());
                     }
                   });
}

Var scale(const Var& x, float s) {
  const OpTimer timer("scale", OpPhase::forward);
  Tensor out(x.shape());
  nst::scale(x.value().values(), s, out.values());
  return record_op(std::move(out), "scale", {x}, [s](const Tensor& dout, InputGrads& grads) {
    axpy(s, dout.values(), grads[0].values());
  });
}

Var relu(const Var& x) {
  const OpTimer timer("relu", OpPhase::forward);
  Tensor out(x.shape());
  nst::relu(x.value().values(), out.values());
  Tensor y = out;  // the output decides the gradient mask: no need to keep the input
  return record_op(std::move(out), "relu", {x}, [y](const Tensor& dout, InputGrads& grads) {
    relu_backward(y.values(), dout.values(), grads[0].values());
  });
}

}  // namespace nst::nn
