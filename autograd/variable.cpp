#include "autograd/variable.h"

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace nst {

Tensor& GradSlot::grad_buffer() {
  if (!grad.defined()) grad = Tensor::zeros(shape);
  return grad;
}

Var::Var(Tensor value, bool requires_grad)
    : state_(std::make_shared<State>(State{std::move(value), std::make_shared<GradSlot>()})) {
  NST_CHECK(state_->value.defined(), "a variable needs a defined tensor");
  slot()->shape = state_->value.shape();
  slot()->requires_grad = requires_grad;
}

void Var::set_requires_grad(bool enabled) {
  NST_CHECK(is_leaf(),
            "requires_grad can only be changed on leaf variables (inputs and "
            "parameters), not on the output of an operation");
  slot()->requires_grad = enabled;
}

Var record_op(Tensor value, const char* name, std::initializer_list<Var> inputs,
              BackwardFn backward) {
  Var out(std::move(value));
  if (!grad_enabled()) return out;
  bool any = false;
  for (const Var& in : inputs) any = any || in.requires_grad();
  if (!any) return out;

  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs.reserve(inputs.size());
  for (const Var& in : inputs) node->inputs.push_back(in.slot());
  node->backward = std::move(backward);
  out.slot()->requires_grad = true;
  out.slot()->producer = std::move(node);
  return out;
}

}  // namespace nst
