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

}  // namespace

Tensor decode_png(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels) {
  PngImage png;
  NST_CHECK(png_image_begin_read_from_memory(&png.image, file.data(), file.size()) != 0, path,
            ": corrupt PNG: ", png.image.message);
  // Without this flag libpng takes 16-bit samples that carry no gamma information as linear
  // light and brightens them on conversion; such files are almost always sRGB, like 8-bit
  // ones. (It must be set here: beginning a read clears the flags.)
  png.image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  check_pixel_limit(png.image.width, png.image.height, max_pixels, path);
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
