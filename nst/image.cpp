#include "nst/image.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "files/atomic_write.h"
#include "nst/image_internal.h"
#include "tensor/error.h"

namespace nst {

ImageSize image_size(const Tensor& image) {
  const Shape& s = image.shape();
  NST_CHECK(s.rank() == 4 && s[0] == 1 && s[1] == 3, "an image must be [1, 3, H, W], got ", s);
  return {static_cast<int>(s[3]), static_cast<int>(s[2])};
}

void check_pixel_limit(int64_t width, int64_t height, int64_t max_pixels, const std::string& path) {
  NST_CHECK(width > 0 && height > 0, path, ": the image has no pixels (", width, "x", height, ")");
  NST_CHECK(width * height <= max_pixels, path, ": the image is ", width, "x", height, " = ",
            width * height, " pixels, over the limit of ", max_pixels,
            " (raise it with --max-pixels if you mean it)");
}

Tensor from_rgb8(const uint8_t* pixels, int width, int height) {
  Tensor t(Shape{1, 3, height, width});
  const int64_t plane = static_cast<int64_t>(width) * height;
  float* out = t.data();
  for (int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) out[c * plane + i] = pixels[3 * i + c] / 255.0f;
  }
  return t;
}

std::vector<uint8_t> to_rgb8(const Tensor& image) {
  const ImageSize size = image_size(image);
  const int64_t plane = static_cast<int64_t>(size.width) * size.height;
  std::vector<uint8_t> rgb(static_cast<std::size_t>(3 * plane));
  const float* in = image.data();
  for (int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) {
      const float v = std::clamp(in[c * plane + i], 0.0f, 1.0f);
      rgb[3 * i + c] = static_cast<uint8_t>(std::lround(255.0f * v));
    }
  }
  return rgb;
}

Tensor read_image(const std::string& path, int64_t max_pixels) {
  return decode_image(read_image_file(path), path, max_pixels);
}

std::vector<uint8_t> read_image_file(const std::string& path) {
  std::error_code ec;
  NST_CHECK(std::filesystem::exists(path, ec), path, ": no such file");
  NST_CHECK(!std::filesystem::is_directory(path, ec), path, ": is a directory, not an image");
  // A device (/dev/zero) would be read until memory runs out, a FIFO would block forever.
  NST_CHECK(std::filesystem::is_regular_file(path, ec), path,
            ": not a regular file (a device, a pipe or a socket), not an image");
  const auto size = std::filesystem::file_size(path, ec);
  NST_CHECK(!ec && size <= kMaxImageFileBytes, path, ": ", size >> 20, " MB, over the limit of ",
            kMaxImageFileBytes >> 20, " MB for an image file");
  std::ifstream in(path, std::ios::binary);
  NST_CHECK(in.is_open(), path, ": cannot open for reading");
  std::vector<uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<std::size_t>(in.gcount()));  // it may have shrunk meanwhile
  NST_CHECK(!bytes.empty(), path, ": the file is empty");
  return bytes;
}

namespace {

// The format from the file's first bytes, not its name; nst::Error naming it for anything else.
ImageFormat sniff_format(std::span<const uint8_t> bytes, const std::string& name) {
  NST_CHECK(!bytes.empty(), name, ": empty, not an image");
  static const uint8_t kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0) return ImageFormat::png;
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return ImageFormat::jpeg;
  fail(name, ": not a PNG or JPEG image (unrecognised content)");
}

}  // namespace

Tensor decode_image(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels) {
  return sniff_format(bytes, name) == ImageFormat::png ? decode_png(bytes, name, max_pixels)
                                                       : decode_jpeg(bytes, name, max_pixels);
}

ImageSize probe_image(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels) {
  return sniff_format(bytes, name) == ImageFormat::png ? probe_png(bytes, name, max_pixels)
                                                       : probe_jpeg(bytes, name, max_pixels);
}

std::string to_string(ImageSize size) {
  return std::to_string(size.width) + "x" + std::to_string(size.height);
}

int64_t decoded_image_bytes(ImageSize size) {
  // 8-bit RGB from the codec, then the float tensor made from it: both live at once.
  return int64_t{size.width} * size.height * 3 * (1 + static_cast<int64_t>(sizeof(float)));
}

std::vector<uint8_t> encode_image(const Tensor& image, ImageFormat format,
                                  const ImageEncoding& encoding, const std::string& name) {
  NST_CHECK(encoding.jpeg_quality >= 1 && encoding.jpeg_quality <= 100,
            "JPEG quality must be 1..100, got ", encoding.jpeg_quality);
  NST_CHECK(encoding.png_compression >= 0 && encoding.png_compression <= 9,
            "PNG compression must be 0..9, got ", encoding.png_compression);
  NST_CHECK(encoding.png_bit_depth == 8 || encoding.png_bit_depth == 16,
            "PNG bit depth must be 8 or 16, got ", encoding.png_bit_depth);
  return format == ImageFormat::png
             ? encode_png(image, encoding.png_compression, encoding.png_bit_depth, name)
             : encode_jpeg(image, encoding.jpeg_quality, name);
}

ImageFormat image_format_for_output(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png") return ImageFormat::png;
  if (ext == ".jpg" || ext == ".jpeg") return ImageFormat::jpeg;
  fail(path, ": unknown output format '", ext.empty() ? "(no extension)" : ext,
       "'; use a .png, .jpg or .jpeg name");
}

void write_image(const std::string& path, const Tensor& image, const ImageEncoding& encoding,
                 bool replace) {
  const std::vector<uint8_t> bytes =
      encode_image(image, image_format_for_output(path), encoding, path);
  write_file_atomically(
      path,
      [&](std::ostream& out) {
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
      },
      replace);
}

}  // namespace nst
