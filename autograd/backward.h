// Runs reverse-mode differentiation from one variable, or several at once, back to the leaves.
#pragma once

#include "autograd/variable.h"

namespace nst {

// Adds d(root)/d(leaf) to the gradient of every leaf that requires one. For a scalar root the
// seed is 1; otherwise pass the gradient with respect to root (same shape), which computes the
// vector-Jacobian product.
//
// The graph is used once: each node's closure is released as soon as it has run, and with it
// the tensors it saved, and so are the gradients of intermediate variables. So peak memory is
// one forward pass plus the gradients alive at one time. A second backward() through the same
// graph is an error.
void backward(const Var& root);
void backward(const Var& root, const Tensor& seed);

// The gradient of some scalar with respect to `root`, known already (for example a loss term
// computed without a graph).
struct RootGradient {
  Var root;
  Tensor gradient;  // root's shape
};

// One backward pass from several roots at once, each seeded with its gradient, as if from
// the sum of the scalars they came from. The roots are taken over (pass them with std::move)
// and the gradients are not copied: each becomes its root's gradient buffer, which backward
// adds into and frees once that root's node has run. So a gradient may share storage with the
// root's value (a loss that overwrites features with their gradient, in place). A leaf root,
// which keeps its gradient, gets a copy instead.
void backward(std::vector<RootGradient> roots);

}  // namespace nst
