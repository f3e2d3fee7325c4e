#include "tensor/conv2d_shape.h"

#include "tensor/error.h"

namespace nst {

void Conv2dShape::validate() const {
  NST_CHECK(N > 0 && C > 0 && H > 0 && W > 0 && K > 0,
            "convolution sizes must be positive, got N=", N, " C=", C, " H=", H, " W=", W,
            " K=", K);
  NST_CHECK(kernel > 0 && stride > 0 && padding >= 0, "bad convolution parameters: kernel=", kernel,
            " stride=", stride, " padding=", padding);
  NST_CHECK(H + 2 * padding >= kernel && W + 2 * padding >= kernel, "a ", kernel, "x", kernel,
            " kernel does not fit a ", H, "x", W, " input with padding ", padding);
}

}  // namespace nst
