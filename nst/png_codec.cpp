// PNG through libpng's simplified API: it expands palettes, converts grey and 16-bit images to
// 8-bit sRGB, and composites alpha onto the background colour we give it (white).
#include <png.h>

#include <memory>

#include "nst/image.h"
#include "nst/image_internal.h"
#include "tensor/error.h"

namespace nst {
namespace {

struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
};

// The fewest bytes of filtered image data (before compression) a PNG of this size and format
// can have: a filter byte per row and, per pixel, 1 bit for palette or grey images (their
// depth may be 1), 16 bits for grey with alpha, 24 for RGB, 32 for RGBA.
uint64_t min_raw_bytes(const png_image& image) {
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  const bool alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  const bool palette = (image.format & PNG_FORMAT_FLAG_COLORMAP) != 0;
  const uint64_t bits = palette ? 1 : colour ? (alpha ? 32 : 24) : (alpha ? 16 : 1);
  return uint64_t{image.height} * (1 + (uint64_t{image.width} * bits + 7) / 8);
}

// Deflate cannot compress better than 1032:1, so a file whose size could not hold the image
// data it claims is truncated or crafted: say so before allocating the picture.
constexpr uint64_t kDeflateMaxRatio = 1032;

// Reads the header and checks the size it claims.
void begin_read(PngImage& png, std::span<const uint8_t> file, const std::string& path,
                int64_t max_pixels) {
  NST_CHECK(png_image_begin_read_from_memory(&png.image, file.data(), file.size()) != 0, path,
            ": corrupt PNG: ", png.image.message);
  check_pixel_limit(png.image.width, png.image.height, max_pixels, path);
  NST_CHECK(min_raw_bytes(png.image) <= kDeflateMaxRatio * file.size(), path,
            ": truncated PNG: it claims ", png.image.width, "x", png.image.height,
            " pixels, more than its ", file.size(), " bytes can hold");
}

}  // namespace

ImageSize probe_png(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels) {
  PngImage png;
  begin_read(png, file, path, max_pixels);
  return {static_cast<int>(png.image.width), static_cast<int>(png.image.height)};
}

Tensor decode_png(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels) {
  PngImage png;
  begin_read(png, file, path, max_pixels);
  // Without this flag libpng takes 16-bit samples that carry no gamma information as linear
  // light and brightens them on conversion; such files are almost always sRGB, like 8-bit
  // ones. (It must be set after beginning the read, which clears the flags.)
  png.image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  png.image.format = PNG_FORMAT_RGB;  // no alpha: the reader composites onto `white`
  std::vector<uint8_t> rgb(PNG_IMAGE_SIZE(png.image));
  png_color white{255, 255, 255};
  NST_CHECK(png_image_finish_read(&png.image, &white, rgb.data(), 0, nullptr) != 0, path,
            ": corrupt or truncated PNG: ", png.image.message);
  return from_rgb8(rgb.data(), static_cast<int>(png.image.width),
                   static_cast<int>(png.image.height));
}

std::vector<uint8_t> encode_png(const Tensor& image, const std::string& path) {
  const std::vector<uint8_t> rgb = to_rgb8(image);
  PngImage png;
  png.image.width = static_cast<png_uint_32>(image.dim(3));
  png.image.height = static_cast<png_uint_32>(image.dim(2));
  png.image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  NST_CHECK(png_image_write_to_memory(&png.image, nullptr, &size, 0, rgb.data(), 0, nullptr) != 0,
            path, ": cannot encode PNG: ", png.image.message);
  std::vector<uint8_t> bytes(size);
  NST_CHECK(
      png_image_write_to_memory(&png.image, bytes.data(), &size, 0, rgb.data(), 0, nullptr) != 0,
      path, ": cannot encode PNG: ", png.image.message);
  bytes.resize(size);
  return bytes;
}

}  // namespace nst
