// The distinct convolution shapes of VGG19's feature layers (3x3, stride 1, padding 1) for a
// square input of the given side, e.g. 256: conv1_1 sees 256x256, conv5_x see 16x16.
#pragma once

#include <vector>

#include "tensor/conv2d_shape.h"

namespace nst::bench {

struct VggLayer {
  const char* name;  // the first layer with this shape
  Conv2dShape shape;
  int count;  // how many of VGG19's layers up to conv5_1 have it
};

inline std::vector<VggLayer> vgg19_conv_shapes(int side) {
  auto conv = [](int C, int K, int size) {
    return Conv2dShape{
        .N = 1, .C = C, .H = size, .W = size, .K = K, .kernel = 3, .stride = 1, .padding = 1};
  };
  return {{"conv1_1", conv(3, 64, side), 1},        {"conv1_2", conv(64, 64, side), 1},
          {"conv2_1", conv(64, 128, side / 2), 1},  {"conv2_2", conv(128, 128, side / 2), 1},
          {"conv3_1", conv(128, 256, side / 4), 1}, {"conv3_2", conv(256, 256, side / 4), 3},
          {"conv4_1", conv(256, 512, side / 8), 1}, {"conv4_2", conv(512, 512, side / 8), 3},
          {"conv5_1", conv(512, 512, side / 16), 1}};
}

// Multiply-adds of the convolution, counted as 2 FLOPs each (the GEMM's 2 M N K).
inline double conv_flops(const Conv2dShape& s) {
  return 2.0 * s.K * s.Ho() * s.Wo() * s.C * s.kernel * s.kernel * s.N;
}

}  // namespace nst::bench
