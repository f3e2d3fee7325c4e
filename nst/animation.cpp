#include "nst/animation.h"

#include <gif_lib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "files/atomic_write.h"
#include "files/mapped_file.h"
#include "nst/image_internal.h"
#include "nst/palette.h"
#include "nst/resize.h"
#include "tensor/error.h"

namespace nst {
namespace {

[[noreturn]] void fail_gif(const char* what, int error) {
  fail("writing the animation: ", what, " failed: ", GifErrorString(error));
}

// giflib's input callback for continue_from: the next bytes of a file in memory.
struct GifReader {
  std::span<const uint8_t> bytes;
  std::size_t at = 0;
};
int read_bytes(GifFileType* gif, GifByteType* out, int length) {
  auto* reader = static_cast<GifReader*>(gif->UserData);
  const std::size_t n = std::min<std::size_t>(length, reader->bytes.size() - reader->at);
  std::copy_n(reader->bytes.data() + reader->at, n, out);
  reader->at += n;
  return static_cast<int>(n);
}

// giflib's output callback: append to the string behind the file's user pointer.
int append_bytes(GifFileType* gif, const GifByteType* bytes, int length) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(bytes), length);
  return length;
}

}  // namespace

struct AnimationRecorder::Encoder {
  std::string bytes;
  GifFileType* gif = nullptr;
  ~Encoder() {
    if (gif != nullptr) EGifCloseFile(gif, nullptr);
  }

  // A GIF89a of `size` that loops forever, without frames yet.
  explicit Encoder(ImageSize size) {
    int error = 0;
    gif = EGifOpen(&bytes, append_bytes, &error);
    if (gif == nullptr) fail_gif("EGifOpen", error);
    EGifSetGifVersion(gif, true);  // GIF89a: frame delays and looping
    if (EGifPutScreenDesc(gif, size.width, size.height, 8, 0, nullptr) == GIF_ERROR)
      fail_gif("EGifPutScreenDesc", gif->Error);
    // The NETSCAPE2.0 application extension: loop forever (count 0).
    static const GifByteType kNetscape[] = {'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
    static const GifByteType kLoopForever[] = {1, 0, 0};
    if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, sizeof kNetscape, kNetscape) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, sizeof kLoopForever, kLoopForever) == GIF_ERROR ||
        EGifPutExtensionTrailer(gif) == GIF_ERROR) {
      fail_gif("the loop extension", gif->Error);
    }
  }

  // One frame of `size`: its delay, its own 256-colour palette, and its palette indices.
  void put(ImageSize size, int delay, const GifByteType* indices, const GifColorType* palette) {
    const GraphicsControlBlock control{.DisposalMode = DISPOSE_DO_NOT,
                                       .UserInputFlag = false,
                                       .DelayTime = delay,
                                       .TransparentColor = NO_TRANSPARENT_COLOR};
    GifByteType extension[4];
    EGifGCBToExtension(&control, extension);
    if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, sizeof extension, extension) == GIF_ERROR)
      fail_gif("the frame's delay", gif->Error);
    ColorMapObject* map = GifMakeMapObject(256, palette);
    NST_CHECK(map != nullptr, "writing the animation: out of memory for a palette");
    const int put = EGifPutImageDesc(gif, 0, 0, size.width, size.height, false, map);
    GifFreeMapObject(map);
    if (put == GIF_ERROR) fail_gif("EGifPutImageDesc", gif->Error);
    for (int y = 0; y < size.height; ++y) {
      // (giflib takes a non-const row, and does not write to it.)
      auto* row = const_cast<GifByteType*>(indices) + static_cast<std::size_t>(y) * size.width;
      if (EGifPutLine(gif, row, size.width) == GIF_ERROR) fail_gif("EGifPutLine", gif->Error);
    }
  }
};

ImageSize animation_size(ImageSize output) {
  return std::max(output.width, output.height) <= kAnimationLongestSide
             ? output
             : fit_longest_side(output, kAnimationLongestSide);
}

int default_animation_every(int iterations) { return std::max(1, iterations / kAnimationFrames); }

AnimationRecorder::AnimationRecorder(ImageSize size, int delay_centiseconds)
    : size_(size), delay_(delay_centiseconds) {
  NST_CHECK(size.width > 0 && size.height > 0 && size.width <= 65535 && size.height <= 65535,
            "an animation of ", size.width, "x", size.height,
            " pixels: a GIF's sides are 1 to 65535 pixels");
  encoder_ = std::make_unique<Encoder>(size);
}

