// What a job will do, worked out from its settings and its pictures' sizes alone, without a
// pixel: the working sizes at every scale, the iterations, the memory it will need, and what a
// user should hear. Everything that can make a job fail before its optimisation is checked
// here, so a face can judge a job from image headers (the service, on its HTTP thread) and
// prepare() (nst/job.h) only has to materialise the pictures the plan describes.
#pragma once

#include <string>
#include <vector>

#include "nst/image.h"
#include "nst/memory.h"
#include "nst/scales.h"
#include "nst/settings.h"

namespace nst {

// An input picture as the plan sees it: what messages call it and its size, upright.
struct PlannedImage {
  std::string name;
  ImageSize size;
};

// The pictures of one scale, by size.
struct ScalePlan {
  int iterations = 0;
  ImageSize content;              // the content at this scale
  std::vector<ImageSize> styles;  // each style at its working size next to it
  int tiles = 1;                  // the content's tiles at this scale (nst/tiling.h)
};

struct JobPlan {
  std::vector<ScalePlan> scales;  // coarse to fine; the last at settings.size
  MemoryEstimate memory;          // from the sizes of every picture the run keeps
  JobSizes sizes;                 // those sizes
  // The tile size the run uses: the settings', or with auto the largest that fits max_memory
  // when the whole picture does not; 0: the whole picture in one pass.
  int tile_size = 0;
  // With tiles: whether an iteration keeps each tile's deep layers from its first pass for its
  // second (JobSettings::keep_deep_tile_state), when that fits max_memory with these tiles.
  bool keep_deep_tile_state = false;
  std::vector<std::string> notes;  // things a user should hear about (an upscaled content)

  int total_iterations() const;  // over all scales
};

// The plan of a job with these pictures (`init`: the starting image, when settings.init is
// InitKind::image). SettingError for settings that cannot work or a scale count that does not
// fit the pictures; nst::Error naming the picture or setting to change for working sizes over
// the pixel limit or too small for the deepest layer used, and for a run over the memory limit
// (with tile_size auto, one that does not fit even in the smallest tiles worth running).
// `names` spells settings in messages (settings.h).
JobPlan plan(const JobSettings& settings, const PlannedImage& content,
             const std::vector<PlannedImage>& styles, const PlannedImage& init = {},
             const FieldNames& names = {});

// The iterations the settings ask for over all their scales, before the pictures are known
// (a plan may drop a coarse scale that small pictures cannot run at).
int planned_iterations(const JobSettings& settings);

}  // namespace nst
