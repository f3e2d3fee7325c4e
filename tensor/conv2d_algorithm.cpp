#include "tensor/conv2d_algorithm.h"

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
  // Measured (bench_conv2d, README): with 3 input channels the transforms cost more than the
  // multiplications they save.
  constexpr int kMinInChannels = 16;
  return in_channels >= kMinInChannels ? ConvAlgorithm::winograd : ConvAlgorithm::im2col;
}

}  // namespace

const char* conv_algorithm_name(ConvAlgorithm algorithm) {
  return algorithm == ConvAlgorithm::winograd ? "winograd" : "im2col";
}

ConvAlgorithm forward_algorithm(const Conv2dShape& s) { return choose(s, s.C); }
ConvAlgorithm input_gradient_algorithm(const Conv2dShape& s) { return choose(s, s.K); }

}  // namespace nst
