#include "nst/job.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include "nst/color.h"
#include "nst/drivers.h"
#include "nst/memory.h"
#include "nst/resize.h"
#include "nst/scales.h"
#include "tensor/aligned_buffer.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/random.h"
#include "tensor/threads.h"

namespace nst {
namespace {

std::string text(ImageSize size) {
  return std::to_string(size.width) + "x" + std::to_string(size.height);
}

// The image a source stands for, held to the same pixel limit whether read or given decoded.
Tensor load(const ImageSource& source, int64_t max_pixels) {
  if (!source.decoded.defined()) return read_image(source.name, max_pixels);
  const ImageSize size = image_size(source.decoded);
  check_pixel_limit(size.width, size.height, max_pixels, source.name);
  return source.decoded;
}

// A style picture's working size next to a content of `content` size: its longest side
// style_scale times the content's.
ImageSize style_size_for(ImageSize original, ImageSize content, double style_scale) {
  const int side = std::max(
      1, static_cast<int>(std::lround(style_scale * std::max(content.width, content.height))));
  return fit_longest_side(original, side);
}

void check_big_enough(const std::string& what, ImageSize size, int min_side,
                      const FieldNames& names) {
  NST_CHECK(std::min(size.width, size.height) >= min_side, what, " is ", text(size),
            " at the working size; the deepest layer used needs at least ", min_side,
            " pixels on each side (raise ", name_of(names, "size"), " or ",
            name_of(names, "style_scale"), ", or use shallower layers)");
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

// The scales to run: the settings' count, or auto's lowered until every picture at the coarsest
// scale is big enough for the deepest layer used. (The last scale was checked already.)
std::vector<Scale> choose_scales(const JobSettings& s, const JobSizes& sizes, int min_side,
                                 const FieldNames& names) {
  auto smallest_side = [&](int count) {
    const int coarsest = scale_schedule(s, count)[0].size;
    if (coarsest < 1) return 0;
    const ImageSize content = fit_longest_side(sizes.content_original, coarsest);
    int side = std::min(content.width, content.height);
    for (ImageSize style : sizes.styles_original) {
      const ImageSize at = style_size_for(style, content, s.style_scale);
      side = std::min({side, at.width, at.height});
    }
    return side;
  };
  int count = planned_scale_count(s);
  if (s.scales && smallest_side(count) < min_side) {
    int fits = count;
    while (fits > 1 && smallest_side(fits) < min_side) --fits;
    throw SettingError("scales", name_of(names, "scales") + " " + std::to_string(count) +
                                     " starts at a size where a picture is " +
                                     std::to_string(smallest_side(count)) +
                                     " pixels on its short side; the deepest layer used needs at "
                                     "least " +
                                     std::to_string(min_side) +
                                     " (each VGG19 pool before it halves the image): use " +
                                     name_of(names, "scales") + " " + std::to_string(fits) +
                                     " or fewer, or raise " + name_of(names, "size"));
  }
  while (count > 1 && smallest_side(count) < min_side) --count;
  return scale_schedule(s, count);
}

// The pictures of one scale, resized from the originals, with the colour mode applied, and its
// starting picture (`init`: the settings' starting image, if it is one).
PreparedScale make_scale(const JobSettings& s, const Scale& scale, const Tensor& content,
                         const std::vector<Tensor>& styles, const Tensor& init, bool first) {
  PreparedScale out;
  out.iterations = scale.iterations;
  const ImageSize size = fit_longest_side(image_size(content), scale.size);
  out.content = resize_image(content, size);
  for (const Tensor& style : styles)
    out.styles.push_back(
        resize_image(style, style_size_for(image_size(style), size, s.style_scale)));
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
    case InitKind::image: out.start = resize_image(init, size); break;
  }
  // With luminance colours the network sees grey images only, the starting one too.
  if (s.preserve_colors == ColorMode::luminance && s.init != InitKind::content &&
      out.start.defined()) {
    out.start = luminance_image(out.start);
  }
  return out;
}

// The pictures kept through a run besides the last scale's (nst/memory.h, JobSizes).
std::vector<ImageSize> kept_image_sizes(const JobSettings& s, const JobSizes& sizes,
                                        const std::vector<Scale>& schedule) {
  std::vector<ImageSize> kept;
  for (std::size_t k = 0; k + 1 < schedule.size(); ++k) {
    const ImageSize at = fit_longest_side(sizes.content_original, schedule[k].size);
    kept.push_back(at);
    if (s.init == InitKind::image) kept.push_back(at);  // its own starting picture
    for (ImageSize style : sizes.styles_original)
      kept.push_back(style_size_for(style, at, s.style_scale));
  }
  if (s.preserve_colors == ColorMode::luminance) {
    for (const Scale& scale : schedule)
      kept.push_back(fit_longest_side(sizes.content_original, scale.size));
  }
  return kept;
}

}  // namespace

int PreparedJob::total_iterations() const {
  int total = 0;
  for (const PreparedScale& scale : scales) total += scale.iterations;
  return total;
}

Tensor PreparedJob::picture(const Tensor& image, int scale) const {
  const Tensor& colors = scales.at(static_cast<std::size_t>(scale)).colors;
  return colors.defined() ? combine_luminance(image, colors) : image;
}

PreparedJob prepare(const Job& job, const FieldNames& names) {
  const JobSettings& s = job.settings;
  validate_settings(s, job.styles.size(), names);
  if (job.content.empty())
    throw SettingError("content", name_of(names, "content") + " is required");
  if (s.init == InitKind::image && job.init_image.empty()) {
    throw SettingError("init_image", name_of(names, "init_image") +
                                         " is required when the run starts from an image");
  }
  const ThreadCountScope threads(s.threads);
  PreparedJob prepared;
  prepared.settings = s;
  prepared.names = names;
  JobSizes sizes;

  // The working sizes first, each held to the pixel limit (a size of 20000 must not exhaust
  // memory), then the memory the whole run needs, and only then the resizing.
  const Tensor content = load(job.content, s.max_pixels);
  sizes.content_original = image_size(content);
  const ImageSize size = sizes.content = fit_longest_side(sizes.content_original, s.size);
  const int original_side = std::max(sizes.content_original.width, sizes.content_original.height);
  if (original_side < s.size) {
    prepared.notes.push_back("the content is " + text(sizes.content_original) +
                             "; upscaling it to " + text(size) + " (use " + name_of(names, "size") +
                             " " + std::to_string(original_side) + " to keep its size)");
  }
  check_pixel_limit(size.width, size.height, s.max_pixels,
                    "the working size (" + name_of(names, "size") + ")");
  const int min_side = min_side_for(s);
  check_big_enough(job.content.name, size, min_side, names);

  std::vector<Tensor> styles;
  for (const ImageSource& source : job.styles) {
    styles.push_back(load(source, s.max_pixels));
    sizes.styles_original.push_back(image_size(styles.back()));
    const ImageSize style_size = style_size_for(sizes.styles_original.back(), size, s.style_scale);
    check_pixel_limit(style_size.width, style_size.height, s.max_pixels,
                      source.name + " at " + name_of(names, "style_scale"));
    check_big_enough(source.name, style_size, min_side, names);
    sizes.styles.push_back(style_size);
  }
  Tensor init;
  if (s.init == InitKind::image) {
    init = load(job.init_image, s.max_pixels);
    sizes.init_original = image_size(init);
  }

  const std::vector<Scale> schedule = choose_scales(s, sizes, min_side, names);
  sizes.kept_images = kept_image_sizes(s, sizes, schedule);
  prepared.memory = estimate_memory(s, sizes);
  const int64_t limit = s.max_memory > 0 ? s.max_memory : default_max_memory();
  NST_CHECK(prepared.memory.total() <= limit, "this run would need about ",
            format_bytes(prepared.memory.total()), " of memory (",
            format_bytes(prepared.memory.work), " of it for ", prepared.memory.phase,
            "), more than the ", format_bytes(limit), " that ", name_of(names, "max_memory"),
            " allows; lower ", name_of(names, "size"), " or ", name_of(names, "style_scale"),
            ", use shallower layers, or raise ", name_of(names, "max_memory"));

  for (const Scale& scale : schedule) {
    const bool first = prepared.scales.empty();
    prepared.scales.push_back(make_scale(s, scale, content, styles, init, first));
  }
  if (s.init == InitKind::image) {
    // Aspect ratios that differ by more than a pixel's worth get stretched: say so.
    const ImageSize init_size = sizes.init_original;
    if (std::abs(int64_t{init_size.width} * size.height - int64_t{init_size.height} * size.width) >
        std::max(init_size.width, init_size.height)) {
      prepared.notes.push_back("the starting image " + job.init_image.name + " is " +
                               text(init_size) + "; it is stretched to the content's " +
                               text(size));
    }
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

RunState state_at(const OptimizerDriver& driver, int scale, int earlier_iterations) {
  RunState state = driver.save();
  state.scale = scale;
  state.earlier_iterations = earlier_iterations;
  return state;
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
      observer->on_stage(count == 1
                             ? "computing the content and style targets"
                             : "scale " + std::to_string(k + 1) + " of " + std::to_string(count) +
                                   ", " + text(size) + ": computing the content and style targets");
    }
    StyleObjective objective(model, scale.content, scale.styles, s);
    // Blocks are worth keeping only where the same sizes come back: in the iterations of one
    // scale. (The targets' blocks, often of other sizes, go straight back to the system.)
    const BlockReuseScope reuse_blocks;
    if (k > first) start = upscaled_start(start, job.scales[k - 1], scale);
    const std::unique_ptr<OptimizerDriver> driver =
        make_driver(objective, start, s, scale.iterations);
    if (resume != nullptr && k == first) driver->restore(*resume);
    while (driver->iterations() < scale.iterations) {
      if (observer != nullptr && observer->stop_requested()) {
        result.stopped = true;
        break;
      }
      std::optional<IterationLosses> losses = driver->step();
      if (!losses) {
        result.converged = k + 1 == count;
        break;
      }
      losses->iteration += earlier;
      losses->scale = k + 1;
      check_finite(*losses, s, job.names);
      if (observer != nullptr) {
        observer->on_iteration(*losses, job.picture(driver->image(), k));
        if (observer->checkpoint_due(losses->iteration))
          observer->on_checkpoint(state_at(*driver, k, earlier));
      }
    }
    start = driver->result();
    if (result.stopped) {
      result.state = state_at(*driver, k, earlier);  // (a copy of the optimiser's history)
      result.iterations = earlier + driver->iterations();
      // The picture so far, at the output's size.
      result.image =
          job.picture(resize_image(start, image_size(job.final_scale().content)), count - 1);
      return result;
    }
    earlier += driver->iterations();
  }
  result.iterations = earlier;
  result.image = job.picture(start, count - 1);
  return result;
}

}  // namespace nst
