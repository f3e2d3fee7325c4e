#include "nst/settings.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "nst/scales.h"
#include "nst/setting_table.h"

namespace nst {
namespace {

template <class... Parts>
[[noreturn]] void fail_setting(const std::string& field, const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw SettingError(field, message.str());
}

void check_layers(const std::vector<std::string>& layers, const std::string& field,
                  const FieldNames& names) {
  const std::vector<std::string> valid = nn::vgg19_relu_names();
  for (const std::string& name : layers) {
    if (std::find(valid.begin(), valid.end(), name) != valid.end()) continue;
    std::string list;
    for (const std::string& v : valid) list += (list.empty() ? "" : ", ") + v;
    fail_setting(field, name_of(names, field), ": unknown layer '", name,
                 "'; valid layers: ", list);
  }
}

}  // namespace

std::string_view optimizer_name(OptimizerKind kind) {
  return kind == OptimizerKind::adam ? "adam" : "lbfgs";
}
std::string_view pooling_name(nn::Pooling pooling) {
  return pooling == nn::Pooling::max ? "max" : "avg";
}
std::string_view init_name(InitKind kind) {
  switch (kind) {
    case InitKind::content: return "content";
    case InitKind::noise: return "noise";
    case InitKind::image: return "image";
  }
  return "";
}

std::string_view color_mode_name(ColorMode mode) {
  switch (mode) {
    case ColorMode::none: return "none";
    case ColorMode::luminance: return "luminance";
    case ColorMode::histogram: return "histogram";
  }
  return "";
}

std::optional<OptimizerKind> parse_optimizer(std::string_view name) {
  for (OptimizerKind kind : {OptimizerKind::adam, OptimizerKind::lbfgs}) {
    if (name == optimizer_name(kind)) return kind;
  }
  return std::nullopt;
}
std::optional<nn::Pooling> parse_pooling(std::string_view name) {
  for (nn::Pooling pooling : {nn::Pooling::max, nn::Pooling::average}) {
    if (name == pooling_name(pooling)) return pooling;
  }
  return std::nullopt;
}
std::optional<InitKind> parse_init(std::string_view name) {
  for (InitKind kind : {InitKind::content, InitKind::noise, InitKind::image}) {
    if (name == init_name(kind)) return kind;
  }
  return std::nullopt;
}

std::optional<ColorMode> parse_color_mode(std::string_view name) {
  for (ColorMode mode : {ColorMode::none, ColorMode::luminance, ColorMode::histogram}) {
    if (name == color_mode_name(mode)) return mode;
  }
  return std::nullopt;
}

std::string name_of(const FieldNames& names, std::string_view field) {
  return names ? names(field) : std::string(field);
}

void validate_settings(const JobSettings& s, std::size_t styles, const FieldNames& names) {
  auto name = [&](std::string_view field) { return name_of(names, field); };
  // The numbers reach float arithmetic; one that float cannot hold would make every loss
  // infinite or NaN.
  auto fits_float = [&](const char* field, double value) {
    if (std::isnan(value)) fail_setting(field, name(field), " is not a number (", value, ")");
    if (!(std::abs(value) <= std::numeric_limits<float>::max())) {
      fail_setting(field, name(field), " is ", value, ", more than a float can hold (",
                   std::numeric_limits<float>::max(), ")");
    }
  };
  for (const auto& [field, value] : {std::pair{"style_scale", s.style_scale},
                                     {"content_weight", s.content_weight},
                                     {"style_weight", s.style_weight},
                                     {"tv_weight", s.tv_weight},
                                     {"learning_rate", s.learning_rate}}) {
    fits_float(field, value);
  }
  for (double w : s.style_blend) fits_float("style_blend", w);

  if (styles == 0) fail_setting("styles", name("styles"), ": at least one style image is needed");
  // Each setting's range, from the table.
  for (const SettingSpec& spec : setting_specs()) {
    const std::optional<double> value = spec.number ? spec.number(s) : std::nullopt;
    if (!value) continue;
    const std::string field(spec.field);
    if (std::isnan(*value)) fail_setting(field, name(field), " is not a number (", *value, ")");
    if (spec.minimum && !(spec.exclusive ? *value > *spec.minimum : *value >= *spec.minimum)) {
      if (spec.type == "integer-or-auto") {
        fail_setting(field, name(field), " must be auto or a whole number of at least ",
                     *spec.minimum, ", got ", *value);
      }
      if (spec.type == "number" && *spec.minimum == 0) {
        fail_setting(field, name(field),
                     spec.exclusive ? " must be positive" : " must not be negative", ", got ",
                     *value);
      }
      fail_setting(field, name(field), " must be at least ", *spec.minimum, ", got ", *value);
    }
    if (spec.maximum &&
        !(spec.exclusive_maximum ? *value < *spec.maximum : *value <= *spec.maximum)) {
      fail_setting(field, name(field),
                   spec.exclusive_maximum ? " must be below " : " must be at most ", *spec.maximum,
                   ", got ", *value);
    }
  }
  check_layers(s.content_layers, "content_layers", names);
  check_layers(s.style_layers, "style_layers", names);
  if (s.content_layers.empty() && s.style_layers.empty()) {
    fail_setting("", "no layers: ", name("content_layers"), " and ", name("style_layers"),
                 " are both empty");
  }
  if (s.content_weight == 0 && s.style_weight == 0 && s.tv_weight == 0)
    fail_setting("", "all loss weights are 0: there is nothing to optimise");
  normalized_blend(s.style_blend, styles, names);
  // Each scale halves the size: past this, even a 16383-pixel output has no pixel left.
  if (s.scales && *s.scales > kMaxScales)
    fail_setting("scales", name("scales"), " must be at most ", kMaxScales, ", got ", *s.scales);
  const int64_t total = s.iterations + int64_t{planned_scale_count(s) - 1} * s.coarse_iterations;
  if (total > std::numeric_limits<int>::max()) {
    fail_setting("", name("iterations"), " and ", name("coarse_iterations"), " make ", total,
                 " iterations in all, more than ", std::numeric_limits<int>::max());
  }
  // More threads than this only add switching (5000 ran 100x slower) and, past some count,
  // hang inside OpenBLAS.
  if (const int most = max_threads(); s.threads > most) {
    fail_setting("threads", name("threads"), " must be at most ", most, " (4 per core of the ",
                 most / 4, " here), got ", s.threads);
  }
}

int max_threads() {
  return 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::vector<double> normalized_blend(const std::vector<double>& weights, std::size_t styles,
                                     const FieldNames& names) {
  if (weights.empty()) return std::vector<double>(styles, 1.0 / static_cast<double>(styles));
  const std::string field = name_of(names, "style_blend");
  if (weights.size() != styles) {
    fail_setting("style_blend", field, " has ", weights.size(), " weight",
                 weights.size() == 1 ? "" : "s", " for ", styles, " style image",
                 styles == 1 ? "" : "s");
  }
  double total = 0.0;
  for (double w : weights) {
    if (!(w >= 0.0)) fail_setting("style_blend", field, " weights must not be negative, got ", w);
    total += w;
  }
  if (!(total > 0.0)) fail_setting("style_blend", field, " weights must not all be zero");
  std::vector<double> normalized;
  for (double w : weights) normalized.push_back(w / total);
  return normalized;
}

std::vector<std::string> used_layers(const JobSettings& settings) {
  std::vector<std::string> layers = settings.content_layers;
  layers.insert(layers.end(), settings.style_layers.begin(), settings.style_layers.end());
  return layers;
}

int min_side_for(const JobSettings& settings) {
  int deepest = 0;
  for (const auto* layers : {&settings.content_layers, &settings.style_layers}) {
    for (const std::string& name : *layers)
      deepest = std::max(deepest, nn::vgg19_layer_index(name));
  }
  int side = 1;
  const auto& all = nn::vgg19_layers();
  for (int i = 0; i < deepest; ++i) {
    if (all[i].kind == nn::Vgg19Layer::Kind::pool) side *= 2;
  }
  return side;
}

}  // namespace nst
