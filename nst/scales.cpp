#include "nst/scales.h"

#include <cmath>

namespace nst {

int auto_scale_count(int size) { return size >= kAutoTwoScalesFrom ? 2 : 1; }

int planned_scale_count(const JobSettings& settings) {
  return settings.scales ? *settings.scales : auto_scale_count(settings.size);
}

std::vector<Scale> scale_schedule(const JobSettings& settings, int count) {
  std::vector<Scale> scales;
  for (int k = 0; k < count; ++k) {
    const double halvings = count - 1 - k;
    scales.push_back(
        {.size = static_cast<int>(std::lround(settings.size / std::exp2(halvings))),
         .iterations = k + 1 == count ? settings.iterations : settings.coarse_iterations});
  }
  return scales;
}

int total_iterations(const JobSettings& settings, int count) {
  return settings.iterations + (count - 1) * settings.coarse_iterations;
}

}  // namespace nst
