// Image reading and writing: every PNG and JPEG variant the tool accepts, EXIF orientations,
// resizing, and bad files. The test images are written here with libpng and libjpeg directly.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <functional>
// jpeglib.h needs FILE and size_t first.
#include <jpeglib.h>

#include "nst/image.h"
#include "nst/resize.h"
#include "tensor/error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::TempDir;

// The RGB value at (x, y) of an image [1, 3, H, W], as 0..255.
std::array<int, 3> pixel(const Tensor& image, int x, int y) {
  const ImageSize s = image_size(image);
  std::array<int, 3> rgb{};
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(
        std::lround(255 * image.data()[(static_cast<int64_t>(c) * s.height + y) * s.width + x]));
  }
  return rgb;
}

void expect_pixel(const Tensor& image, int x, int y, std::array<int, 3> want, int tolerance) {
  const auto got = pixel(image, x, y);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(got[c], want[c], tolerance) << "channel " << c << " at (" << x << ", " << y << ")";
  }
}

// Writes a PNG with libpng's full API: any colour type and bit depth, optional palette/tRNS.
void write_png(const std::string& path, int width, int height, int color_type, int bit_depth,
               const std::function<std::vector<uint8_t>(int y)>& row,
               const std::vector<png_color>& palette = {}, const std::vector<uint8_t>& trns = {}) {
  FILE* f = std::fopen(path.c_str(), "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!trns.empty()) png_set_tRNS(png, info, trns.data(), static_cast<int>(trns.size()), nullptr);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) {
    std::vector<uint8_t> r = row(y);
    png_write_row(png, r.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

struct JpegOptions {
  J_COLOR_SPACE space = JCS_RGB;
  int components = 3;
  bool progressive = false;
  int orientation = 0;  // 0: no EXIF
};

// Writes a JPEG at quality 100; `sample(x, y, c)` gives component c of pixel (x, y).
void write_jpeg(const std::string& path, int width, int height, const JpegOptions& o,
                const std::function<uint8_t(int, int, int)>& sample) {
  jpeg_compress_struct info{};
  jpeg_error_mgr err{};
  info.err = jpeg_std_error(&err);
  jpeg_create_compress(&info);
  FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_stdio_dest(&info, f);
  info.image_width = width;
  info.image_height = height;
  info.input_components = o.components;
  info.in_color_space = o.space;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  if (o.progressive) jpeg_simple_progression(&info);
  jpeg_start_compress(&info, TRUE);
  if (o.orientation > 0) {  // "Exif\0\0", little-endian TIFF, IFD0 with one SHORT entry 0x0112
    const uint8_t exif[] = {'E', 'x',  'i',  'f', 0,
                            0,   'I',  'I',  42,  0,
                            8,   0,    0,    0,   1,
                            0,   0x12, 0x01, 3,   0,
                            1,   0,    0,    0,   static_cast<uint8_t>(o.orientation),
                            0,   0,    0,    0,   0,
                            0,   0};
    jpeg_write_marker(&info, JPEG_APP0 + 1, exif, sizeof exif);
  }
  std::vector<uint8_t> row(static_cast<std::size_t>(width * o.components));
  while (info.next_scanline < info.image_height) {
    const int y = static_cast<int>(info.next_scanline);
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < o.components; ++c) row[x * o.components + c] = sample(x, y, c);
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&info, rows, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(f);
}

TEST(ImageIo, PngRoundTripIsExact) {
  TempDir dir;
  Tensor image(Shape{1, 3, 5, 7});
  for (int64_t i = 0; i < image.numel(); ++i)
    image.data()[i] = static_cast<float>(i * 37 % 256) / 255.0f;
  write_image(dir.file("a.png"), image);
  EXPECT_TRUE(all_close(read_image(dir.file("a.png")), image, 0, 1e-7));
  write_image(dir.file("b.PNG"), image);  // the extension's case does not matter
  EXPECT_TRUE(std::filesystem::exists(dir.file("b.PNG")));
}

TEST(ImageIo, PngGreyPaletteSixteenBitAndAlpha) {
  TempDir dir;
  write_png(dir.file("grey8.png"), 4, 2, PNG_COLOR_TYPE_GRAY, 8, [](int) {
    return std::vector<uint8_t>{0, 64, 128, 255};
  });
  Tensor grey = read_image(dir.file("grey8.png"));
  expect_pixel(grey, 1, 1, {64, 64, 64}, 0);
  expect_pixel(grey, 3, 0, {255, 255, 255}, 0);

  // 16-bit samples, big-endian: 0x8080 is 128/255 exactly.
  write_png(dir.file("rgb16.png"), 2, 1, PNG_COLOR_TYPE_RGB, 16, [](int) {
    return std::vector<uint8_t>{0x80, 0x80, 0, 0, 0xff, 0xff, 0x10, 0x10, 0x20, 0x20, 0x30, 0x30};
  });
  Tensor rgb16 = read_image(dir.file("rgb16.png"));
  expect_pixel(rgb16, 0, 0, {128, 0, 255}, 0);
  expect_pixel(rgb16, 1, 0, {16, 32, 48}, 0);
  write_png(dir.file("grey16.png"), 1, 1, PNG_COLOR_TYPE_GRAY, 16, [](int) {
    return std::vector<uint8_t>{0x40, 0x40};
  });
  expect_pixel(read_image(dir.file("grey16.png")), 0, 0, {64, 64, 64}, 0);

  // A palette whose entry 1 is fully transparent: it comes out white.
  const std::vector<png_color> palette{{200, 10, 20}, {0, 0, 0}, {30, 40, 50}};
  write_png(dir.file("palette.png"), 3, 1, PNG_COLOR_TYPE_PALETTE, 8,
            [](int) {
              return std::vector<uint8_t>{0, 1, 2};
            },
            palette, {255, 0, 255});
  Tensor pal = read_image(dir.file("palette.png"));
  expect_pixel(pal, 0, 0, {200, 10, 20}, 0);
  expect_pixel(pal, 1, 0, {255, 255, 255}, 0);
  expect_pixel(pal, 2, 0, {30, 40, 50}, 0);

  // RGBA: opaque keeps its colour, transparent becomes white, half-transparent lies between.
  write_png(dir.file("rgba.png"), 3, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8,
            [](int) { return std::vector<uint8_t>{10, 20, 30, 255, 10, 20, 30, 0, 0, 0, 0, 128}; });
  Tensor rgba = read_image(dir.file("rgba.png"));
  expect_pixel(rgba, 0, 0, {10, 20, 30}, 0);
  expect_pixel(rgba, 1, 0, {255, 255, 255}, 0);
  const auto half = pixel(rgba, 2, 0);
  EXPECT_GT(half[0], 60);
  EXPECT_LT(half[0], 200);
  write_png(dir.file("ga.png"), 1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, [](int) {
    return std::vector<uint8_t>{0, 0};
  });
  expect_pixel(read_image(dir.file("ga.png")), 0, 0, {255, 255, 255}, 0);
}

// Flat colour blocks survive JPEG compression at quality 100 within a few levels.
constexpr int kJpegTolerance = 4;

TEST(ImageIo, JpegBaselineProgressiveGreyAndCmyk) {
  TempDir dir;
  auto colour = [](int x, int, int c) -> uint8_t {
    return x < 16 ? std::array<uint8_t, 3>{200, 40, 60}[c] : std::array<uint8_t, 3>{20, 90, 220}[c];
  };
  for (bool progressive : {false, true}) {
    const std::string path = dir.file(progressive ? "p.jpg" : "b.jpg");
    write_jpeg(path, 32, 16, {.progressive = progressive}, colour);
    Tensor image = read_image(path);
    EXPECT_EQ(image_size(image).width, 32);
    expect_pixel(image, 4, 8, {200, 40, 60}, kJpegTolerance);
    expect_pixel(image, 28, 8, {20, 90, 220}, kJpegTolerance);
  }
  write_jpeg(dir.file("g.jpg"), 16, 16, {.space = JCS_GRAYSCALE, .components = 1},
             [](int, int, int) -> uint8_t { return 90; });
  expect_pixel(read_image(dir.file("g.jpg")), 8, 8, {90, 90, 90}, kJpegTolerance);
  // Adobe-style CMYK (stored inverted: 255 = no ink). Ink c=0, m=255, y=255, k=0 is red.
  write_jpeg(dir.file("cmyk.jpg"), 16, 16, {.space = JCS_CMYK, .components = 4},
             [](int, int, int c) -> uint8_t {
               return std::array<uint8_t, 4>{255, 0, 0, 255}[c];
             });
  expect_pixel(read_image(dir.file("cmyk.jpg")), 8, 8, {255, 0, 0}, kJpegTolerance);
}

TEST(ImageIo, ExifOrientationsOneToEight) {
  // Stored 32x16 with quadrants: top-left red, top-right green, bottom-left blue, bottom-right
  // white. From the EXIF definition of each orientation: the displayed size, and the colours
  // at the displayed top-left and top-right corners.
  const std::array<int, 3> R{255, 0, 0}, G{0, 255, 0}, B{0, 0, 255}, W{255, 255, 255};
  struct Case {
    int orientation, width, height;
    std::array<int, 3> top_left, top_right;
  };
  const Case cases[] = {{1, 32, 16, R, G}, {2, 32, 16, G, R}, {3, 32, 16, W, B}, {4, 32, 16, B, W},
                        {5, 16, 32, R, B}, {6, 16, 32, B, R}, {7, 16, 32, W, G}, {8, 16, 32, G, W}};
  TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE("orientation " + std::to_string(c.orientation));
    const std::string path = dir.file("orientation" + std::to_string(c.orientation) + ".jpg");
    write_jpeg(path, 32, 16, {.orientation = c.orientation}, [&](int x, int y, int ch) -> uint8_t {
      const auto& colour = y < 8 ? (x < 16 ? R : G) : (x < 16 ? B : W);
      return static_cast<uint8_t>(colour[ch]);
    });
    Tensor image = read_image(path);
    ASSERT_EQ(image_size(image).width, c.width);
    ASSERT_EQ(image_size(image).height, c.height);
    expect_pixel(image, 2, 2, c.top_left, kJpegTolerance * 2);
    expect_pixel(image, c.width - 3, 2, c.top_right, kJpegTolerance * 2);
  }
}

TEST(ImageIo, JpegWriteHonoursQuality) {
  TempDir dir;
  Tensor image = testing::random_tensor(Shape{1, 3, 32, 32}, 5, 0.0f, 1.0f);
  write_image(dir.file("hq.jpg"), image, {.jpeg_quality = 95});
  write_image(dir.file("lq.jpeg"), image, {.jpeg_quality = 10});
  EXPECT_GT(std::filesystem::file_size(dir.file("hq.jpg")),
            std::filesystem::file_size(dir.file("lq.jpeg")));
  EXPECT_EQ(image_size(read_image(dir.file("lq.jpeg"))).width, 32);
}

TEST(ImageIo, PngWriteHonoursCompressionAndStaysLossless) {
  TempDir dir;
  // A smooth gradient, which zlib can pack (noise it cannot).
  Tensor image(Shape{1, 3, 64, 96});
  float* pixel = image.data();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < 64; ++y)
      for (int64_t x = 0; x < 96; ++x) *pixel++ = static_cast<float>((x + y * c) % 97) / 96.0f;
  write_image(dir.file("stored.png"), image, {.png_compression = 0});
  write_image(dir.file("packed.png"), image, {.png_compression = 9});
  // Level 0 stores the filtered rows: at least 64 rows of 1 + 96 * 3 bytes.
  EXPECT_GE(std::filesystem::file_size(dir.file("stored.png")), 64u * (1 + 96 * 3));
  EXPECT_LT(std::filesystem::file_size(dir.file("packed.png")) * 4,
            std::filesystem::file_size(dir.file("stored.png")));
  const Tensor stored = read_image(dir.file("stored.png"));
  const Tensor packed = read_image(dir.file("packed.png"));
  ASSERT_EQ(stored.numel(), image.numel());
  for (int64_t i = 0; i < image.numel(); ++i) {
    ASSERT_EQ(stored.data()[i], packed.data()[i]) << i;
    ASSERT_NEAR(stored.data()[i], image.data()[i], 0.5f / 255 + 1e-6f) << i;  // 8-bit rounding
  }
  EXPECT_NE(testing::error_of([&] { encode_image(image, ImageFormat::png, {.png_compression = 10}); })
                .find("PNG compression must be 0..9, got 10"),
            std::string::npos);
}

// The samples of a PNG as libpng stores them (rows of big-endian 16-bit values for a 16-bit
// RGB file), and its bit depth: what nst's 8-bit reader cannot show.
struct RawPng {
  int bit_depth = 0, color_type = -1;
  std::vector<uint16_t> samples;
};
RawPng read_raw_png(const std::string& path) {
  RawPng raw;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return raw;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png)) == 0) {
    png_init_io(png, file);
    png_read_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
    raw.bit_depth = png_get_bit_depth(png, info);
    raw.color_type = png_get_color_type(png, info);
    const png_uint_32 width = png_get_image_width(png, info);
    const png_bytepp rows = png_get_rows(png, info);
    for (png_uint_32 y = 0; y < png_get_image_height(png, info); ++y) {
      for (png_uint_32 i = 0; i < width * 3; ++i) {
        raw.samples.push_back(raw.bit_depth == 16 ? uint16_t(rows[y][2 * i] << 8 | rows[y][2 * i + 1])
                                                  : rows[y][i]);
      }
    }
  }
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(file);
  return raw;
}

