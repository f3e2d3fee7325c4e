// Max and average pooling of [N, C, H, W] variables (PyTorch semantics, see tensor/pool.h).
#pragma once

#include "autograd/variable.h"

namespace nst::nn {

struct PoolOptions {
  int kernel = 2;
  int stride = 2;
  int padding = 0;
};

Var max_pool2d(const Var& x, const PoolOptions& options = {});
Var avg_pool2d(const Var& x, const PoolOptions& options = {});

}  // namespace nst::nn
