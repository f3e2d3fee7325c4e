#include "nn/gram.h"

#include "autograd/op_timing.h"
#include "tensor/error.h"
#include "tensor/gram.h"

namespace nst::nn {

Var gram(const Var& x) {
  const OpTimer timer("gram", OpPhase::forward);
  const Shape& s = x.shape();
  NST_CHECK(s.rank() == 4, "gram: input must be [N, C, H, W], got ", s);
  const int N = static_cast<int>(s[0]), C = static_cast<int>(s[1]);
  const int HW = static_cast<int>(s[2] * s[3]);
  NST_CHECK(HW > 0, "gram: input ", s, " has no positions");
  Tensor out(Shape{N, C, C});
  for (int n = 0; n < N; ++n) {
    gram_forward(out.data() + static_cast<int64_t>(n) * C * C,
                 x.value().data() + static_cast<int64_t>(n) * C * HW, C, HW);
  }
  Tensor features = x.value();
  return record_op(std::move(out), "gram", {x},
                   [features, N, C, HW](const Tensor& dout, InputGrads& grads) {
                     for (int n = 0; n < N; ++n) {
                       gram_backward(grads[0].data() + static_cast<int64_t>(n) * C * HW,
                                     dout.data() + static_cast<int64_t>(n) * C * C,
                                     features.data() + static_cast<int64_t>(n) * C * HW, C, HW);
                     }
                   });
}

}  // namespace nst::nn
