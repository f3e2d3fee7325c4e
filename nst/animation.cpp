#include "nst/animation.h"

#include <gif_lib.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "nst/image_internal.h"
#include "nst/palette.h"
#include "nst/resize.h"
#include "tensor/error.h"
#include "weights/atomic_write.h"

namespace nst {
namespace {

[[noreturn]] void fail_gif(const char* what, int error) {
  fail("writing the animation: ", what, " failed: ", GifErrorString(error));
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
};

int default_animation_every(int iterations) { return std::max(1, iterations / kAnimationFrames); }

AnimationRecorder::AnimationRecorder(ImageSize size, int delay_centiseconds)
    : size_(size), delay_(delay_centiseconds), encoder_(std::make_unique<Encoder>()) {
  NST_CHECK(size.width > 0 && size.height > 0 && size.width <= 65535 && size.height <= 65535,
            "an animation of ", size.width, "x", size.height,
            " pixels: a GIF's sides are 1 to 65535 pixels");
  int error = 0;
  encoder_->gif = EGifOpen(&encoder_->bytes, append_bytes, &error);
  if (encoder_->gif == nullptr) fail_gif("EGifOpen", error);
  GifFileType* gif = encoder_->gif;
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

AnimationRecorder::~AnimationRecorder() = default;

void AnimationRecorder::add(const Tensor& picture) {
  NST_CHECK(encoder_->gif != nullptr, "the animation is finished; it takes no more frames");
  const ImageSize at = image_size(picture);
  const Tensor frame =
      at.width == size_.width && at.height == size_.height ? picture : resize_image(picture, size_);
  const std::vector<uint8_t> rgb = to_rgb8(frame);
  IndexedPicture indexed = quantize_colors(rgb.data(), int64_t{size_.width} * size_.height);
  GifColorType palette[256] = {};  // a GIF palette has a power-of-two size: the rest stay black
  for (std::size_t i = 0; i < indexed.palette.size(); ++i)
    palette[i] = {indexed.palette[i][0], indexed.palette[i][1], indexed.palette[i][2]};
  GifFileType* gif = encoder_->gif;
  const GraphicsControlBlock control{.DisposalMode = DISPOSE_DO_NOT,
                                     .UserInputFlag = false,
                                     .DelayTime = delay_,
                                     .TransparentColor = NO_TRANSPARENT_COLOR};
  GifByteType extension[4];
  EGifGCBToExtension(&control, extension);
  if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, sizeof extension, extension) == GIF_ERROR)
    fail_gif("the frame's delay", gif->Error);
  ColorMapObject* map = GifMakeMapObject(256, palette);
  NST_CHECK(map != nullptr, "writing the animation: out of memory for a palette");
  const int put = EGifPutImageDesc(gif, 0, 0, size_.width, size_.height, false, map);
  GifFreeMapObject(map);
  if (put == GIF_ERROR) fail_gif("EGifPutImageDesc", gif->Error);
  for (int y = 0; y < size_.height; ++y) {
    GifByteType* row = indexed.indices.data() + static_cast<std::size_t>(y) * size_.width;
    if (EGifPutLine(gif, row, size_.width) == GIF_ERROR) {
      fail_gif("EGifPutLine", gif->Error);
    }
  }
  ++frames_;
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
