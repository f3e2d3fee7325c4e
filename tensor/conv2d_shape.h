// The one description of a 2-D convolution, shared by im2col/col2im, the conv2d kernels, their
// naive references and the benchmarks. The shape letters are named once:
//   in [N, C, H, W]   weight [K, C, kernel, kernel]   bias [K]   out [N, K, Ho, Wo]
// with zero padding `padding` on every side and the window moving by `stride`, as in PyTorch
// (cross-correlation, floor division for the output size).
#pragma once

namespace nst {

struct Conv2dShape {
  int N = 1, C = 0, H = 0, W = 0;  // input
  int K = 0;                       // output channels
  int kernel = 3, stride = 1, padding = 0;

  int Ho() const { return (H + 2 * padding - kernel) / stride + 1; }
  int Wo() const { return (W + 2 * padding - kernel) / stride + 1; }
  // Rows of the im2col matrix, one per (c, ki, kj): the inner dimension of the GEMM.
  int col_rows() const { return C * kernel * kernel; }
  // The direct algorithm's arithmetic, 2 FLOPs per multiply-add (a GEMM's 2 M N K): what an
  // "effective" rate divides by the time, whichever algorithm ran.
  double direct_flops() const {
    return 2.0 * N * K * Ho() * Wo() * static_cast<double>(C) * kernel * kernel;
  }
  void validate() const;  // throws nst::Error naming the shape if it makes no sense
  bool operator==(const Conv2dShape&) const = default;
};

}  // namespace nst
