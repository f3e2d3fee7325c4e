// bf16 matrix products with fp32 accumulation on Intel AMX tiles (Sapphire Rapids and later),
// for the Winograd products when NST_PRECISION asks for bf16 (tensor/winograd_precision.h).
//
// A tile is 16 rows of 64 bytes; TDPBF16PS adds a (16 x 32 bf16) * b (32 x 16 bf16) into
// 16 x 16 fp32 sums, with b stored in pairs: row p of a b tile holds depths 2p and 2p + 1 of
// each of its 16 columns side by side (Intel's "VNNI" layout). One instruction is 8192
// multiply-adds, where an AVX-512 FMA is 16.
//
// Linux hands the 8 KiB of tile registers to a process only when it asks (arch_prctl
// ARCH_REQ_XCOMP_PERM); amx_bf16_usable() asks once.
#pragma once

#include <cstdint>

namespace nst {

// Whether this CPU has AMX-TILE and AMX-BF16 and the kernel let this process use them.
bool amx_bf16_usable();

// float -> bf16, rounded to nearest even (as the AMX conversions round); NaN stays NaN.
uint16_t to_bf16(float value);
float from_bf16(uint16_t value);

namespace amx {

// Rows of the products' left operand and depths per step: multiples the callers must keep.
constexpr int kRowBlock = 32;    // two tiles of 16 rows
constexpr int kDepthBlock = 32;  // one tile row of bf16
constexpr int kColumnBlock = 16;

// out = the `depth` rows of `cols` floats at in (in_stride floats apart), in bf16 pairs:
// out[(d / 2) * 2 * cols + 2 * j + d % 2] = bf16(in[d * in_stride + j]). depth is even, cols a
// multiple of kColumnBlock.
void pack_pairs(const float* in, int64_t in_stride, int depth, int64_t cols, uint16_t* out);

// c (rows x cols, rows ldc floats apart) = a (rows x depth bf16, row-major) * b (depth x cols,
// from pack_pairs), with rows a multiple of kRowBlock, depth of kDepthBlock and cols of
// kColumnBlock. Only where amx_bf16_usable().
void product(const uint16_t* a, int rows, int depth, const uint16_t* b, int64_t cols, float* c,
             int64_t ldc);

}  // namespace amx
}  // namespace nst
