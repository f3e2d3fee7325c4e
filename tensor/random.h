// A seeded random source whose sequence is the same on every platform: std::mt19937_64 is
// specified exactly by the standard, and the conversions to float below are our own (the
// standard distributions are not portable across library implementations).
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace nst {

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  float uniform();  // in [0, 1)
  float normal();   // mean 0, standard deviation 1 (Box-Muller)
  void fill_uniform(std::span<float> out, float lo, float hi);
  void fill_normal(std::span<float> out, float mean, float stddev);

 private:
  std::mt19937_64 engine_;
};

}  // namespace nst
