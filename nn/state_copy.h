// How an optimiser hands out its state (Adam::state, Lbfgs::state): copied, to keep; or shared,
// views of the optimiser's own tensors that are valid until its next step, to write a checkpoint
// at once without a second copy of the picture and its history in memory (at 7680x4320, Adam's
// image and moments are 1.2 GB).
#pragma once

#include "tensor/tensor.h"

namespace nst::nn {

enum class StateCopy { copied, shared };

// `t` as `how` asks: a clone, or `t` itself (an undefined tensor stays undefined).
inline Tensor state_tensor(const Tensor& t, StateCopy how) {
  return how == StateCopy::copied && t.defined() ? t.clone() : t;
}

}  // namespace nst::nn
