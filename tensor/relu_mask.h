// A ReLU's backward needs only where its output was positive: one bit per element, a 32nd of
// the output it would otherwise keep. Bit i is bit (i % 8) of byte i / 8.
#pragma once

#include <cstdint>

namespace nst {

constexpr int64_t relu_mask_bytes(int64_t elements) { return (elements + 7) / 8; }

inline bool relu_mask_bit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

// bits = (y > 0) for n elements; n need not be a multiple of 8 (the last byte's spare bits are 0).
void relu_mask_pack(const float* y, int64_t n, uint8_t* bits);

// out[i] = dy[i] where bit first + i is set, else 0, for i < n.
void relu_mask_apply(const uint8_t* bits, int64_t first, const float* dy, float* out, int64_t n);

}  // namespace nst
