// Conversions of half precision (IEEE binary16) and bfloat16 values to float, for checkpoints
// stored in F16 or BF16. Both are exact: every such value is a float.
#pragma once

#include <cstdint>
#include <cstring>

namespace nst {

inline float bfloat16_to_float(uint16_t bits) {
  const uint32_t word = static_cast<uint32_t>(bits) << 16;  // bf16 is the top half of a float
  float f;
  std::memcpy(&f, &word, sizeof f);
  return f;
}

inline float half_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  uint32_t word;
  if (exponent == 0x1F) {  // infinity or NaN
    word = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal: rebias 15 -> 127
    word = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // zero
    word = sign;
  } else {  // subnormal: normalise the mantissa
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400) == 0);
    word = sign | ((112 - static_cast<uint32_t>(e)) << 23) | ((mantissa & 0x3FF) << 13);
  }
  float f;
  std::memcpy(&f, &word, sizeof f);
  return f;
}

}  // namespace nst
