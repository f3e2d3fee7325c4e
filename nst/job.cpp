#include "nst/job.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include "files/sha256.h"
#include "nst/color.h"
#include "nst/convergence.h"
#include "nst/drivers.h"
#include "nst/memory.h"
#include "nst/plan.h"
#include "nst/resize.h"
#include "nst/scales.h"
#include "tensor/aligned_buffer.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/random.h"
#include "tensor/threads.h"

namespace nst {
namespace {

// The image a source stands for, held to the same pixel limit whether read or given decoded,
// and its fingerprint as `role` (PreparedJob::fingerprints).
Tensor load(const ImageSource& source, int64_t max_pixels, const std::string& role,
            PreparedJob& prepared) {
  if (!source.decoded.defined()) {
    const std::vector<uint8_t> bytes = read_image_file(source.name);
    prepared.fingerprints.emplace_back(role, sha256_hex(bytes));
    return decode_image(bytes, source.name, max_pixels);
  }
  const ImageSize size = image_size(source.decoded);
  check_pixel_limit(size.width, size.height, max_pixels, source.name);
  const auto values = source.decoded.values();
  prepared.fingerprints.emplace_back(
      role, sha256_hex({reinterpret_cast<const uint8_t*>(values.data()), values.size_bytes()}));
  return source.decoded;
}

// Diverged losses: name the weighted terms that overflowed, and Adam's step size, which can
// make the image itself non-finite whatever the weights. (L-BFGS has no step size to lower.)
void check_finite(const IterationLosses& l, const JobSettings& s, const FieldNames& names) {
  if (std::isfinite(l.total)) return;
  std::vector<std::string> lower;
  for (const auto& [value, weight, field] :
       {std::tuple{l.content, s.content_weight, "content_weight"},
        std::tuple{l.style, s.style_weight, "style_weight"},
        std::tuple{l.tv, s.tv_weight, "tv_weight"}}) {
    if (!std::isfinite(value) && weight > 0) lower.push_back(name_of(names, field));
  }
  if (s.optimizer == OptimizerKind::adam) lower.push_back(name_of(names, "learning_rate"));
  std::string advice;
  for (std::size_t i = 0; i < lower.size(); ++i)
    advice += (i == 0 ? "; lower " : " or ") + lower[i];
  fail("iteration ", l.iteration, ": the loss is no longer finite (total ", l.total, ", content ",
       l.content, ", style ", l.style, ", tv ", l.tv, ")", advice);
}

// The pictures of one scale, resized from the originals to the plan's sizes, with the colour
// mode applied, and its starting picture (`init`: the settings' starting image, if it is one).
PreparedScale make_scale(const JobSettings& s, const ScalePlan& scale, const Tensor& content,
                         const std::vector<Tensor>& styles, const Tensor& init, bool first) {
  PreparedScale out;
  out.iterations = scale.iterations;
  out.tiles = scale.tiles;
  out.content = resize_image(content, scale.content);
  for (std::size_t i = 0; i < styles.size(); ++i)
    out.styles.push_back(resize_image(styles[i], scale.styles[i]));
  switch (s.preserve_colors) {
    case ColorMode::none: break;
    case ColorMode::histogram:
      for (Tensor& style : out.styles) style = match_colors(style, out.content);
      break;
    case ColorMode::luminance:
      out.colors = out.content;
      out.content = luminance_image(out.colors);
      for (Tensor& style : out.styles) style = match_luminance(luminance_image(style), out.content);
      break;
  }
  switch (s.init) {
    case InitKind::content: out.start = out.content; break;  // grey with luminance colours
    case InitKind::noise:
      if (!first) break;  // noise has no detail to add later
      out.start = Tensor(out.content.shape());
      Random(s.seed).fill_uniform(out.start.values(), 0.0f, 1.0f);
      break;
    case InitKind::image: out.start = resize_image(init, scale.content); break;
  }
  // With luminance colours the network sees grey images only, the starting one too.
  if (s.preserve_colors == ColorMode::luminance && s.init != InitKind::content &&
      out.start.defined()) {
    out.start = luminance_image(out.start);
  }
  return out;
}

// A job's masks as read, at their own sizes; an undefined entry for none.
struct MaskPictures {
  std::vector<Tensor> content, source;
};

// Aspect ratios that differ by more than a pixel's worth of either picture get stretched: a
// mask drawn at a smaller size than its photo (the page's, at most 1024 pixels) has a side
// rounded to whole pixels, which moves |w1 h2 - h1 w2| by up to half the photo's side.
bool stretched(ImageSize from, ImageSize to) {
  return std::abs(int64_t{from.width} * to.height - int64_t{from.height} * to.width) >
         std::max({from.width, from.height, to.width, to.height});
}

// Reads the masks of one kind (`field`: "style_masks" or "style_source_masks"), each of
// style k to fit `fits[k]`, noting a stretched one and refusing a black one.
std::vector<Tensor> read_masks(const std::vector<ImageSource>& sources, const char* field,
                               const std::vector<ImageSize>& fits, const JobSettings& s,
                               const FieldNames& names, PreparedJob& prepared) {
  std::vector<Tensor> masks;
  if (sources.empty()) return masks;
  const std::string option = name_of(names, field);
  const bool on_content = std::string_view(field) == "style_masks";
  if (sources.size() != fits.size()) {
    throw SettingError(field, option + ": " + std::to_string(sources.size()) +
                                  (sources.size() == 1 ? " mask for " : " masks for ") +
                                  std::to_string(fits.size()) +
                                  (fits.size() == 1 ? " style" : " styles") +
                                  "; give one per style, in the styles' order ('-' for none)");
  }
  for (std::size_t k = 0; k < sources.size(); ++k) {
    if (sources[k].empty()) {
      masks.emplace_back();
      continue;
    }
    const std::string role =
        std::string(on_content ? "style mask " : "style source mask ") + std::to_string(k + 1);
    const std::string& name = sources[k].name;
    Tensor mask;
    try {
      mask = mask_from_picture(load(sources[k], s.max_pixels, role, prepared));
    } catch (const SettingError&) {
      throw;
    } catch (const Error& e) {
      fail(option, ": ", e.what());  // the message names the file
    }
    if (!(mask_sum(mask) > 0.0)) {
      fail(option, ": ", name, " is black everywhere, so style ", k + 1,
           " would act nowhere; white marks where it acts");
    }
    const ImageSize size{static_cast<int>(mask.dim(3)), static_cast<int>(mask.dim(2))};
    if (stretched(size, fits[k])) {
      prepared.notes.push_back(
          option + ": " + name + " is " + to_string(size) + "; it is stretched to " +
          (on_content ? "the content's " : "style " + std::to_string(k + 1) + "'s ") +
          to_string(fits[k]));
    }
    masks.push_back(mask);
  }
  return masks;
}

// The masks of one scale: each resized to its picture there (a missing mask on the content:
// ones, the style everywhere).
StyleMasks scale_masks(const MaskPictures& read, const PreparedScale& scale) {
  StyleMasks masks;
  const ImageSize content = image_size(scale.content);
  for (const Tensor& mask : read.content) {
    masks.content.push_back(mask.defined()
                                ? resize_mask(mask, content)
                                : Tensor::full(Shape{1, 1, content.height, content.width}, 1.0f));
  }
  for (std::size_t k = 0; k < read.source.size(); ++k) {
    masks.source.push_back(read.source[k].defined()
                               ? resize_mask(read.source[k], image_size(scale.styles[k]))
                               : Tensor());
  }
  return masks;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> input_names(const Job& job) {
  std::vector<std::pair<std::string, std::string>> names{{"content", job.content.name}};
  for (std::size_t k = 0; k < job.styles.size(); ++k)
    names.emplace_back("style " + std::to_string(k + 1), job.styles[k].name);
  names.emplace_back("init", job.init_image.name);
  for (std::size_t k = 0; k < job.style_masks.size(); ++k)
    names.emplace_back("style mask " + std::to_string(k + 1), job.style_masks[k].name);
  for (std::size_t k = 0; k < job.style_source_masks.size(); ++k)
    names.emplace_back("style source mask " + std::to_string(k + 1),
                       job.style_source_masks[k].name);
  return names;
}

int PreparedJob::total_iterations() const {
  int total = 0;
  for (const PreparedScale& scale : scales) total += scale.iterations;
  return total;
}

int PreparedJob::total_iterations(const RunState& state) const {
  int total = state.earlier_iterations;
  for (std::size_t k = static_cast<std::size_t>(state.scale); k < scales.size(); ++k)
    total += scales[k].iterations;
  return total;
}

Tensor PreparedJob::picture(const Tensor& image, int scale) const {
  const Tensor& colors = scales.at(static_cast<std::size_t>(scale)).colors;
  return colors.defined() ? combine_luminance(image, colors) : image;
}

PreparedJob prepare(const Job& job, const FieldNames& names) {
  const JobSettings& s = job.settings;
  if (job.content.empty())
    throw SettingError("content", name_of(names, "content") + " is required");
  if (s.init == InitKind::image && job.init_image.empty()) {
    throw SettingError("init_image", name_of(names, "init_image") +
                                         " is required when the run starts from an image");
  }
  const ThreadCountScope threads(s.threads);

  // The pictures, each held to the pixel limit as it is read; then the plan checks everything
  // else before any resizing.
  const auto planned = [](const ImageSource& source, const Tensor& image) {
    return PlannedImage{source.name, image_size(image)};
  };
  PreparedJob prepared;
  const Tensor content = load(job.content, s.max_pixels, "content", prepared);
  std::vector<Tensor> styles;
  std::vector<PlannedImage> style_sizes;
  for (const ImageSource& source : job.styles) {
    const std::string role = "style " + std::to_string(styles.size() + 1);
    styles.push_back(load(source, s.max_pixels, role, prepared));
    style_sizes.push_back(planned(source, styles.back()));
  }
  Tensor init;
  PlannedImage init_size;
  if (s.init == InitKind::image) {
    init = load(job.init_image, s.max_pixels, "init", prepared);
    init_size = planned(job.init_image, init);
  }
  const JobPlan plan = nst::plan(s, planned(job.content, content), style_sizes, init_size, names);
  MaskPictures masks;
  masks.content =
      read_masks(job.style_masks, "style_masks",
                 std::vector<ImageSize>(styles.size(), image_size(content)), s, names, prepared);
  std::vector<ImageSize> style_pictures;
  for (const Tensor& style : styles) style_pictures.push_back(image_size(style));
  masks.source =
      read_masks(job.style_source_masks, "style_source_masks", style_pictures, s, names, prepared);
  const bool masked = !masks.content.empty() || !masks.source.empty();

  prepared.settings = s;
  prepared.settings.tile_size = plan.tile_size;
  prepared.settings.keep_deep_tile_state = plan.keep_deep_tile_state;
  prepared.names = names;
  prepared.notes.insert(prepared.notes.begin(), plan.notes.begin(), plan.notes.end());
  prepared.memory = plan.memory;
  for (const ScalePlan& scale : plan.scales) {
    const bool first = prepared.scales.empty();
    prepared.scales.push_back(make_scale(s, scale, content, styles, init, first));
    if (masked) prepared.scales.back().masks = scale_masks(masks, prepared.scales.back());
  }
  return prepared;
}

namespace {

// A scale starts from the previous one's result, upscaled, plus the detail that upscaling cannot
// bring back: this scale's starting picture less the previous one's, upscaled. With the content
// as the start (the default), that is the photo's fine detail: the finer scale starts as sharp
// as the photo, with the coarse scale's stylisation on it. (Plain upscaling leaves the content
// loss far above the single-scale run's, and the finer scale spends most of its iterations
// bringing it down: bench/scales.sh.) A noise start has no detail to add.
Tensor upscaled_start(const Tensor& result, const PreparedScale& from, const PreparedScale& to) {
  const ImageSize size = image_size(to.content);
  Tensor start = resize_values(result, size);
  if (to.start.defined() && from.start.defined()) {
    const Tensor blurred = resize_values(from.start, size);
    const float* sharp = to.start.data();
    const float* blur = blurred.data();
    float* x = start.data();
    for (int64_t i = 0; i < start.numel(); ++i) x[i] += sharp[i] - blur[i];
  }
  clamp(start.values(), 0.0f, 1.0f, start.values());
  return start;
}

RunState state_at(const OptimizerDriver& driver, int scale, int earlier_iterations,
                  const ConvergenceWatch& watch, nn::StateCopy how) {
  RunState state = driver.save(how);
  state.scale = scale;
  state.earlier_iterations = earlier_iterations;
  state.scale_totals = watch.totals();
  return state;
}

// The run's iterations when scale `k` ends after `iteration` (counted over all scales) and the
// scales after it run in full.
int total_after(const PreparedJob& job, int k, int iteration) {
  int total = iteration;
  for (std::size_t j = static_cast<std::size_t>(k) + 1; j < job.scales.size(); ++j)
    total += job.scales[j].iterations;
  return total;
}

// Runs scale `k` on from where `driver` stands, until its iterations are done, it converges
// (returning why, in words) or the observer asks to stop (setting `stopped`). `earlier`: the
// iterations of the scales before it.
std::string run_scale(const PreparedJob& job, int k, int earlier, OptimizerDriver& driver,
                      ConvergenceWatch& watch, JobObserver* observer, bool& stopped) {
  const int planned = job.scales[k].iterations;
  while (driver.iterations() < planned) {
    if (observer != nullptr && observer->stop_requested()) {
      stopped = true;
      return "";
    }
    std::optional<IterationLosses> losses = driver.step();
    if (!losses) {
      const int last = earlier + driver.iterations();
      const std::string why = "L-BFGS converged at iteration " + std::to_string(last);
      if (observer != nullptr)
        observer->on_converged({k + 1, last, total_after(job, k, last), why});
      return why;
    }
    losses->iteration += earlier;
    losses->scale = k + 1;
    check_finite(*losses, job.settings, job.names);
    const bool converged = watch.add(losses->total);
    const std::string why =
        converged
            ? "converged at iteration " + std::to_string(losses->iteration) + ": " + watch.reason()
            : "";
    if (observer != nullptr && converged) {
      observer->on_converged(
          {k + 1, losses->iteration, total_after(job, k, losses->iteration), why});
    }
    if (observer != nullptr) observer->on_iteration(*losses, job.picture(driver.image(), k));
    if (converged) return why;  // no checkpoint: the next scale or the result follows
    if (observer != nullptr && observer->checkpoint_due(losses->iteration))
      observer->on_checkpoint(state_at(driver, k, earlier, watch, nn::StateCopy::shared));
  }
  return "";
}

}  // namespace

JobResult run_job(const PreparedJob& job, nn::Vgg19& model, JobObserver* observer,
                  const RunState* resume) {
  const JobSettings& s = job.settings;
  NST_CHECK(model.pooling() == s.pooling, "the model's pooling differs from the settings'");
  const int count = static_cast<int>(job.scales.size());
  NST_CHECK(resume == nullptr || (resume->scale >= 0 && resume->scale < count),
            "a saved run at scale ", resume != nullptr ? resume->scale + 1 : 0, " of a job with ",
            count);
  const ThreadCountScope threads(s.threads);
  JobResult result;
  const int first = resume != nullptr ? resume->scale : 0;
  int earlier = resume != nullptr ? resume->earlier_iterations : 0;
  Tensor start = resume != nullptr ? resume->image : job.initial();
  for (int k = first; k < count; ++k) {
    const PreparedScale& scale = job.scales[k];
    const ImageSize size = image_size(scale.content);
    if (observer != nullptr) {
      observer->on_stage(count == 1 ? "computing the content and style targets"
                                    : "scale " + std::to_string(k + 1) + " of " +
                                          std::to_string(count) + ", " + to_string(size) +
                                          ": computing the content and style targets");
    }
    StyleObjective objective(model, scale.content, scale.styles, s, scale.masks);
    // Blocks are worth keeping only where the same sizes come back: in the iterations of one
    // scale. (The targets' blocks, often of other sizes, go straight back to the system.)
    const BlockReuseScope reuse_blocks;
    if (k > first) start = upscaled_start(start, job.scales[k - 1], scale);
    const std::unique_ptr<OptimizerDriver> driver =
        make_driver(objective, start, s, scale.iterations);
    const bool resumed_here = resume != nullptr && k == first;
    if (resumed_here) driver->restore(*resume);
    ConvergenceWatch watch({.tolerance = s.tolerance, .window = s.tolerance_window},
                           resumed_here ? resume->scale_totals : std::vector<double>{});
    const std::string converged =
        run_scale(job, k, earlier, *driver, watch, observer, result.stopped);
    start = driver->result();
    if (result.stopped) {
      result.state = state_at(*driver, k, earlier, watch, nn::StateCopy::copied);
      result.iterations = earlier + driver->iterations();
      result.ending = "stopped at iteration " + std::to_string(result.iterations);
      // The picture so far, at the output's size.
      result.image =
          job.picture(resize_image(start, image_size(job.final_scale().content)), count - 1);
      return result;
    }
    earlier += driver->iterations();
    if (k + 1 == count) result.ending = converged;
  }
  result.iterations = earlier;
  if (result.ending.empty()) {
    result.ending = "ran all " + std::to_string(earlier) + " iterations" +
                    (s.tolerance > 0 ? " (the cap) without converging" : "");
  }
  result.image = job.picture(start, count - 1);
  return result;
}

}  // namespace nst
