#include "nn/conv2d.h"

#include "tensor/conv2d.h"
#include "tensor/error.h"

namespace nst::nn {

Conv2dShape conv2d_shape(const Shape& input, const Shape& weight, const Conv2dOptions& options) {
  NST_CHECK(input.rank() == 4, "conv2d: input must be [N, C, H, W], got ", input);
  NST_CHECK(weight.rank() == 4 && weight[2] == weight[3],
            "conv2d: weight must be [K, C, k, k], got ", weight);
  NST_CHECK(weight[1] == input[1], "conv2d: weight ", weight, " expects ", weight[1],
            " input channels, input ", input, " has ", input[1]);
  const Conv2dShape s{.N = static_cast<int>(input[0]),
                      .C = static_cast<int>(input[1]),
                      .H = static_cast<int>(input[2]),
                      .W = static_cast<int>(input[3]),
                      .K = static_cast<int>(weight[0]),
                      .kernel = static_cast<int>(weight[2]),
                      .stride = options.stride,
                      .padding = options.padding};
  s.validate();
  return s;
}

Var conv2d(const Var& input, const Var& weight, const Var& bias, const Conv2dOptions& options) {
  const Conv2dShape s = conv2d_shape(input.shape(), weight.shape(), options);
  const bool has_bias = bias.defined();
  if (has_bias) {
    NST_CHECK(bias.shape() == Shape{s.K}, "conv2d: bias must be [", s.K, "] for weight ",
              weight.shape(), ", got ", bias.shape());
  }
  Tensor out(Shape{s.N, s.K, s.Ho(), s.Wo()});
  conv2d_forward(out.data(), input.value().data(), weight.value().data(),
                 has_bias ? bias.value().data() : nullptr, s);

  // Save the input only if the weight gradient will need it, the weight only for the input's.
  Tensor saved_input = weight.requires_grad() ? input.value() : Tensor();
  Tensor saved_weight = input.requires_grad() ? weight.value() : Tensor();
  BackwardFn backward = [saved_input, saved_weight, s, has_bias](const Tensor& dout,
                                                                 InputGrads& grads) {
    conv2d_backward(grads.needed(0) ? grads[0].data() : nullptr,
                    grads.needed(1) ? grads[1].data() : nullptr,
                    has_bias && grads.needed(2) ? grads[2].data() : nullptr, dout.data(),
                    saved_input.defined() ? saved_input.data() : nullptr,
                    saved_weight.defined() ? saved_weight.data() : nullptr, s);
  };
  if (has_bias)
    return record_op(std::move(out), "conv2d", {input, weight, bias}, std::move(backward));
  return record_op(std::move(out), "conv2d", {input, weight}, std::move(backward));
}

}  // namespace nst::nn
