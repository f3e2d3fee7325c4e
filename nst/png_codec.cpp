// PNG through libpng. Reading uses the simplified API: it expands palettes, converts grey and
// 16-bit images to 8-bit sRGB, and composites alpha onto the background colour we give it
// (white). Writing uses the full API, which can set the compression level.
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <memory>
#include <new>

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

// libpng's full writing API, for the one thing the simplified one lacks: the zlib level.
// libpng reports errors by longjmp; the writer keeps its message and what was written.
struct PngWriter {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::vector<uint8_t> bytes;
  char message[200] = "";
  bool out_of_memory = false;

  PngWriter() {
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, this, on_error, on_warning);
    if (png != nullptr) info = png_create_info_struct(png);
  }
  ~PngWriter() { png_destroy_write_struct(&png, &info); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;

  static PngWriter& of(png_structp png) { return *static_cast<PngWriter*>(png_get_error_ptr(png)); }
  static void on_error(png_structp png, png_const_charp text) {
    std::snprintf(of(png).message, sizeof of(png).message, "%s", text);
    png_longjmp(png, 1);
  }
  static void on_warning(png_structp, png_const_charp) {}
  static void on_write(png_structp png, png_bytep data, std::size_t size) {
    PngWriter& writer = of(png);
    try {
      writer.bytes.insert(writer.bytes.end(), data, data + size);
    } catch (const std::bad_alloc&) {
      writer.out_of_memory = true;
    }
    if (writer.out_of_memory) png_error(png, "out of memory");
  }
  static void on_flush(png_structp) {}
};

// 16-bit interleaved RGB samples, big-endian as PNG stores them: round(65535 x), x clamped to
// [0, 1].
std::vector<uint8_t> to_rgb16_big_endian(const Tensor& image) {
  const ImageSize size = image_size(image);
  const int64_t plane = static_cast<int64_t>(size.width) * size.height;
  std::vector<uint8_t> rgb(static_cast<std::size_t>(6 * plane));
  const float* in = image.data();
  for (int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) {
      const float v = std::clamp(in[c * plane + i], 0.0f, 1.0f);
      const auto sample = static_cast<uint16_t>(std::lround(65535.0f * v));
      rgb[6 * i + 2 * c] = static_cast<uint8_t>(sample >> 8);
      rgb[6 * i + 2 * c + 1] = static_cast<uint8_t>(sample & 0xFF);
    }
  }
  return rgb;
}

// Writes RGB rows of `bit_depth` bits per sample into writer.bytes; false (with
// writer.message) if libpng failed. Only plain values live in this frame, so the longjmp back
// to setjmp skips no destructor.
bool write_png(PngWriter& writer, const uint8_t* rgb, png_uint_32 width, png_uint_32 height,
               int level, int bit_depth) {
  png_structp png = writer.png;
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_set_write_fn(png, &writer, PngWriter::on_write, PngWriter::on_flush);
  png_set_compression_level(png, level);
  png_set_IHDR(png, writer.info, width, height, bit_depth, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, writer.info);
  const std::size_t row_bytes = std::size_t{width} * 3 * (bit_depth / 8);
  for (png_uint_32 row = 0; row < height; ++row) png_write_row(png, rgb + row * row_bytes);
  png_write_end(png, nullptr);
  return true;
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

std::vector<uint8_t> encode_png(const Tensor& image, int level, int bit_depth,
                                const std::string& path) {
  const std::vector<uint8_t> rgb = bit_depth == 16 ? to_rgb16_big_endian(image) : to_rgb8(image);
  PngWriter writer;
  NST_CHECK(writer.png != nullptr && writer.info != nullptr, path, ": cannot encode PNG: ",
            "out of memory");
  NST_CHECK(write_png(writer, rgb.data(), static_cast<png_uint_32>(image.dim(3)),
                      static_cast<png_uint_32>(image.dim(2)), level, bit_depth),
            path, ": cannot encode PNG: ", writer.message);
  return std::move(writer.bytes);
}

}  // namespace nst
