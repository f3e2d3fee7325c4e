// A run as an animated GIF: the picture every few iterations, all frames at the output's size
// (coarse scales upscaled; a picture larger than kAnimationLongestSide shrunk to it), each
// shown for the same time, looping. Frame k is the picture after
// k * every iterations (frame 0 the starting image), and the last frame is the result.
//
// Each frame gets its own palette of 256 colours (nst/palette.h) and is LZW-compressed by
// giflib as it is added, so the recorder holds the compressed file so far (at most about 1.5
// bytes per pixel per frame, usually less), not the pictures.
// finish() writes it atomically; save() writes the GIF so far (a run's checkpoint), and
// continue_from() starts a continued run's recorder with the frames of the GIF it saved.
#pragma once

#include <memory>
#include <string>

#include "nst/image.h"
#include "tensor/tensor.h"

namespace nst {

// Centiseconds each frame shows: 10 frames a second.
constexpr int kAnimationFrameDelay = 10;
// Without a chosen interval, a run of any length gives about this many frames.
constexpr int kAnimationFrames = 50;

// The longest side of a frame: an 8K run's 50 frames at full size would be gigabytes to keep
// and to play.
constexpr int kAnimationLongestSide = 1024;

// The frames' size for an output of `output` size.
ImageSize animation_size(ImageSize output);

// The default interval: about kAnimationFrames frames over `iterations`.
int default_animation_every(int iterations);

class AnimationRecorder {
 public:
  explicit AnimationRecorder(ImageSize size, int delay_centiseconds = kAnimationFrameDelay);
  ~AnimationRecorder();
  AnimationRecorder(const AnimationRecorder&) = delete;
  AnimationRecorder& operator=(const AnimationRecorder&) = delete;

  // Appends a picture [1, 3, h, w] in [0, 1] (resized to the animation's size if it differs).
  void add(const Tensor& picture);
  int frames() const { return frames_; }
  ImageSize size() const { return size_; }
  // Takes the first `frames` frames of the GIF at `path`, which a recorder of this size wrote
  // (a run's own animation, continued), exactly as they were: the continued GIF is then the one
  // an uninterrupted run writes. False, taking nothing, if the file is no such GIF or has fewer
  // frames. Only before the first add().
  bool continue_from(const std::string& path, int frames);
  // Writes the GIF so far to `path` atomically (at a checkpoint) and goes on taking frames.
  void save(const std::string& path) const;
  // Ends the GIF and writes it to `path` atomically; without `replace`, an existing file is an
  // error. The recorder takes no frames after it.
  void finish(const std::string& path, bool replace = true);

 private:
  struct Encoder;
  ImageSize size_;
  int delay_;
  int frames_ = 0;
  std::unique_ptr<Encoder> encoder_;
};

}  // namespace nst