TEST(ImageIo, SixteenBitPngKeepsWhatEightBitsRound) {
  TempDir dir;
  // Values between 8-bit steps, which 16 bits keep to 1/65535.
  const Tensor image = testing::random_tensor(Shape{1, 3, 5, 7}, 11, -0.1f, 1.1f);
  write_image(dir.file("16.png"), image, {.png_bit_depth = 16});
  const RawPng raw = read_raw_png(dir.file("16.png"));
  EXPECT_EQ(raw.bit_depth, 16);
  EXPECT_EQ(raw.color_type, PNG_COLOR_TYPE_RGB);
  ASSERT_EQ(raw.samples.size(), 3u * 5 * 7);
  const int64_t plane = 5 * 7;
  for (int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) {
      const float v = std::clamp(image.data()[c * plane + i], 0.0f, 1.0f);
      ASSERT_EQ(raw.samples[3 * i + c], std::lround(65535.0f * v)) << i << " " << c;
    }
  }
  // nst reads it back as 8 bits, as it reads every PNG.
  const Tensor back = read_image(dir.file("16.png"));
  for (int64_t i = 0; i < image.numel(); ++i)
    ASSERT_NEAR(back.data()[i], std::clamp(image.data()[i], 0.0f, 1.0f), 0.5f / 255 + 1e-6f);
  write_image(dir.file("8.png"), image);
  EXPECT_EQ(read_raw_png(dir.file("8.png")).bit_depth, 8);
  EXPECT_NE(testing::error_of([&] { encode_image(image, ImageFormat::png, {.png_bit_depth = 12}); })
                .find("PNG bit depth must be 8 or 16, got 12"),
            std::string::npos);
}

