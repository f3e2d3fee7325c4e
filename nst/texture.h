// Texture synthesis (Gatys, Ecker and Bethge, "Texture Synthesis Using Convolutional Neural
// Networks", 2015): style transfer without a photo. From noise, the picture is optimised until
// its Gram matrices match the painting's; nothing ties it to any layout, so the result is the
// painting's texture, everywhere.
//
// The job API always has a content picture: it sets the output's size and the content term. A
// texture job gives it a blank canvas of the size wanted and no content layers, so only the
// style term (and total variation, if weighted) shapes the picture, from noise.
#pragma once

#include <vector>

#include "nst/job.h"

namespace nst {

// The name messages give the blank canvas.
inline constexpr const char* kTextureCanvas = "the texture's blank canvas";

// A job that paints a width x height texture of `styles` with `settings` (its content layers,
// start and size are the texture's own); SettingError for colour preservation, which needs a
// photo, and for a size that is not positive.
Job texture_job(std::vector<ImageSource> styles, ImageSize size, JobSettings settings);

}  // namespace nst
