// im2col / col2im: turn a k x k convolution into one matrix multiply (and back).
//
// For one image of C channels, H x W, a kernel k x k with stride s and zero padding p gives an
// output of Ho x Wo. The column matrix has one row per (c, ki, kj) -- C*k*k rows, in the order
// of a PyTorch weight [K, C, k, k] flattened to [K, C*k*k] -- and one column per output pixel.
// So conv2d(image) = weight[K x Ckk] * col[Ckk x Ho*Wo].
//
// The functions work on a band of output rows [row_begin, row_end): the column matrix then has
// (row_end - row_begin) * Wo columns. Convolving band by band keeps the column matrix small
// enough to stay in cache instead of being C*k*k times the size of the image.
#pragma once

#include "tensor/conv2d_shape.h"

namespace nst {

// col[Ckk x (row_end-row_begin)*Wo] = the patches of image[C x H x W] for those output rows.
void im2col(const float* image, const Conv2dShape& s, int row_begin, int row_end, float* col);
// image += the patches in col scattered back (the adjoint of im2col).
void col2im(const float* col, const Conv2dShape& s, int row_begin, int row_end, float* image);

// Element-by-element versions that follow the definition literally, for the tests.
void im2col_naive(const float* image, const Conv2dShape& s, int row_begin, int row_end, float* col);
void col2im_naive(const float* col, const Conv2dShape& s, int row_begin, int row_end, float* image);

}  // namespace nst
