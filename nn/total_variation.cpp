#include "nn/total_variation.h"

#include "autograd/op_timing.h"
#include "tensor/error.h"
#include "tensor/total_variation.h"

namespace nst::nn {

Var total_variation(const Var& x) {
  const OpTimer timer("total_variation", OpPhase::forward);
  const Shape& s = x.shape();
  NST_CHECK(s.rank() == 4, "total_variation: input must be [N, C, H, W], got ", s);
  const int planes = static_cast<int>(s[0] * s[1]), H = static_cast<int>(s[2]),
            W = static_cast<int>(s[3]);
  Tensor out =
      Tensor::scalar(static_cast<float>(total_variation_forward(x.value().data(), planes, H, W)));
  Tensor input = x.value();
  return record_op(std::move(out), "total_variation", {x},
                   [input, planes, H, W](const Tensor& dout, InputGrads& grads) {
                     total_variation_backward(grads[0].data(), dout.item(), input.data(), planes, H,
                                              W);
                   });
}

}  // namespace nst::nn
