#include "autograd/backward.h"

#include <unordered_set>
#include <utility>

#include "autograd/op_timing.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst {
namespace {

// Slots with a producer, in topological order: every slot after the slots it was computed from.
// Iterative depth-first search from each root, so deep graphs cannot overflow the stack.
std::vector<GradSlot*> topological_order(const std::vector<GradSlot*>& roots) {
  std::vector<GradSlot*> order;
  std::unordered_set<GradSlot*> visited;
  std::vector<std::pair<GradSlot*, std::size_t>> stack;  // slot, next input to visit
  for (GradSlot* root : roots) {
    if (!visited.insert(root).second) continue;
    if (root->producer) stack.emplace_back(root, 0);
    while (!stack.empty()) {
      auto& [slot, next] = stack.back();
      const auto& inputs = slot->producer->inputs;
      if (next < inputs.size()) {
        GradSlot* input = inputs[next++].get();
        if (input->producer && visited.insert(input).second) stack.emplace_back(input, 0);
      } else {
        order.push_back(slot);
        stack.pop_back();
      }
    }
  }
  return order;
}

// Runs every node reachable from the roots, whose gradients are already seeded.
void run_backward(const std::vector<GradSlot*>& roots) {
  std::vector<GradSlot*> order = topological_order(roots);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    GradSlot* slot = *it;
    Node& node = *slot->producer;
    NST_CHECK(node.backward, "backward() through '", node.name,
              "' a second time: the graph is released after its first backward pass");
    // An output that no gradient reached has nothing to pass on.
    if (slot->grad.defined()) {
      InputGrads grads(node.inputs);
      const OpTimer timer(node.name, OpPhase::backward);
      node.backward(slot->grad, grads);
    }
    node.backward = nullptr;  // frees the saved tensors
    slot->grad = Tensor();    // an intermediate gradient is no longer needed
  }
}

void check_root(const Var& root) {
  NST_CHECK(root.defined(), "backward() on an undefined variable");
  NST_CHECK(root.requires_grad(),
            "backward() on a variable that does not require a gradient: "
            "no input of the computation requires one, or it ran under NoGradGuard");
}

}  // namespace

void backward(const Var& root, const Tensor& seed) {
  check_root(root);
  check_same_shape(root.value(), seed, "backward seed vs root");
  GradSlot* root_slot = root.slot().get();
  axpy(1.0f, seed.values(), root_slot->grad_buffer().values());
  run_backward({root_slot});
}

void backward(std::vector<RootGradient> roots) {
  // The slots alone keep the graph: once seeded, each gradient is released as soon as its
  // node has run, not when the last root is done.
  std::vector<std::shared_ptr<GradSlot>> slots;
  for (RootGradient& r : roots) {
    check_root(r.root);
    check_same_shape(r.root.value(), r.gradient, "backward gradient vs root");
    std::shared_ptr<GradSlot> slot = r.root.slot();
    // A leaf keeps its gradient after backward, so it gets a copy, not the caller's tensor.
    if (slot->grad.defined() || !slot->producer) {
      axpy(1.0f, r.gradient.values(), slot->grad_buffer().values());
    } else {
      slot->grad = std::move(r.gradient);
    }
    slots.push_back(std::move(slot));
  }
  roots.clear();
  std::vector<GradSlot*> order_from;
  for (const auto& slot : slots) order_from.push_back(slot.get());
  run_backward(order_from);
}

void backward(const Var& root) {
  NST_CHECK(root.value().numel() == 1, "backward() without a seed needs a scalar, got shape ",
            root.shape(), "; pass the gradient with respect to it as the seed");
  backward(root, Tensor::full(root.shape(), 1.0f));
}

}  // namespace nst
