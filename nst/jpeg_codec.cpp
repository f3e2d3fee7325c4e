// JPEG through libjpeg-turbo. libjpeg reports errors by longjmp; every object with a
// destructor in decode/encode is declared before setjmp, so the jump skips none (the rule for
// mixing setjmp with C++), and errors become nst::Error after libjpeg is cleaned up.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>

// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "nst/image.h"
#include "nst/image_internal.h"
#include "tensor/error.h"

namespace nst {
namespace {

struct ErrorManager {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  bool past_header = false;  // the image data is being read
};

[[noreturn]] void on_error(j_common_ptr info) {
  auto* err = reinterpret_cast<ErrorManager*>(info->err);
  info->err->format_message(info, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg goes on after a warning. Most warnings are harmless and common in camera files
// (extraneous bytes before a marker, odd progression parameters) and stay silent; the ones
// that mean pixel data is missing stop the decoder at once, before it fills the rest of the
// picture with grey: the data ends early (JWRN_JPEG_EOF), a segment ends early
// (JWRN_HIT_MARKER), or data was skipped to resynchronise (JWRN_MUST_RESYNC). (A file that
// ends inside its header gets libjpeg's own error, which says more.)
void on_message(j_common_ptr info, int level) {
  const int code = info->err->msg_code;
  auto* err = reinterpret_cast<ErrorManager*>(info->err);
  if (level != -1 || !err->past_header) return;  // trace messages
  if (code == JWRN_JPEG_EOF) {
    std::snprintf(err->message, sizeof err->message, "%s",
                  "truncated JPEG: the data ends before the image does");
    std::longjmp(err->jump, 2);
  }
  if (code == JWRN_HIT_MARKER || code == JWRN_MUST_RESYNC) on_error(info);
}

// Each 8x8 block of a Huffman-coded JPEG costs at least one bit (its DC code), so a file
// smaller than that for its largest component is cut short or crafted; refusing it here saves
// the whole-image buffers a progressive decoder would allocate first. (Arithmetic coding can
// go below a bit per block, so it has no such bound.)
bool too_small_for_its_size(const jpeg_decompress_struct& info, std::size_t file_size) {
  if (info.arith_code) return false;
  const uint64_t blocks =
      (uint64_t{info.image_width} + 7) / 8 * ((uint64_t{info.image_height} + 7) / 8);
  return blocks > 8 * uint64_t{file_size};
}

ErrorManager* install(jpeg_error_mgr** slot, ErrorManager& err) {
  *slot = jpeg_std_error(&err.manager);
  err.manager.error_exit = on_error;
  err.manager.emit_message = on_message;
  return &err;
}

// CMYK to RGB. Adobe (Photoshop) writes CMYK inverted: 255 means no ink.
void cmyk_to_rgb(const uint8_t* cmyk, uint8_t* rgb, int width, bool inverted) {
  for (int x = 0; x < width; ++x) {
    const int k = inverted ? cmyk[4 * x + 3] : 255 - cmyk[4 * x + 3];
    for (int c = 0; c < 3; ++c) {
      const int ink = inverted ? cmyk[4 * x + c] : 255 - cmyk[4 * x + c];
      rgb[3 * x + c] = static_cast<uint8_t>((ink * k + 127) / 255);
    }
  }
}

// From the first EXIF segment, kept by jpeg_save_markers; 1 (upright) without one.
int orientation_of(const jpeg_decompress_struct& info) {
  for (jpeg_saved_marker_ptr m = info.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1) return exif_orientation(m->data, m->data_length);
  }
  return 1;
}

}  // namespace

ImageSize probe_jpeg(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels) {
  jpeg_decompress_struct info{};
  ErrorManager err;
  install(&info.err, err);
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&info);
    fail(path, ": corrupt JPEG: ", err.message);
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, file.data(), static_cast<unsigned long>(file.size()));
  jpeg_save_markers(&info, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&info, TRUE);
  const int64_t width = info.image_width, height = info.image_height;
  const bool too_small = too_small_for_its_size(info, file.size());
  const bool turned = orientation_of(info) >= 5;  // 5..8 swap width and height
  jpeg_destroy_decompress(&info);
  check_pixel_limit(width, height, max_pixels, path);
  NST_CHECK(!too_small, path, ": truncated JPEG: it claims ", width, "x", height,
            " pixels, more than its ", file.size(), " bytes can hold");
  return turned ? ImageSize{static_cast<int>(height), static_cast<int>(width)}
                : ImageSize{static_cast<int>(width), static_cast<int>(height)};
}

