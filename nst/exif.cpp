// The EXIF orientation tag and the eight ways a camera may have stored a picture.
#include <cstring>

#include "nst/image.h"
#include "tensor/error.h"

namespace nst {

int exif_orientation(const uint8_t* app1, std::size_t size) {
  // APP1: "Exif\0\0", then a TIFF header ("II" little- or "MM" big-endian, 42, IFD0 offset),
  // then IFD0: a count and 12-byte entries (tag, type, count, value). Orientation is 0x0112.
  if (size < 14 || std::memcmp(app1, "Exif\0\0", 6) != 0) return 1;
  const uint8_t* tiff = app1 + 6;
  const std::size_t n = size - 6;
  const bool little = tiff[0] == 'I' && tiff[1] == 'I';
  if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
  auto u16 = [&](std::size_t at) -> uint32_t {
    return little ? tiff[at] | tiff[at + 1] << 8 : tiff[at] << 8 | tiff[at + 1];
  };
  auto u32 = [&](std::size_t at) -> uint32_t {
    return little ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2);
  };
  if (u16(2) != 42) return 1;
  const std::size_t ifd = u32(4);
  if (ifd + 2 > n) return 1;
  const uint32_t entries = u16(ifd);
  for (uint32_t i = 0; i < entries; ++i) {
    const std::size_t entry = ifd + 2 + 12 * static_cast<std::size_t>(i);
    if (entry + 12 > n) return 1;
    if (u16(entry) == 0x0112 && u16(entry + 2) == 3 /* SHORT */) {
      const uint32_t value = u16(entry + 8);
      return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
  }
  return 1;
}

Tensor apply_orientation(const Tensor& stored, int orientation) {
  if (orientation == 1) return stored;
  NST_CHECK(orientation >= 2 && orientation <= 8, "EXIF orientation must be 1..8, got ",
            orientation);
  const ImageSize s = image_size(stored);
  const int W = s.width, H = s.height;
  const bool swap = orientation >= 5;  // 5..8 turn the picture by a quarter
  const int out_w = swap ? H : W, out_h = swap ? W : H;
  Tensor upright(Shape{1, 3, out_h, out_w});
  for (int c = 0; c < 3; ++c) {
    const float* in = stored.data() + static_cast<int64_t>(c) * W * H;
    float* out = upright.data() + static_cast<int64_t>(c) * W * H;
    for (int y = 0; y < out_h; ++y) {
      for (int x = 0; x < out_w; ++x) {
        int sx = x, sy = y;  // the stored pixel shown at (x, y)
        switch (orientation) {
          case 2: sx = W - 1 - x; break;  // mirrored
          case 3:
            sx = W - 1 - x;
            sy = H - 1 - y;
            break;                        // upside down
          case 4: sy = H - 1 - y; break;  // mirrored, upside down
          case 5:
            sx = y;
            sy = x;
            break;  // transposed
          case 6:
            sx = y;
            sy = H - 1 - x;
            break;  // needs a quarter turn clockwise
          case 7:
            sx = W - 1 - y;
            sy = H - 1 - x;
            break;  // transversed
          case 8:
            sx = W - 1 - y;
            sy = x;
            break;  // needs a quarter turn anticlockwise
        }
        out[static_cast<int64_t>(y) * out_w + x] = in[static_cast<int64_t>(sy) * W + sx];
      }
    }
  }
  return upright;
}

}  // namespace nst