AnimationRecorder::~AnimationRecorder() = default;

void AnimationRecorder::add(const Tensor& picture) {
  NST_CHECK(encoder_->gif != nullptr, "the animation is finished; it takes no more frames");
  const Tensor frame = resize_image(picture, size_);  // the picture itself at that size
  const std::vector<uint8_t> rgb = to_rgb8(frame);
  IndexedPicture indexed = quantize_colors(rgb.data(), int64_t{size_.width} * size_.height);
  GifColorType palette[256] = {};  // a GIF palette has a power-of-two size: the rest stay black
  for (std::size_t i = 0; i < indexed.palette.size(); ++i)
    palette[i] = {indexed.palette[i][0], indexed.palette[i][1], indexed.palette[i][2]};
  encoder_->put(size_, delay_, indexed.indices.data(), palette);
  ++frames_;
}

bool AnimationRecorder::continue_from(const std::string& path, int frames) {
  NST_CHECK(frames_ == 0 && encoder_->gif != nullptr, "continue_from comes before any frame");
  if (frames < 1) return false;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const MappedFile file(path);
  GifReader reader{file.bytes()};
  int error = 0;
  GifFileType* gif = DGifOpen(&reader, read_bytes, &error);
  if (gif == nullptr) return false;
  const std::unique_ptr<GifFileType, void (*)(GifFileType*)> closing(
      gif, [](GifFileType* g) { DGifCloseFile(g, nullptr); });
  if (gif->SWidth != size_.width || gif->SHeight != size_.height) return false;
  // Frames go to a new encoder, which replaces ours only once all of them are copied.
  auto copy = std::make_unique<Encoder>(size_);
  std::vector<GifByteType> indices(static_cast<std::size_t>(size_.width) * size_.height);
  int copied = 0;
  GifRecordType record = UNDEFINED_RECORD_TYPE;
  while (copied < frames) {
    if (DGifGetRecordType(gif, &record) == GIF_ERROR || record == TERMINATE_RECORD_TYPE)
      return false;
    if (record == EXTENSION_RECORD_TYPE) {  // ours are the loop and the delays: written anew
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) return false;
      while (block != nullptr) {
        if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) return false;
      }
      continue;
    }
    if (record != IMAGE_DESC_RECORD_TYPE || DGifGetImageDesc(gif) == GIF_ERROR) return false;
    const GifImageDesc& desc = gif->Image;
    if (desc.Left != 0 || desc.Top != 0 || desc.Width != size_.width ||
        desc.Height != size_.height || desc.Interlace || desc.ColorMap == nullptr ||
        desc.ColorMap->ColorCount != 256) {
      return false;  // not a frame this recorder wrote
    }
    for (int y = 0; y < size_.height; ++y) {
      if (DGifGetLine(gif, indices.data() + static_cast<std::size_t>(y) * size_.width,
                      size_.width) == GIF_ERROR) {
        return false;
      }
    }
    copy->put(size_, delay_, indices.data(), desc.ColorMap->Colors);
    ++copied;
  }
  encoder_ = std::move(copy);
  frames_ = copied;
  return true;
}

void AnimationRecorder::save(const std::string& path) const {
  NST_CHECK(encoder_->gif != nullptr && frames_ > 0, path,
            ": an animation is saved while it has frames and is not finished");
  // Every frame put so far is complete in the bytes (giflib flushes a frame's last line), so
  // the GIF so far is those bytes and the trailer.
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(encoder_->bytes.data(), encoder_->bytes.size());
    out.put(';');
  });
}

void AnimationRecorder::finish(const std::string& path, bool replace) {
  NST_CHECK(encoder_->gif != nullptr, "the animation is finished already");
  NST_CHECK(frames_ > 0, path, ": an animation needs at least one frame");
  int error = 0;
  const int closed = EGifCloseFile(encoder_->gif, &error);  // writes the trailer
  encoder_->gif = nullptr;
  if (closed == GIF_ERROR) fail_gif("EGifCloseFile", error);
  write_file_atomically(
      path, [&](std::ostream& out) { out.write(encoder_->bytes.data(), encoder_->bytes.size()); },
      replace);
  encoder_->bytes = std::string();
}

}  // namespace nst
