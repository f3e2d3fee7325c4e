// The per-format codecs behind image.h. Each takes the whole file in memory and the path for
// its messages, and refuses images over max_pixels before allocating them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nst/image.h"
#include "tensor/tensor.h"

namespace nst {

Tensor decode_png(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels);
Tensor decode_jpeg(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels);
// The size (upright, for JPEG) from the header alone, with the same checks as decoding's.
ImageSize probe_png(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels);
ImageSize probe_jpeg(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels);

// 8-bit interleaved RGB for the encoders: round(255 x), x clamped to [0, 1].
std::vector<uint8_t> to_rgb8(const Tensor& image);
// `level`: zlib's compression level, 0..9; `bit_depth`: 8 (round(255 x)) or 16 (round(65535 x)).
std::vector<uint8_t> encode_png(const Tensor& image, int level, int bit_depth,
                                const std::string& path);
std::vector<uint8_t> encode_jpeg(const Tensor& image, int quality, const std::string& path);

// Planar [1, 3, H, W] floats from 8-bit interleaved RGB samples (3 per pixel).
Tensor from_rgb8(const uint8_t* pixels, int width, int height);

}  // namespace nst