void expect_read_error(const std::string& path, const std::string& fragment,
                       int64_t max_pixels = kDefaultMaxPixels) {
  const std::string m = testing::error_of([&] { read_image(path, max_pixels); });
  EXPECT_TRUE(m.starts_with(path)) << m;
  EXPECT_NE(m.find(fragment), std::string::npos) << m;
}

TEST(ImageIo, BadFilesAreClearErrors) {
  TempDir dir;
  Tensor image = testing::random_tensor(Shape{1, 3, 40, 50}, 6, 0.0f, 1.0f);
  write_image(dir.file("ok.png"), image);
  write_image(dir.file("ok.jpg"), image);
  const std::string png = testing::read_bytes(dir.file("ok.png")),
                    jpg = testing::read_bytes(dir.file("ok.jpg"));

  expect_read_error(dir.file("missing.png"), "no such file");
  expect_read_error(dir.write("empty.png", ""), "the file is empty");
  expect_read_error(dir.write("text.png", "hello, I am not a picture"), "not a PNG or JPEG");
  expect_read_error(dir.write("cut.png", png.substr(0, png.size() / 2)), "PNG");
  expect_read_error(dir.write("cut.jpg", jpg.substr(0, jpg.size() / 2)), "truncated JPEG");
  expect_read_error(dir.write("header.jpg", jpg.substr(0, 40)), "JPEG");
  std::filesystem::create_directory(dir.file("folder.jpg"));
  expect_read_error(dir.file("folder.jpg"), "is a directory");
  expect_read_error(dir.file("ok.png"), "over the limit of 1000", 1000);
  expect_read_error(dir.file("ok.jpg"), "50x40 = 2000 pixels", 1000);
  // A PNG renamed .jpg is still read as what it is.
  EXPECT_EQ(image_size(read_image(dir.write("really_png.jpg", png))).width, 50);
}

