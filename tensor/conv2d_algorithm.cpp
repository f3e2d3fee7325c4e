#include "tensor/conv2d_algorithm.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tensor/error.h"
#include "tensor/winograd.h"

namespace nst {
namespace {

enum class Override { none, im2col, winograd };

Override override_from_environment() {
  const char* value = std::getenv("NST_CONV");
  if (value == nullptr || std::string_view(value) == "auto") return Override::none;
  if (std::string_view(value) == "im2col") return Override::im2col;
  if (std::string_view(value) == "winograd") return Override::winograd;
  fail("NST_CONV=", value, " is not one of im2col, winograd, auto");
}

// in_channels: the GEMMs' inner dimension (C forward, K for the input gradient).
ConvAlgorithm choose(const Conv2dShape& s, int in_channels) {
  if (!winograd_applies(s)) return ConvAlgorithm::im2col;
  switch (override_from_environment()) {
    case Override::im2col: return ConvAlgorithm::im2col;
    case Override::winograd: return ConvAlgorithm::winograd;
    case Override::none: break;
  }
  // Measured (bench_conv2d, README's speed section): with 3 input channels (conv1_1 forward)
  // the transforms cost more than the multiplications they save.
  constexpr int kMinInChannels = 16;
  // With few tiles, the 36 GEMMs are bound by reading the transformed filters, 4 times the
  // weights' bytes: on planes of 8x8 (4 tiles; conv5_1 at 128 px, conv4 at 64 px) im2col was
  // as fast or faster, from 16x16 (16 tiles; conv5_1 at 256 px) Winograd 1.5x faster.
  constexpr int64_t kMinTiles = 16;
  const WinogradBands plan = winograd_bands(s);
  const int64_t tiles = int64_t{s.N} * plan.tile_rows * plan.tile_cols;
  return in_channels >= kMinInChannels && tiles >= kMinTiles ? ConvAlgorithm::winograd
                                                             : ConvAlgorithm::im2col;
}

}  // namespace

const char* conv_algorithm_name(ConvAlgorithm algorithm) {
  return algorithm == ConvAlgorithm::winograd ? "winograd" : "im2col";
}

ConvAlgorithm forward_algorithm(const Conv2dShape& s) { return choose(s, s.C); }
ConvAlgorithm input_gradient_algorithm(const Conv2dShape& s) { return choose(s, s.K); }

}  // namespace nst
