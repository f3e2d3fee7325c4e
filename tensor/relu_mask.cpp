#include "tensor/relu_mask.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "tensor/threads.h"

namespace nst {
namespace {

// Bit b of a mask byte, as the lanes of an 8-wide loop see it: with a constant per lane, the
// compiler turns the loops below into vector compares and blends.
constexpr unsigned kBit[8] = {1, 2, 4, 8, 16, 32, 64, 128};

uint8_t pack_byte(const float* y) {
  unsigned packed = 0;
  for (int b = 0; b < 8; ++b) packed |= y[b] > 0.0f ? kBit[b] : 0u;
  return static_cast<uint8_t>(packed);
}

// As bit patterns: dy AND all-ones where the bit is set, AND zero where it is not.
void apply_byte(unsigned byte, const float* dy, float* out) {
  uint32_t v[8];
  std::memcpy(v, dy, sizeof v);
  for (int b = 0; b < 8; ++b) v[b] &= (byte & kBit[b]) != 0 ? ~0u : 0u;
  std::memcpy(out, v, sizeof v);
}

}  // namespace

void relu_mask_pack(const float* y, int64_t n, uint8_t* bits) {
  const int64_t whole = n / 8;
  constexpr int64_t kParallelBytes = int64_t{1} << 14;
#pragma omp parallel for num_threads(num_threads()) schedule(static) if (whole > kParallelBytes)
  for (int64_t byte = 0; byte < whole; ++byte) bits[byte] = pack_byte(y + byte * 8);
  if (whole * 8 < n) {  // the last, partial byte: its spare bits stay 0
    unsigned packed = 0;
    for (int64_t i = whole * 8; i < n; ++i) packed |= y[i] > 0.0f ? kBit[i % 8] : 0u;
    bits[whole] = static_cast<uint8_t>(packed);
  }
}

void relu_mask_apply(const uint8_t* bits, int64_t first, const float* dy, float* out, int64_t n) {
  int64_t i = 0;
  // Element by element up to a byte boundary of the mask, then a byte (8 elements) at a time.
  for (; i < n && (first + i) % 8 != 0; ++i) out[i] = relu_mask_bit(bits, first + i) ? dy[i] : 0.0f;
  const uint8_t* byte = bits + (first + i) / 8;
  for (; i + 8 <= n; i += 8) apply_byte(*byte++, dy + i, out + i);
  for (; i < n; ++i) out[i] = relu_mask_bit(bits, first + i) ? dy[i] : 0.0f;
}

}  // namespace nst
