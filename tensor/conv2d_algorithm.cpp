#include "tensor/conv2d_algorithm.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tensor/error.h"
#include "tensor/winograd.h"

namespace nst {
namespace {

enum class Override { none, im2col, winograd, fused };

Override override_from_environment() {
  const char* value = std::getenv("NST_CONV");
  if (value == nullptr || std::string_view(value) == "auto") return Override::none;
  if (std::string_view(value) == "im2col") return Override::im2col;
  if (std::string_view(value) == "winograd") return Override::winograd;
  if (std::string_view(value) == "fused") return Override::fused;
  fail("NST_CONV=", value, " is not one of im2col, winograd, fused, auto");
}

// in_channels: the GEMMs' inner dimension (C forward, K for the input gradient).
ConvAlgorithm choose(const Conv2dShape& s, int in_channels) {
  if (!winograd_applies(s)) return ConvAlgorithm::im2col;
  switch (override_from_environment()) {
    case Override::im2col: return ConvAlgorithm::im2col;
    case Override::winograd: return ConvAlgorithm::winograd;
    case Override::fused: return ConvAlgorithm::fused;
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
  if (in_channels < kMinInChannels || tiles < kMinTiles) return ConvAlgorithm::im2col;
  // Measured (nst bench, 512 px, AVX-512): the fused path was 5-20% faster on conv1_2 and
  // conv2_x (64 x 64 to 128 x 128 filters: 0.6 to 2.4 MB transformed), even with conv3_1's
  // forward (128 x 256), and up to 3x slower on conv4 and conv5, whose 9 to 38 MB of
  // transformed filters it reads once per block of tiles.
  constexpr int64_t kMaxFusedFilters = 128 * 128;
  return int64_t{s.K} * s.C <= kMaxFusedFilters ? ConvAlgorithm::fused : ConvAlgorithm::winograd;
}

}  // namespace

const char* conv_algorithm_name(ConvAlgorithm algorithm) {
  switch (algorithm) {
    case ConvAlgorithm::winograd: return "winograd";
    case ConvAlgorithm::fused: return "fused";
    case ConvAlgorithm::im2col: break;
  }
  return "im2col";
}

bool is_winograd(ConvAlgorithm algorithm) { return algorithm != ConvAlgorithm::im2col; }

ConvAlgorithm forward_algorithm(const Conv2dShape& s) { return choose(s, s.C); }
ConvAlgorithm input_gradient_algorithm(const Conv2dShape& s) { return choose(s, s.K); }

}  // namespace nst
