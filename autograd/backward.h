// Runs reverse-mode differentiation from one variable back to the leaves.
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

}  // namespace nst
