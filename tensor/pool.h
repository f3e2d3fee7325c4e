// 2-D max and average pooling over N*C independent planes, with PyTorch's semantics
// (ceil_mode = false): output size floor((H + 2p - k) / s) + 1; max pooling pads with -inf and
// sends the gradient to the first maximum of each window; average pooling counts the zero
// padding in its divisor (count_include_pad = true), so every window divides by k*k.
#pragma once

#include <cstdint>

namespace nst {

struct PoolGeometry {
  int planes = 0, height = 0, width = 0;  // planes = N * C
  int kernel = 2, stride = 2, padding = 0;

  int out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  void validate() const;  // throws nst::Error naming the geometry if it makes no sense
};

// Max pooling records, per output, where in its window the maximum was: byte
// (row * kernel + column) of the window clipped to the image, so backward needs neither the
// input nor a second search (kernel <= 16). argmax may be null when no backward follows.
void max_pool2d_forward(const float* in, const PoolGeometry& g, float* out, uint8_t* argmax);
// din += dout routed to each window's recorded maximum.
void max_pool2d_backward(const uint8_t* argmax, const float* dout, const PoolGeometry& g,
                         float* din);
// The same for any geometry, window by window: the reference that the 2x2 stride-2 fast path
// above is tested against (and what it uses for every other geometry).
void max_pool2d_forward_reference(const float* in, const PoolGeometry& g, float* out,
                                  uint8_t* argmax);
void max_pool2d_backward_reference(const uint8_t* argmax, const float* dout, const PoolGeometry& g,
                                   float* din);

void avg_pool2d_forward(const float* in, const PoolGeometry& g, float* out);
void avg_pool2d_backward(const float* dout, const PoolGeometry& g, float* din);  // din +=

}  // namespace nst
