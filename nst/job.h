// A style-transfer job, from description to picture: the one API that the CLI and the service
// are thin faces of.
//
//   Job job{.content = ImageSource::file("photo.jpg"), .styles = {...}, .settings = {...}};
//   PreparedJob prepared = prepare(job);          // reads, checks and resizes the images
//   JobResult result = run_job(prepared, model, &observer);
//
// prepare() reads the pictures and plans the job from their sizes (nst/plan.h: everything that
// can fail before the optimisation starts, so a run fails fast), then makes the pictures each
// scale of the plan needs, from the originals each time, and applies colour preservation
// (nst/color.h) to them.
// run_job() optimises on the job's own threads, scale after scale, reports every iteration to
// an observer, and stops early when the observer asks, returning the picture so far.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nn/vgg19.h"
#include "nst/drivers.h"
#include "nst/memory.h"
#include "nst/objective.h"
#include "nst/settings.h"
#include "nst/style_masks.h"
#include "tensor/tensor.h"

namespace nst {

// An input picture: a file to read, or an image already decoded ([1, 3, H, W] in [0, 1], e.g.
// an upload). `name` is what messages call it: the path, or a label for a decoded image.
struct ImageSource {
  std::string name;
  Tensor decoded;  // undefined: read the file `name`

  static ImageSource file(std::string path) { return {std::move(path), Tensor()}; }
  static ImageSource image(Tensor image, std::string label) {
    return {std::move(label), std::move(image)};
  }
  bool empty() const { return name.empty() && !decoded.defined(); }
};

struct Job {
  ImageSource content;
  std::vector<ImageSource> styles;
  ImageSource init_image;  // the starting image when settings.init is InitKind::image
  JobSettings settings;
  // Regions (nst/style_masks.h): none, or one picture per style saying where on the content
  // it acts (an empty source: everywhere); and none, or one per style saying which part of
  // that style picture its Gram matrices come from (empty: all of it).
  std::vector<ImageSource> style_masks;
  std::vector<ImageSource> style_source_masks;
};

// Each input picture a job names, as (role, name): the roles PreparedJob::fingerprints uses
// ("content", "style 1", "init", "style mask 1", "style source mask 1").
std::vector<std::pair<std::string, std::string>> input_names(const Job& job);

// One scale of a prepared job: the pictures the network compares against at that size.
struct PreparedScale {
  Tensor content;              // [1, 3, H, W]: the content (grey with luminance colours)
  std::vector<Tensor> styles;  // each at its own working size (recoloured or grey if asked)
  Tensor colors;               // luminance colours only: the content in colour, H x W
  // The starting picture at this size: the first scale starts from it, a later one adds its
  // detail to the previous result, upscaled (job.cpp). Undefined after the first scale when
  // the start is noise.
  Tensor start;
  int iterations = 0;  // iterations at this scale
  int tiles = 1;       // the tiles VGG19 runs on at this scale (nst/tiling.h)
  StyleMasks masks;    // at the content's and styles' sizes here; empty without masks
};

// A job ready to run: the images at their working sizes, one set per scale, coarse to fine.
struct PreparedJob {
  JobSettings settings;  // as given, with an auto tile size resolved (plan(), nst/plan.h)
  std::vector<PreparedScale> scales;  // the last at settings.size
  std::vector<std::string> notes;     // things a user should hear about (an upscaled content)
  FieldNames names;                   // how messages of the run spell settings
  MemoryEstimate memory;              // the run's estimated peak (nst/memory.h)
  // The SHA-256 of each input as it was read, by role ("content", "style 1", ..., "init"): a
  // file's bytes, or a decoded image's floats. A resume file keeps them, so that a continued
  // run can refuse changed inputs without reading them a second time.
  std::vector<std::pair<std::string, std::string>> fingerprints;

  const PreparedScale& final_scale() const { return scales.back(); }
  const Tensor& initial() const { return scales.front().start; }  // where the run starts
  int total_iterations() const;                                   // over all scales
  // The same for a run continued from `state`, whose earlier scales may have converged early.
  int total_iterations(const RunState& state) const;
  // What a user sees of an optimiser's image at `scale` (0-based): the image itself, or with
  // luminance colours its luminance with the content's colours.
  Tensor picture(const Tensor& image, int scale) const;
};

// Reads the images (nst::Error naming one that is missing, corrupt or too large, or a mask
// that is black everywhere), plans the job (plan(): SettingError, or nst::Error naming the
// image and what to change) and resizes the images. `names` spells settings in messages
// (settings.h); masks are "style_masks" and "style_source_masks" there.
PreparedJob prepare(const Job& job, const FieldNames& names = {});

// A scale that converged before its iterations were done (nst/convergence.h).
struct Convergence {
  int scale = 0;       // 1-based
  int iteration = 0;   // its last, counted over all scales
  int total = 0;       // the run's iterations from now on, the remaining scales in full
  std::string reason;  // "the loss fell 0.0081% over the last 50 iterations, under ..."
};

// Watches a run. Every call comes from the thread that runs the job.
class JobObserver {
 public:
  virtual ~JobObserver() = default;
  // After every iteration: its losses (of the image before its update; `iteration` counts
  // over all scales) and the picture now (PreparedJob::picture: at coarse scales smaller than
  // the output), valid only during the call (clone it to keep it).
  virtual void on_iteration(const IterationLosses& losses, const Tensor& image) = 0;
  // A scale has converged: just before the on_iteration() of its last iteration, or (L-BFGS's
  // own test, which tells only when it tries the next) just after.
  virtual void on_converged(const Convergence& /*convergence*/) {}
  // Asked before every iteration; true ends the run there with the picture so far.
  virtual bool stop_requested() { return false; }
  // What the run does before its first iteration, which takes a while on large images.
  virtual void on_stage(const std::string& /*what*/) {}
  // Asked after every iteration; true: on_checkpoint() receives the run's state, from which
  // run_job() can continue it exactly (e.g. saved as a resume file). The state shares the
  // optimiser's tensors (nn/state_copy.h): valid only during the call, so write it there.
  virtual bool checkpoint_due(int /*iteration*/) { return false; }
  virtual void on_checkpoint(const RunState& /*state*/) {}
};

struct JobResult {
  Tensor image;          // [1, 3, H, W] in [0, 1]: the picture
  int iterations = 0;    // iterations done, over all scales
  bool stopped = false;  // the observer asked to stop before the end
  // Why it ended, in words: "converged at iteration 312: the loss fell ...", "L-BFGS
  // converged at iteration 87", "ran all 550 iterations" or "stopped at iteration 40".
  std::string ending;
  RunState state;  // where a stopped run ended, to continue it
};

// Runs a prepared job with `model` (whose pooling must be the settings'), on settings.threads
// threads, reusing large blocks during its iterations and returning them to the system after.
// A loss that stops being finite ends the run with an nst::Error naming the iteration and what
// to lower: its picture would be black or noise.
// With `resume`, the run continues from that state (same settings and images) instead of
// starting from job.initial(). A scale that converges (settings.tolerance, or L-BFGS's own
// test) hands over to the next; the last one's convergence ends the run.
JobResult run_job(const PreparedJob& job, nn::Vgg19& model, JobObserver* observer = nullptr,
                  const RunState* resume = nullptr);

}  // namespace nst