Tensor decode_jpeg(std::span<const uint8_t> file, const std::string& path, int64_t max_pixels) {
  jpeg_decompress_struct info{};
  ErrorManager err;
  std::vector<uint8_t> rgb, row;
  volatile int orientation = 1;  // set after setjmp: volatile keeps it defined across a jump
  install(&info.err, err);
  if (const int why = setjmp(err.jump); why != 0) {
    jpeg_destroy_decompress(&info);
    fail(path, why == 2 ? ": " : ": corrupt JPEG: ", err.message);
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, file.data(), static_cast<unsigned long>(file.size()));
  jpeg_save_markers(&info, JPEG_APP0 + 1, 0xFFFF);  // APP1 holds EXIF
  jpeg_read_header(&info, TRUE);
  err.past_header = true;
  const int64_t width = info.image_width, height = info.image_height;
  if (width * height > max_pixels || width == 0 || height == 0) {
    jpeg_destroy_decompress(&info);
    check_pixel_limit(width, height, max_pixels, path);
  }
  if (too_small_for_its_size(info, file.size())) {
    jpeg_destroy_decompress(&info);
    fail(path, ": truncated JPEG: it claims ", width, "x", height, " pixels, more than its ",
         file.size(), " bytes can hold");
  }
  orientation = orientation_of(info);  // markers live only until jpeg_finish_decompress
  const bool cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;  // grey is expanded to RGB by libjpeg
  jpeg_start_decompress(&info);
  rgb.resize(static_cast<std::size_t>(3 * width * height));
  row.resize(static_cast<std::size_t>(info.output_components * width));
  while (info.output_scanline < info.output_height) {
    uint8_t* target = rgb.data() + 3 * width * info.output_scanline;
    JSAMPROW rows[1] = {cmyk ? row.data() : target};
    jpeg_read_scanlines(&info, rows, 1);
    if (cmyk) cmyk_to_rgb(row.data(), target, static_cast<int>(width), info.saw_Adobe_marker);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return apply_orientation(from_rgb8(rgb.data(), static_cast<int>(width), static_cast<int>(height)),
                           orientation);
}

std::vector<uint8_t> encode_jpeg(const Tensor& image, int quality, const std::string& path) {
  jpeg_compress_struct info{};
  ErrorManager err;
  const std::vector<uint8_t> rgb = to_rgb8(image);
  std::vector<uint8_t> bytes;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  install(&info.err, err);
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_compress(&info);
    std::free(buffer);
    fail(path, ": cannot encode JPEG: ", err.message);
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(image.dim(3));
  info.image_height = static_cast<JDIMENSION>(image.dim(2));
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  info.optimize_coding = TRUE;
  if (quality >= 90) {  // keep full colour resolution: painted edges are often colour edges
    for (int c = 0; c < info.num_components; ++c) {
      info.comp_info[c].h_samp_factor = 1;
      info.comp_info[c].v_samp_factor = 1;
    }
  }
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW rows[1] = {const_cast<uint8_t*>(rgb.data()) +
                        3 * info.image_width * info.next_scanline};
    jpeg_write_scanlines(&info, rows, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  bytes.assign(buffer, buffer + size);
  std::free(buffer);
  return bytes;
}

}  // namespace nst
