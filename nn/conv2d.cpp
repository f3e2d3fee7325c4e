#include "nn/conv2d.h"

#include "autograd/grad_mode.h"
#include "autograd/op_timing.h"
#include "tensor/byte_tensor.h"
#include "tensor/conv2d.h"
#include "tensor/conv2d_algorithm.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/relu_mask.h"
#include "tensor/winograd.h"
#include "tensor/winograd_fused.h"

namespace nst::nn {
namespace {

Tensor transform_filters(const Tensor& weight, Precision precision) {
  const int K = static_cast<int>(weight.dim(0)), C = static_cast<int>(weight.dim(1));
  Tensor filters(Shape{winograd_filter_size(K, C)});
  winograd_transform_filter(weight.data(), K, C, filters.data(), precision);
  return filters;
}

}  // namespace

Tensor WinogradFilterCache::filters_for(const Tensor& weight, Precision precision) {
  std::lock_guard lock(mutex_);
  if (!filters_.defined() || !weight_.same_storage(weight) || weight_version_ != weight.version() ||
      precision_ != precision) {
    filters_ = Tensor();  // the old filters go before the new ones are made
    filters_ = transform_filters(weight, precision);
    weight_ = weight;
    weight_version_ = weight.version();
    precision_ = precision;
  }
  return filters_;
}

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
  const char* name = options.relu ? "conv2d_relu" : "conv2d";
  const OpTimer timer(name, OpPhase::forward);
  const Conv2dShape s = conv2d_shape(input.shape(), weight.shape(), options);
  const bool has_bias = bias.defined();
  if (has_bias) {
    NST_CHECK(bias.shape() == Shape{s.K}, "conv2d: bias must be [", s.K, "] for weight ",
              weight.shape(), ", got ", bias.shape());
  }
  const bool records = grad_enabled() && (input.requires_grad() || weight.requires_grad() ||
                                          (has_bias && bias.requires_grad()));
  const ConvAlgorithm forward_by = forward_algorithm(s);
  const ConvAlgorithm backward_by = input_gradient_algorithm(s);
  const bool forward_by_winograd = is_winograd(forward_by);
  const bool backward_by_winograd = records && input.requires_grad() && is_winograd(backward_by);
  // One precision for both passes: they share the filters.
  const Precision precision = winograd_precision(s);
  Tensor filters;
  if (forward_by_winograd || backward_by_winograd) {
    filters = options.winograd_cache != nullptr
                  ? options.winograd_cache->filters_for(weight.value(), precision)
                  : transform_filters(weight.value(), precision);
  }

  Tensor out(Shape{s.N, s.K, s.Ho(), s.Wo()});
  const float* bias_data = has_bias ? bias.value().data() : nullptr;
  if (forward_by == ConvAlgorithm::fused) {
    winograd_fused_forward(out.data(), input.value().data(), {filters.data(), precision}, bias_data,
                           s, options.relu);
  } else if (forward_by == ConvAlgorithm::winograd) {
    winograd_forward(out.data(), input.value().data(), {filters.data(), precision}, bias_data, s,
                     options.relu);
  } else {
    conv2d_forward(out.data(), input.value().data(), weight.value().data(), bias_data, s);
    if (options.relu) relu(out.values(), out.values());
  }
  if (!records) return Var(std::move(out));

  // What backward needs, and nothing more: a bit per output for the ReLU; the input only for
  // the weight's gradient; the weight (or its transformed filters, shared with the cache) only
  // for the input's.
  ByteTensor mask;
  if (options.relu) {
    mask = ByteTensor(relu_mask_bytes(out.numel()));
    relu_mask_pack(out.data(), out.numel(), mask.data());
  }
  Tensor saved_input = weight.requires_grad() ? input.value() : Tensor();
  Tensor saved_weight = input.requires_grad() && !backward_by_winograd ? weight.value() : Tensor();
  if (!backward_by_winograd) filters = Tensor();
  BackwardFn backward = [saved_input, saved_weight, filters, precision, mask, s, has_bias,
                         backward_by](const Tensor& dout, InputGrads& grads) {
    const uint8_t* dout_mask = mask.defined() ? mask.data() : nullptr;
    float* din = grads.needed(0) ? grads[0].data() : nullptr;
    float* dweight = grads.needed(1) ? grads[1].data() : nullptr;
    float* dbias = has_bias && grads.needed(2) ? grads[2].data() : nullptr;
    if (din != nullptr && filters.defined()) {
      const WinogradFilters u(filters.data(), precision);
      if (backward_by == ConvAlgorithm::fused) {
        winograd_fused_backward_input(din, dout.data(), dout_mask, u, s);
      } else {
        winograd_backward_input(din, dout.data(), dout_mask, u, s);
      }
      din = nullptr;
    }
    if (din != nullptr || dweight != nullptr || dbias != nullptr) {
      conv2d_backward(din, dweight, dbias, dout.data(),
                      saved_input.defined() ? saved_input.data() : nullptr,
                      saved_weight.defined() ? saved_weight.data() : nullptr, s, dout_mask);
    }
  };
  if (has_bias) return record_op(std::move(out), name, {input, weight, bias}, std::move(backward));
  return record_op(std::move(out), name, {input, weight}, std::move(backward));
}

}  // namespace nst::nn
