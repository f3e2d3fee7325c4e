#include "tensor/random.h"

#include <cmath>
#include <numbers>

namespace nst {

float Random::uniform() {
  // The top 24 bits give every float in [0, 1) with spacing 2^-24, uniformly.
  return static_cast<float>(engine_() >> 40) * 0x1.0p-24f;
}

float Random::normal() {
  // Box-Muller in double; 1 - u keeps the logarithm's argument in (0, 1].
  const double u1 = 1.0 - static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

void Random::fill_uniform(std::span<float> out, float lo, float hi) {
  for (float& v : out) v = lo + (hi - lo) * uniform();
}

void Random::fill_normal(std::span<float> out, float mean, float stddev) {
  for (float& v : out) v = mean + stddev * normal();
}

}  // namespace nst
