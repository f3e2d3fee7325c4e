// PNG and JPEG decoding (with EXIF orientation), as read_image does it, under a pixel limit of
// 16 M so that a valid large image is not mistaken for a memory bomb.
#include "fuzz/fuzz_input.h"
#include "nst/image.h"
#include "nst/image_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  constexpr int64_t kMaxPixels = int64_t{1} << 24;
  const std::span<const uint8_t> bytes(data, size);
  nst::fuzz::expect_errors_only([&] { nst::decode_png(bytes, "fuzz.png", kMaxPixels); });
  nst::fuzz::expect_errors_only([&] { nst::decode_jpeg(bytes, "fuzz.jpg", kMaxPixels); });
  nst::exif_orientation(data, size);
  return 0;
}
