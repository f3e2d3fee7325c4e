// Reverse-mode automatic differentiation: the variable and the graph node.
//
// A Var pairs a value (a Tensor) with a GradSlot, the part of the variable that backward()
// writes to. An operation on Vars computes its value with plain kernels and, when some input
// needs a gradient, records a Node: the slots of its inputs and a backward closure, registered
// by the op right next to its forward code (see nn/). The closure captures exactly the tensors
// its backward needs; nothing else is kept alive by the graph.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "tensor/tensor.h"

namespace nst {

struct Node;

// What backward() writes to: the gradient of a variable and the node that produced it.
struct GradSlot {
  Shape shape;
  bool requires_grad = false;
  Tensor grad;                     // undefined until a gradient has been added
  std::shared_ptr<Node> producer;  // null for leaves (inputs and parameters)

  Tensor& grad_buffer();  // the gradient, created as zeros on first use
};

// The gradients of a node's inputs, handed to its backward closure.
class InputGrads {
 public:
  explicit InputGrads(std::span<const std::shared_ptr<GradSlot>> inputs) : inputs_(inputs) {}
  // Whether input i wants a gradient; ops skip the work for frozen inputs.
  bool needed(std::size_t i) const { return inputs_[i]->requires_grad; }
  // Input i's gradient: backward closures add (+=) into it, never overwrite.
  Tensor& operator[](std::size_t i) { return inputs_[i]->grad_buffer(); }

 private:
  std::span<const std::shared_ptr<GradSlot>> inputs_;
};

using BackwardFn = std::function<void(const Tensor& grad_out, InputGrads& grads)>;

struct Node {
  const char* name;  // the op, for error messages
  std::vector<std::shared_ptr<GradSlot>> inputs;
  BackwardFn backward;  // emptied once run: frees what it saved
};

// A handle: copies of a Var are the same variable (value and gradient), like Python references
// to one torch.Tensor.
class Var {
 public:
  Var() = default;
  // A leaf: an input or a parameter. requires_grad = false freezes it.
  explicit Var(Tensor value, bool requires_grad = false);

  bool defined() const { return state_ != nullptr; }
  const Tensor& value() const { return state_->value; }
  Tensor& value() { return state_->value; }  // optimisers update parameters in place
  const Shape& shape() const { return state_->value.shape(); }

  bool requires_grad() const { return slot()->requires_grad; }
  void set_requires_grad(bool enabled);  // leaves only
  bool is_leaf() const { return slot()->producer == nullptr; }

  // The accumulated gradient; undefined if backward() has not reached this variable.
  const Tensor& grad() const { return slot()->grad; }
  void zero_grad() { slot()->grad = Tensor(); }

  const std::shared_ptr<GradSlot>& slot() const { return state_->slot; }

 private:
  // The graph holds only the GradSlot, so a value lives as long as some Var (or a backward
  // closure that saved it) refers to it.
  struct State {
    Tensor value;
    std::shared_ptr<GradSlot> slot;
  };
  std::shared_ptr<State> state_;
};

// Wraps an op's output. When gradients are enabled and any input requires one, the output
// gets a node with `backward`; otherwise the closure (and what it saved) is dropped at once.
Var record_op(Tensor value, const char* name, std::initializer_list<Var> inputs,
              BackwardFn backward);

}  // namespace nst
