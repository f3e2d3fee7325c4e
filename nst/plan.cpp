#include "nst/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "nst/resize.h"
#include "nst/tiled_features.h"
#include "nst/tiling.h"
#include "tensor/error.h"

namespace nst {
namespace {

// A style picture's working size next to a content of `content` size: its longest side
// style_scale times the content's.
ImageSize style_size_for(ImageSize original, ImageSize content, double style_scale) {
  const int side = std::max(
      1, static_cast<int>(std::lround(style_scale * std::max(content.width, content.height))));
  return fit_longest_side(original, side);
}

void check_big_enough(const std::string& what, ImageSize size, int min_side,
                      const FieldNames& names) {
  NST_CHECK(std::min(size.width, size.height) >= min_side, what, " is ", to_string(size),
            " at the working size; the deepest layer used needs at least ", min_side,
            " pixels on each side (raise ", name_of(names, "size"), " or ",
            name_of(names, "style_scale"), ", or use shallower layers)");
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

// The pictures of one scale, by size.
ScalePlan scale_plan(const JobSettings& s, const JobSizes& sizes, const Scale& scale) {
  ScalePlan out;
  out.iterations = scale.iterations;
  out.content = fit_longest_side(sizes.content_original, scale.size);
  for (ImageSize style : sizes.styles_original)
    out.styles.push_back(style_size_for(style, out.content, s.style_scale));
  return out;
}

// The smallest core auto tiling tries: as wide as its border (a tile then runs at most 9 times
// its core's pixels), and 64 pixels at least.
int smallest_auto_core(const TileGeometry& geometry) {
  const int a = geometry.alignment;
  return (std::max(64, geometry.border) + a - 1) / a * a;
}

// With tile_size auto and a run whose whole picture needs more than `limit`: the largest core
// size that fits, as n equal cores along the longest side of the largest picture (the content
// or a style) for n = 2, 3, ... (equal cores waste no pass on a sliver). Nothing when even the
// smallest core worth running does not fit.
std::optional<int> fitting_tile_size(const JobSettings& s, const JobSizes& sizes, int64_t limit) {
  const TileGeometry geometry = tile_geometry(used_layers(s));
  const int a = geometry.alignment;
  int longest = std::max(sizes.content.width, sizes.content.height);
  for (ImageSize style : sizes.styles) longest = std::max({longest, style.width, style.height});
  JobSettings tiled = s;
  for (int n = 2;; ++n) {
    const int core = ((longest + n - 1) / n + a - 1) / a * a;
    if (core < smallest_auto_core(geometry)) return std::nullopt;
    tiled.tile_size = core;
    if (estimate_memory(tiled, sizes).total() <= limit) return core;
  }
}

int tile_count(ImageSize size, int tile_size, const JobSettings& s) {
  if (tile_size <= 0) return 1;
  return static_cast<int>(plan_tiles(size, tile_size, tile_geometry(used_layers(s))).size());
}

// Whether a tiled run keeps each tile's deep layers from an iteration's first pass for its
// second (JobSettings::keep_deep_tile_state): when that fits the limit with the tiles already
// chosen. Not by taking smaller tiles to make room: their borders cost about what keeping saves
// or more (README, "Tiled runs"). Sets plan.memory too.
void plan_deep_state(const JobSettings& s, const JobSizes& sizes, int64_t limit, JobPlan& plan) {
  if (tile_count(sizes.content, plan.tile_size, s) < 2 || tile_split_layer(used_layers(s)) < 0)
    return;
  JobSettings keep = s;
  keep.tile_size = plan.tile_size;
  keep.keep_deep_tile_state = true;
  const MemoryEstimate memory = estimate_memory(keep, sizes);
  if (memory.total() > limit) return;
  plan.memory = memory;
  plan.keep_deep_tile_state = true;
}

}  // namespace

int JobPlan::total_iterations() const {
  int total = 0;
  for (const ScalePlan& scale : scales) total += scale.iterations;
  return total;
}

JobPlan plan(const JobSettings& s, const PlannedImage& content,
             const std::vector<PlannedImage>& styles, const PlannedImage& init,
             const FieldNames& names) {
  validate_settings(s, styles.size(), names);
  JobPlan plan;
  JobSizes sizes;  // what the memory estimate is made from (nst/memory.h)

  // The working sizes first, each held to the pixel limit (a size of 20000 must not exhaust
  // memory), then the memory the whole run needs.
  check_pixel_limit(content.size.width, content.size.height, s.max_pixels, content.name);
  sizes.content_original = content.size;
  const ImageSize size = sizes.content = fit_longest_side(content.size, s.size);
  const int original_side = std::max(content.size.width, content.size.height);
  if (original_side < s.size) {
    plan.notes.push_back("the content is " + to_string(content.size) + "; upscaling it to " +
                         to_string(size) + " (use " + name_of(names, "size") + " " +
                         std::to_string(original_side) + " to keep its size)");
  }
  check_pixel_limit(size.width, size.height, s.max_pixels,
                    "the working size (" + name_of(names, "size") + ")");
  const int min_side = min_side_for(s);
  check_big_enough(content.name, size, min_side, names);

  for (const PlannedImage& style : styles) {
    check_pixel_limit(style.size.width, style.size.height, s.max_pixels, style.name);
    sizes.styles_original.push_back(style.size);
    const ImageSize style_size = style_size_for(style.size, size, s.style_scale);
    check_pixel_limit(style_size.width, style_size.height, s.max_pixels,
                      style.name + " at " + name_of(names, "style_scale"));
    check_big_enough(style.name, style_size, min_side, names);
    sizes.styles.push_back(style_size);
  }
  if (s.init == InitKind::image) {
    check_pixel_limit(init.size.width, init.size.height, s.max_pixels, init.name);
    sizes.init_original = init.size;
    // Aspect ratios that differ by more than a pixel's worth get stretched: say so.
    if (std::abs(int64_t{init.size.width} * size.height - int64_t{init.size.height} * size.width) >
        std::max(init.size.width, init.size.height)) {
      plan.notes.push_back("the starting image " + init.name + " is " + to_string(init.size) +
                           "; it is stretched to the content's " + to_string(size));
    }
  }

  const std::vector<Scale> schedule = choose_scales(s, sizes, min_side, names);
  for (const Scale& scale : schedule) plan.scales.push_back(scale_plan(s, sizes, scale));
  sizes.kept_images = kept_image_sizes(s, sizes, schedule);
  const int64_t limit = s.max_memory > 0 ? s.max_memory : default_max_memory();
  plan.sizes = sizes;
  plan.memory = estimate_memory(s, sizes);
  plan.tile_size = s.tile_size.value_or(0);
  const bool auto_tiles = !s.tile_size.has_value();
  if (auto_tiles && plan.memory.total() > limit) {
    const int64_t whole = plan.memory.total();
    const TileGeometry geometry = tile_geometry(used_layers(s));
    JobSettings tiled = s;
    tiled.tile_size = plan.tile_size =
        fitting_tile_size(s, sizes, limit).value_or(smallest_auto_core(geometry));
    plan.memory = estimate_memory(tiled, sizes);
    plan_deep_state(s, sizes, limit, plan);
    const int content_tiles = tile_count(size, plan.tile_size, s);
    plan.notes.push_back(
        "the whole pictures at once would need about " + format_bytes(whole) + ", more than the " +
        format_bytes(limit) + " that " + name_of(names, "max_memory") +
        " allows: running VGG19 on tiles of " + std::to_string(plan.tile_size) +
        " pixels with a border of " + std::to_string(geometry.border) +
        " pixels instead, the content in " + std::to_string(content_tiles) +
        (content_tiles == 1 ? " tile" : " tiles") + " (the same result, more work per iteration)" +
        (plan.keep_deep_tile_state ? "; each tile keeps its layers from pool2 on between an "
                                     "iteration's two passes, so the second runs only the layers "
                                     "before them again"
                                   : ""));
  } else if (!auto_tiles) {
    plan_deep_state(s, sizes, limit, plan);
  }
  for (ScalePlan& scale : plan.scales) scale.tiles = tile_count(scale.content, plan.tile_size, s);
  // What else could make it fit: tiles when they were turned off, smaller ones when forced.
  const std::string tiling_advice =
      auto_tiles            ? ""
      : plan.tile_size == 0 ? ", let it run in tiles (" + name_of(names, "tile_size") + " auto)"
                            : ", use smaller tiles (" + name_of(names, "tile_size") + ")";
  NST_CHECK(
      plan.memory.total() <= limit, "this run would need about ", format_bytes(plan.memory.total()),
      " of memory (", format_bytes(plan.memory.work), " of it for ", plan.memory.phase,
      plan.scales.back().tiles > 1 ? " in tiles of " + std::to_string(plan.tile_size) + " pixels"
                                   : "",
      "), more than the ", format_bytes(limit), " that ", name_of(names, "max_memory"),
      " allows; lower ", name_of(names, "size"), " or ", name_of(names, "style_scale"),
      ", use shallower layers", tiling_advice, ", or raise ", name_of(names, "max_memory"));
  return plan;
}

int planned_iterations(const JobSettings& settings) {
  return total_iterations(settings, planned_scale_count(settings));
}

}  // namespace nst
