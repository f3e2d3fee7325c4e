// The settings of a style-transfer job: every choice that shapes the picture or the run, with
// its default, defined here once. The field names are the vocabulary that the faces of the job
// API map to: the CLI turns `style_weight` into `--style-weight`, the service into the JSON
// field "style_weight". Messages about a setting name it through a FieldNames function, so
// each face shows its own spelling.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/vgg19.h"
#include "nst/image.h"
#include "tensor/error.h"

namespace nst {

enum class OptimizerKind { adam, lbfgs };
// The starting image: the content, uniform noise in [0, 1] (seeded), or a given image.
enum class InitKind { content, noise, image };
// Keeping the content's colours (nst/color.h): not at all, by running on luminance only, or by
// recolouring the style pictures to the content's colour mean and covariance.
enum class ColorMode { none, luminance, histogram };

struct JobSettings {
  // The pictures.
  int size = 512;            // longest side of the output, in pixels
  double style_scale = 1.0;  // style images' longest side, as a multiple of the output's
  int64_t max_pixels = kDefaultMaxPixels;  // input images and working sizes above are refused
  InitKind init = InitKind::content;
  uint64_t seed = 0;  // for init = noise
  ColorMode preserve_colors = ColorMode::none;

  // The objective, E = content_weight E_c + style_weight E_s + tv_weight E_tv (README).
  std::vector<std::string> content_layers{"relu4_2"};
  std::vector<std::string> style_layers{"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};
  double content_weight = 1.0;
  double style_weight = 330.0;  // the PyTorch tutorial's balance in our units (README)
  double tv_weight = 0.0;
  std::vector<double> style_blend;  // one weight per style image; empty: equal
  nn::Pooling pooling = nn::Pooling::max;

  // The optimisation.
  OptimizerKind optimizer = OptimizerKind::adam;
  int iterations = 500;         // at the last (full-size) scale
  double learning_rate = 0.03;  // Adam's step, on the [0, 1] image
  // Adam's decay of its average of squared gradients (torch's betas[1]): a pixel's step is set
  // by its last ~1 / (1 - adam_beta2) gradients. PyTorch's default, 0.999, remembers the large
  // early gradients for a thousand steps and makes the late ones small (README, "Adam's step").
  double adam_beta2 = 0.9;
  // Coarse to fine (nst/scales.h): the number of sizes, each twice the previous and the last
  // `size`; nothing: chosen from `size`. Each coarser scale runs `coarse_iterations`.
  std::optional<int> scales;
  int coarse_iterations = 50;  // measured: bench/scales.sh, README
  // A scale stops before its iterations are done once it has converged (nst/convergence.h);
  // 0: never, every iteration runs. Measured: bench/tolerance_curves.sh, README.
  double tolerance = 0.03;
  int tolerance_window = 50;

  // The result's file (and snapshots, previews): JPEG quality, PNG compression.
  ImageEncoding encoding;

  // Tiled evaluation (nst/tiling.h): the side of a tile's core in pixels; 0: the whole image
  // in one pass; nothing (auto): tiles only when one pass would need more than max_memory,
  // as large as fit (nst/plan.h). The result is the same either way, up to float rounding.
  std::optional<int> tile_size;
  // Set by the plan (nst/plan.h), not by users: whether a tiled iteration keeps each tile's
  // deep layers (from pool2 on) from its first pass for its second, which then runs only the
  // shallow layers again: a quarter of a forward pass's multiply-adds (about a third of its
  // time) instead of all of it, for about 150 bytes a pixel of the picture
  // (nst/objective_tiled.cpp, nst/memory.h).
  bool keep_deep_tile_state = false;

  int threads = 0;         // 0: the process's default (all cores, or OMP_NUM_THREADS)
  int64_t max_memory = 0;  // bytes a run may need (nst/memory.h); 0: 3/4 of physical memory
};

// The words the faces use for the choices: "adam" / "lbfgs", "max" / "avg", "content" /
// "noise" / "image", "none" / "luminance" / "histogram"; parsing gives nothing for any other word.
std::string_view optimizer_name(OptimizerKind kind);
std::string_view pooling_name(nn::Pooling pooling);
std::string_view init_name(InitKind kind);
std::string_view color_mode_name(ColorMode mode);
std::optional<OptimizerKind> parse_optimizer(std::string_view name);
std::optional<nn::Pooling> parse_pooling(std::string_view name);
std::optional<InitKind> parse_init(std::string_view name);
std::optional<ColorMode> parse_color_mode(std::string_view name);

// How messages spell a setting's name; empty: the field name itself ("style_weight").
using FieldNames = std::function<std::string(std::string_view field)>;
std::string name_of(const FieldNames& names, std::string_view field);

// A setting that is wrong in itself, whatever the images: the CLI reports it as a usage error.
class SettingError : public Error {
 public:
  SettingError(std::string field, const std::string& message)
      : Error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }  // "" when no single field is to blame

 private:
  std::string field_;
};

// The most threads a run may ask for: 4 per core of this machine.
int max_threads();

// Throws SettingError for the first setting that cannot work with `styles` style images.
void validate_settings(const JobSettings& settings, std::size_t styles,
                       const FieldNames& names = {});

// Blend weights normalised to sum to 1 (equal weights when `weights` is empty); SettingError
// for a negative weight, an all-zero list, or a count that differs from the number of styles.
std::vector<double> normalized_blend(const std::vector<double>& weights, std::size_t styles,
                                     const FieldNames& names = {});

// The layers the objective reads: the content layers, then the style layers.
std::vector<std::string> used_layers(const JobSettings& settings);

// The smallest image side that still has a pixel at the deepest layer the settings use: each
// pool before it halves the image.
int min_side_for(const JobSettings& settings);

}  // namespace nst
