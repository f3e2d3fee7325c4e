// Images as the style transfer sees them: a Tensor [1, 3, H, W] of RGB values in [0, 1]
// (8-bit value / 255), and their files.
//
// Reading recognises PNG and JPEG from the file's first bytes, not its name:
//   PNG: 8 or 16 bits, grey, palette, with alpha (composited on white);
//   JPEG: baseline or progressive, grey, RGB, CMYK/YCCK; the EXIF orientation is applied, so
//   phone photos come out upright.
// Before decoding, the dimensions are checked against a pixel limit, as libvips and sharp do,
// so a small file that claims to be enormous cannot exhaust memory.
// Writing chooses PNG or JPEG from the output's extension and replaces the file atomically.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nst {

// sharp's default limitInputPixels: 0x3FFF x 0x3FFF.
constexpr int64_t kDefaultMaxPixels = int64_t{0x3FFF} * 0x3FFF;

struct ImageSize {
  int width = 0, height = 0;
};
std::string to_string(ImageSize size);  // "640x480"

// The largest image file read: a 16383 x 16383 PNG of noise is about 800 MB.
constexpr uint64_t kMaxImageFileBytes = uint64_t{1} << 30;

// Reads a regular file of at most kMaxImageFileBytes (nst::Error naming it otherwise).
Tensor read_image(const std::string& path, int64_t max_pixels = kDefaultMaxPixels);
// The bytes of such a file, undecoded (read_image = decode_image of them).
std::vector<uint8_t> read_image_file(const std::string& path);
// The same for a file's bytes already in memory (an upload); messages call it `name`.
Tensor decode_image(std::span<const uint8_t> bytes, const std::string& name,
                    int64_t max_pixels = kDefaultMaxPixels);

// The size of the picture in `bytes` (upright) from its header alone, without decoding it,
// with decode_image's checks of what the header claims; nst::Error naming `name` otherwise.
ImageSize probe_image(std::span<const uint8_t> bytes, const std::string& name,
                      int64_t max_pixels = kDefaultMaxPixels);
// The memory decoding a picture of `size` takes at its peak, in bytes.
int64_t decoded_image_bytes(ImageSize size);

enum class ImageFormat { png, jpeg };
// From the extension (.png, .jpg, .jpeg, any case); throws nst::Error for anything else.
ImageFormat image_format_for_output(const std::string& path);

// How pictures are written (the defaults are JobSettings' too). Each format reads its own.
struct ImageEncoding {
  int jpeg_quality = 95;    // libjpeg's quality, 1..100
  int png_compression = 6;  // zlib's level, 0 (stored, fastest) .. 9 (smallest, slowest)
  int png_bit_depth = 8;    // bits per channel of a PNG: 8, or 16 for prints (JPEG: always 8)
};

// Writes round(255 x) of an image [1, 3, H, W] with values clamped to [0, 1]; without
// `replace`, a file that exists by the time it is written is an error and stays as it was.
void write_image(const std::string& path, const Tensor& image, const ImageEncoding& encoding = {},
                 bool replace = true);

// The bytes of an image file in `format`; messages call it `name`.
std::vector<uint8_t> encode_image(const Tensor& image, ImageFormat format,
                                  const ImageEncoding& encoding = {},
                                  const std::string& name = "image");

ImageSize image_size(const Tensor& image);  // checks the shape is [1, 3, H, W]

// Throws nst::Error naming `what` if a width x height image is empty or has more than
// max_pixels pixels.
void check_pixel_limit(int64_t width, int64_t height, int64_t max_pixels, const std::string& what);

// Orientation handling (exif.cpp): the EXIF orientation (1-8) of a JPEG's APP1 segment, or
// 1 when there is none; and the upright image for a stored one with that orientation.
int exif_orientation(const uint8_t* app1, std::size_t size);
Tensor apply_orientation(const Tensor& stored, int orientation);

}  // namespace nst