// A PNG that claims an 8-bit RGB image of the given size and holds almost no image data: the
// header chunk, an image-data chunk with an empty zlib stream, and the end chunk (valid
// signature and chunk CRCs).
std::string png_without_data(uint32_t width, uint32_t height) {
  auto crc32 = [](const std::string& bytes) {
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char b : bytes) {
      crc ^= b;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
  };
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const std::string ihdr =
      "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  const std::string idat = "IDAT" + std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + ihdr + be32(crc32(ihdr)) + be32(8) +
         idat + be32(crc32(idat)) + be32(0) + "IEND" + be32(crc32("IEND"));
}

TEST(ImageIo, ZeroSizedImageIsAnError) {
  TempDir dir;
  const std::string path = dir.write("zero.png", png_without_data(0, 5));
  const std::string m = testing::error_of([&] { read_image(path); });
  EXPECT_TRUE(m.starts_with(path)) << m;
  EXPECT_NE(m.find("corrupt PNG: Invalid IHDR"), std::string::npos) << m;  // libpng refuses it
}

// Small files that claim enormous pictures (16383 x 16383 is under the default pixel limit)
// are refused from their size before anything that large is allocated or decoded.
TEST(ImageIo, TinyFilesClaimingHugePicturesAreRefusedAtOnce) {
  TempDir dir;
  const std::string png = dir.write("huge.png", png_without_data(16383, 16383));
  expect_read_error(png, "truncated PNG: it claims 16383x16383 pixels, more than its 65 bytes");
  for (bool progressive : {false, true}) {
    const std::string small = dir.file("small.jpg");
    write_jpeg(small, 16, 16, {.progressive = progressive}, [](int, int, int) { return 128; });
    std::string bytes = testing::read_bytes(small);
    const std::size_t sof = bytes.find(progressive ? "\xff\xc2" : "\xff\xc0");
    ASSERT_NE(sof, std::string::npos);
    bytes.replace(sof + 5, 4, "\x3f\xff\x3f\xff");  // height and width: 16383
    const std::string huge = dir.write("huge.jpg", bytes);
    expect_read_error(huge, "truncated JPEG: it claims 16383x16383 pixels");
  }
}

