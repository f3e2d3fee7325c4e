// The AMX kernels of tensor/amx_bf16.h. Built with -mamx-tile -mamx-bf16 -mavx512bf16
// -mavx512bw; called only where amx_bf16_usable().
#include <immintrin.h>

#include "tensor/amx_bf16.h"

namespace nst::amx {
namespace {

// Tiles 0-3 hold a 32 x 32 block of sums, 4-5 two row blocks of a, 6-7 two column blocks of b:
// each a and b tile is used twice per load. All are 16 rows of 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

void configure_tiles() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytes_per_row[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
}

}  // namespace

void pack_pairs(const float* in, int64_t in_stride, int depth, int64_t cols, uint16_t* out) {
  // cvtne2ps gives 16 bf16 of the even row, then 16 of the odd one; this puts them in pairs.
  alignas(64) static constexpr uint16_t kInterleave[32] = {
      0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
      8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i interleave = _mm512_load_si512(kInterleave);
  for (int d = 0; d < depth; d += 2) {
    const float* even = in + d * in_stride;
    const float* odd = even + in_stride;
    uint16_t* pairs = out + static_cast<int64_t>(d) * cols;
    for (int64_t j = 0; j < cols; j += kColumnBlock) {
      const __m512bh both =
          _mm512_cvtne2ps_pbh(_mm512_loadu_ps(odd + j), _mm512_loadu_ps(even + j));
      _mm512_storeu_si512(pairs + 2 * j, _mm512_permutexvar_epi16(interleave, (__m512i)both));
    }
  }
}

void product(const uint16_t* a, int rows, int depth, const uint16_t* b, int64_t cols, float* c,
             int64_t ldc) {
  configure_tiles();
  const int64_t a_stride = int64_t{depth} * 2, b_stride = cols * 4, c_stride = ldc * 4;  // bytes
  for (int r = 0; r < rows; r += kRowBlock) {
    const uint16_t* a0 = a + static_cast<int64_t>(r) * depth;
    const uint16_t* a1 = a0 + 16 * static_cast<int64_t>(depth);
    float* c0 = c + r * ldc;
    float* c1 = c0 + 16 * ldc;
    int64_t j = 0;
    for (; j + 2 * kColumnBlock <= cols; j += 2 * kColumnBlock) {
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int d = 0; d < depth; d += kDepthBlock) {
        const uint16_t* bd = b + static_cast<int64_t>(d) * cols + 2 * j;
        _tile_loadd(4, a0 + d, a_stride);
        _tile_loadd(5, a1 + d, a_stride);
        _tile_loadd(6, bd, b_stride);
        _tile_loadd(7, bd + 2 * kColumnBlock, b_stride);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      _tile_stored(0, c0 + j, c_stride);
      _tile_stored(1, c0 + j + kColumnBlock, c_stride);
      _tile_stored(2, c1 + j, c_stride);
      _tile_stored(3, c1 + j + kColumnBlock, c_stride);
    }
    if (j < cols) {  // a last block of 16 columns
      _tile_zero(0);
      _tile_zero(2);
      for (int d = 0; d < depth; d += kDepthBlock) {
        _tile_loadd(4, a0 + d, a_stride);
        _tile_loadd(5, a1 + d, a_stride);
        _tile_loadd(6, b + static_cast<int64_t>(d) * cols + 2 * j, b_stride);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(2, 5, 6);
      }
      _tile_stored(0, c0 + j, c_stride);
      _tile_stored(2, c1 + j, c_stride);
    }
  }
  _tile_release();  // the next context switch need not save 8 KiB of tiles
}

}  // namespace nst::amx
