#include "nn/pooling.h"

#include "autograd/grad_mode.h"
#include "autograd/op_timing.h"
#include "tensor/byte_tensor.h"
#include "tensor/error.h"
#include "tensor/pool.h"

namespace nst::nn {
namespace {

PoolGeometry geometry(const Shape& x, const PoolOptions& o, const char* op) {
  NST_CHECK(x.rank() == 4, op, ": input must be [N, C, H, W], got ", x);
  PoolGeometry g{static_cast<int>(x[0] * x[1]),
                 static_cast<int>(x[2]),
                 static_cast<int>(x[3]),
                 o.kernel,
                 o.stride,
                 o.padding};
  g.validate();
  return g;
}

}  // namespace

Var max_pool2d(const Var& x, const PoolOptions& options) {
  const OpTimer timer("max_pool2d", OpPhase::forward);
  const PoolGeometry g = geometry(x.shape(), options, "max_pool2d");
  Tensor out(Shape{x.shape()[0], x.shape()[1], g.out_height(), g.out_width()});
  if (!grad_enabled() || !x.requires_grad()) {
    max_pool2d_forward(x.value().data(), g, out.data(), nullptr);
    return Var(std::move(out));
  }
  // Backward needs only where each maximum was: a byte per output, not the input.
  ByteTensor argmax(out.numel());
  max_pool2d_forward(x.value().data(), g, out.data(), argmax.data());
  return record_op(std::move(out), "max_pool2d", {x},
                   [argmax, g](const Tensor& dout, InputGrads& grads) {
                     max_pool2d_backward(argmax.data(), dout.data(), g, grads[0].data());
                   });
}

Var avg_pool2d(const Var& x, const PoolOptions& options) {
  const OpTimer timer("avg_pool2d", OpPhase::forward);
  const PoolGeometry g = geometry(x.shape(), options, "avg_pool2d");
  Tensor out(Shape{x.shape()[0], x.shape()[1], g.out_height(), g.out_width()});
  avg_pool2d_forward(x.value().data(), g, out.data());
  return record_op(std::move(out), "avg_pool2d", {x}, [g](const Tensor& dout, InputGrads& grads) {
    avg_pool2d_backward(dout.data(), g, grads[0].data());
  });
}

}  // namespace nst::nn