TEST(ImageIo, WritingFailsCleanly) {
  TempDir dir;
  Tensor image = Tensor::full(Shape{1, 3, 4, 4}, 0.5f);
  EXPECT_THROW(write_image(dir.file("out.bmp"), image), Error);
  EXPECT_THROW(write_image(dir.file("no/such/folder/out.png"), image), Error);
  EXPECT_THROW(image_format_for_output(dir.file("noextension")), Error);
  for (const auto& entry : std::filesystem::directory_iterator(dir.file(""))) {
    ADD_FAILURE() << "left behind: " << entry.path();  // nothing, not even a temporary
  }
}

TEST(Resize, KeepsSizeAndValuesWhereItShould) {
  Tensor image = testing::random_tensor(Shape{1, 3, 30, 40}, 7, 0.0f, 1.0f);
  EXPECT_TRUE(resize_image(image, {40, 30}).same_storage(image));  // no resampling at all
  const Tensor flat = Tensor::full(Shape{1, 3, 30, 40}, 0.25f);
  for (ImageSize size : {ImageSize{13, 9}, ImageSize{80, 61}, ImageSize{40, 7}}) {
    const Tensor r = resize_image(flat, size);
    EXPECT_EQ(image_size(r).width, size.width);
    EXPECT_EQ(image_size(r).height, size.height);
    for (float v : r.values()) EXPECT_NEAR(v, 0.25f, 1e-5);  // a flat image stays flat
  }
  const ImageSize fitted = fit_longest_side({4032, 3024}, 512);
  EXPECT_EQ(fitted.width, 512);
  EXPECT_EQ(fitted.height, 384);
  EXPECT_EQ(fit_longest_side({10, 3000}, 100).width, 1);
  EXPECT_TRUE(shrink_to_fit(image, 40).same_storage(image));  // it fits
  const Tensor shrunk = shrink_to_fit(image, 20);
  EXPECT_EQ(image_size(shrunk).width, 20);
  EXPECT_EQ(image_size(shrunk).height, 15);
}

TEST(Resize, ShrinkingAveragesInsteadOfAliasing) {
  // One-pixel stripes, black and white, shrunk 4x: an antialiased filter gives mid-grey
  // everywhere; point sampling would give all black or all white.
  Tensor stripes(Shape{1, 3, 8, 64});
  for (int64_t i = 0; i < stripes.numel(); ++i) stripes.data()[i] = static_cast<float>(i % 2);
  const Tensor small = resize_image(stripes, {16, 2});
  for (int x = 2; x < 14; ++x) EXPECT_NEAR(small.data()[x], 0.5f, 0.02f) << x;
}

}  // namespace
}  // namespace nst
