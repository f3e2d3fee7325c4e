// The options of `nst stylize`: a Job (nst/job.h) plus what only the command line has (output
// files, weights file, display). Everything is parsed and checked before any work starts: a
// wrong value is a usage error (exit 2) that names the option, found here rather than after
// minutes of work. Job settings are checked by the job API itself, which names them through
// flag_for_field.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nst/job.h"
#include "nst/plan.h"

namespace nst::cli {

struct StylizeOptions {
  Job job;
  std::string output;
  std::string weights;  // empty: the lookup order
  std::string loss_log;
  // A resume file to continue. Then the job comes from the file, and the command line gives
  // only the outputs (if not derived from the file's name), --overwrite, --quiet, and the limits
  // (job.settings' threads, max_memory and max_pixels; the rest of job.settings is defaults).
  std::string resume;
  int print_every = 0;
  int save_every = 0;
  int checkpoint_every = 0;  // iterations between resume files; 0: every 30 s (RunRecorder)
  std::string animation;     // an animated GIF of the run (nst/animation.h)
  int animation_every = 0;   // iterations between its frames; 0: about 50 frames
  bool quiet = false;
  bool overwrite = false;
  std::vector<std::string> notes;  // about options that do less than a user may think
  // nst texture: the texture's size; the job's content is its blank canvas (nst/texture.h).
  std::optional<ImageSize> texture;
};

// What `nst texture` changes in nst stylize's options: its help, the photo's options it refuses,
// and --size as WxH or N (parse_texture_size); its job is texture_job's (nst/texture.h).
struct TextureCommand {
  std::string help;
  std::vector<std::string_view> photo_options;  // "content", "init", ...
};

// Throws UsageError (or SettingError) for anything wrong; std::nullopt after printing --help.
// With `texture`, the options of nst texture.
std::optional<StylizeOptions> parse_stylize_options(const std::vector<std::string>& args,
                                                    const TextureCommand* texture = nullptr);

// The files a run writes, as (option, path): the output, the loss log, the animation, the
// resume file, and the --save-every snapshots of the iterations after `after`.
std::vector<std::pair<std::string, std::string>> output_files(const StylizeOptions& o,
                                                              int after = 0);

// Whether two paths name the same file (or would, once created).
bool same_file(const std::string& a, const std::string& b);

// Whether an existing output (option, path) may be replaced without --overwrite.
using MayReplace = std::function<bool(const std::string& option, const std::string& path)>;

// Throws UsageError unless the outputs can be written: an image output has a known format;
// none is an input (or the resume file being continued) or another output; and none exists,
// unless --overwrite or may_replace allows it.
void check_outputs(const StylizeOptions& o,
                   const std::vector<std::pair<std::string, std::string>>& outputs,
                   const MayReplace& may_replace = {});

// The flag that sets a job field: "style_weight" -> "--style-weight", "styles" -> "--style".
std::string flag_for_field(std::string_view field);

// The name of the snapshot written after `iteration` with --save-every: out.png -> out_0100.png,
// the number padded to the digits of `iterations`, the run's planned total.
std::string snapshot_path(const std::string& output, int iteration, int iterations);

// The animation's interval between frames.
int animation_interval(const StylizeOptions& o);

// A texture's size: "WxH", or "N" for N x N; nothing if malformed or not positive.
std::optional<ImageSize> parse_texture_size(std::string_view text);

// Where an interrupted or checkpointed run is saved: out.png -> out.png.nstresume.
std::string resume_path(const std::string& output);

}  // namespace nst::cli
