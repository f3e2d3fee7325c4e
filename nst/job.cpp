#include "nst/job.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include "nst/drivers.h"
#include "nst/memory.h"
#include "nst/resize.h"
#include "tensor/aligned_buffer.h"
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

void check_big_enough(const std::string& what, ImageSize size, int min_side,
                      const FieldNames& names) {
  NST_CHECK(std::min(size.width, size.height) >= min_side, what, " is ", text(size),
            " at the working size; the deepest layer used needs at least ", min_side,
            " pixels on each side (raise ", name_of(names, "size"), " or ",
            name_of(names, "style_scale"), ", or use shallower layers)");
}

// Diverged losses: name the weighted terms that overflowed, and the step size, which can make
// the image itself non-finite whatever the weights.
void check_finite(const IterationLosses& l, const JobSettings& s, const FieldNames& names) {
  if (std::isfinite(l.total)) return;
  std::string lower;
  for (const auto& [value, weight, field] :
       {std::tuple{l.content, s.content_weight, "content_weight"},
        std::tuple{l.style, s.style_weight, "style_weight"},
        std::tuple{l.tv, s.tv_weight, "tv_weight"}}) {
    if (!std::isfinite(value) && weight > 0) lower += name_of(names, field) + " or ";
  }
  fail("iteration ", l.iteration, ": the loss is no longer finite (total ", l.total, ", content ",
       l.content, ", style ", l.style, ", tv ", l.tv, "); lower ", lower,
       name_of(names, "learning_rate"));
}

}  // namespace

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

  // Style images: longest side style_scale times the output's.
  const int style_side =
      std::max(1, static_cast<int>(std::lround(s.style_scale * std::max(size.width, size.height))));
  std::vector<Tensor> styles;
  for (const ImageSource& source : job.styles) {
    styles.push_back(load(source, s.max_pixels));
    sizes.styles_original.push_back(image_size(styles.back()));
    const ImageSize style_size = fit_longest_side(sizes.styles_original.back(), style_side);
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

  prepared.memory = estimate_memory(s, sizes);
  const int64_t limit = s.max_memory > 0 ? s.max_memory : default_max_memory();
  NST_CHECK(prepared.memory.total() <= limit, "this run would need about ",
            format_bytes(prepared.memory.total()), " of memory (",
            format_bytes(prepared.memory.work), " of it for ", prepared.memory.phase,
            "), more than the ", format_bytes(limit), " that ", name_of(names, "max_memory"),
            " allows; lower ", name_of(names, "size"), " or ", name_of(names, "style_scale"),
            ", use shallower layers, or raise ", name_of(names, "max_memory"));

  prepared.content = resize_image(content, size);
  for (std::size_t i = 0; i < styles.size(); ++i)
    prepared.styles.push_back(resize_image(styles[i], sizes.styles[i]));
  switch (s.init) {
    case InitKind::content: prepared.initial = prepared.content; break;
    case InitKind::noise:
      prepared.initial = Tensor(prepared.content.shape());
      Random(s.seed).fill_uniform(prepared.initial.values(), 0.0f, 1.0f);
      break;
    case InitKind::image: {
      // Aspect ratios that differ by more than a pixel's worth get stretched: say so.
      const ImageSize init_size = sizes.init_original;
      if (std::abs(int64_t{init_size.width} * size.height -
                   int64_t{init_size.height} * size.width) >
          std::max(init_size.width, init_size.height)) {
        prepared.notes.push_back("the starting image " + job.init_image.name + " is " +
                                 text(init_size) + "; it is stretched to the content's " +
                                 text(size));
      }
      prepared.initial = resize_image(init, size);
      break;
    }
  }
  return prepared;
}

JobResult run_job(const PreparedJob& job, nn::Vgg19& model, JobObserver* observer,
                  const RunState* resume) {
  const JobSettings& s = job.settings;
  NST_CHECK(model.pooling() == s.pooling, "the model's pooling differs from the settings'");
  const ThreadCountScope threads(s.threads);
  if (observer != nullptr) observer->on_stage("computing the content and style targets");
  StyleObjective objective(model, job.content, job.styles, s);
  // Blocks are worth keeping only where the same sizes come back: in the iterations. (The
  // targets' blocks, often of other sizes, go straight back to the system.)
  const BlockReuseScope reuse_blocks;
  const std::unique_ptr<OptimizerDriver> driver = make_driver(objective, job.initial, s);
  if (resume != nullptr) driver->restore(*resume);
  JobResult result;
  while (driver->iterations() < s.iterations) {
    if (observer != nullptr && observer->stop_requested()) {
      result.stopped = true;
      break;
    }
    const std::optional<IterationLosses> losses = driver->step();
    if (!losses) {
      result.converged = true;
      break;
    }
    check_finite(*losses, s, job.names);
    if (observer != nullptr) {
      observer->on_iteration(*losses, driver->image());
      if (observer->checkpoint_due(losses->iteration)) observer->on_checkpoint(driver->save());
    }
  }
  result.iterations = driver->iterations();
  result.image = driver->result();
  if (result.stopped) result.state = driver->save();  // (a copy of the optimiser's history)
  return result;
}

}  // namespace nst
