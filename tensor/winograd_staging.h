// Moving rows between an image plane and the dense, zero-padded row buffers the Winograd tile
// kernels read and write (tensor/winograd_kernels.h): shared by the GEMM path (winograd.cpp)
// and the fused path (winograd_fused.cpp). A staged buffer holds `count` rows of `width`
// floats; staged column x is plane column x0 + x and staged row i is plane row y0 + i.
#pragma once

#include <cstdint>

namespace nst {

// Copies the plane [H x W] into the staged rows, with zeros where they fall outside it. With a
// mask (bit `mask_first` + y * W + x for pixel (y, x), as relu_mask.h packs it), masked-out
// pixels stage as zeros.
void stage_rows(const float* plane, int H, int W, int y0, int x0, int count, int width, float* rows,
                const uint8_t* mask = nullptr, int64_t mask_first = 0);

// Adds the staged rows into the plane [H x W], skipping what falls outside it.
void add_staged_rows(const float* rows, int count, int width, float* plane, int H, int W, int y0,
                     int x0);

}  // namespace nst
