#include "nst/settings_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "tensor/error.h"

namespace nst {
namespace {

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

template <class T>
T number(const std::string& raw, const std::string& name, const char* kind) {
  const std::string text = trimmed(raw);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    throw SettingError("", name + ": '" + raw + "' is out of range");
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw SettingError("", name + ": '" + raw + "' is not " + kind);
  return value;
}

// A choice among words, e.g. the optimizer: "NAME must be adam or lbfgs, got 'sgd'".
template <class Parse>
auto choice(const std::string& text, const std::string& name, Parse parse, const char* words) {
  const auto value = parse(text);
  if (!value) throw SettingError("", name + " must be " + words + ", got '" + text + "'");
  return *value;
}

void set(JobSettings& s, std::string_view option, const std::string& text,
         const std::string& name) {
  if (option == "size") {
    s.size = int_from_text(text, name);
  } else if (option == "style-scale") {
    s.style_scale = double_from_text(text, name);
  } else if (option == "max-pixels") {
    s.max_pixels = int64_from_text(text, name);
  } else if (option == "iterations") {
    s.iterations = int_from_text(text, name);
  } else if (option == "optimizer") {
    s.optimizer = choice(text, name, parse_optimizer, "adam or lbfgs");
  } else if (option == "learning-rate") {
    s.learning_rate = double_from_text(text, name);
  } else if (option == "content-weight") {
    s.content_weight = double_from_text(text, name);
  } else if (option == "style-weight") {
    s.style_weight = double_from_text(text, name);
  } else if (option == "tv-weight") {
    s.tv_weight = double_from_text(text, name);
  } else if (option == "content-layers") {
    s.content_layers = list_from_text(text, name);
  } else if (option == "style-layers") {
    s.style_layers = list_from_text(text, name);
  } else if (option == "style-blend") {
    s.style_blend.clear();
    for (const std::string& weight : list_from_text(text, name))
      s.style_blend.push_back(double_from_text(weight, name));
  } else if (option == "pooling") {
    s.pooling = choice(text, name, parse_pooling, "max or avg");
  } else if (option == "init") {
    const std::optional<InitKind> init = parse_init(text);
    s.init = init && *init != InitKind::image ? *init : InitKind::image;
  } else if (option == "seed") {
    s.seed = uint64_from_text(text, name);
  } else if (option == "preserve-colors") {
    s.preserve_colors = choice(text, name, parse_color_mode, "none, luminance or histogram");
  } else if (option == "scales") {
    if (trimmed(text) == "auto") {
      s.scales.reset();
      return;
    }
    const int scales = int_from_text(text, name);
    if (scales < 1) {
      throw SettingError("", name + " must be auto or a whole number of at least 1, got " +
                                 std::to_string(scales));
    }
    s.scales = scales;
  } else if (option == "coarse-iterations") {
    s.coarse_iterations = int_from_text(text, name);
  } else if (option == "threads") {
    s.threads = int_from_text(text, name);
  } else if (option == "max-memory") {
    s.max_memory = bytes_from_text(text, name);
  } else {
    fail("'", option, "' is not a job setting");
  }
}

}  // namespace

const std::vector<std::string_view>& setting_options() {
  static const std::vector<std::string_view> options{"size",           "style-scale",
                                                     "max-pixels",     "iterations",
                                                     "optimizer",      "learning-rate",
                                                     "content-weight", "style-weight",
                                                     "tv-weight",      "content-layers",
                                                     "style-layers",   "style-blend",
                                                     "pooling",        "init",
                                                     "seed",           "preserve-colors",
                                                     "scales",         "coarse-iterations",
                                                     "threads",        "max-memory"};
  return options;
}

bool is_setting_option(std::string_view option) {
  const auto& options = setting_options();
  return std::find(options.begin(), options.end(), option) != options.end();
}

void set_setting(JobSettings& settings, std::string_view option, const std::string& text,
                 const FieldNames& names) {
  std::string field(option);
  std::replace(field.begin(), field.end(), '-', '_');
  try {
    set(settings, option, text, name_of(names, field));
  } catch (const SettingError& e) {
    throw SettingError(field, e.what());
  }
}

int int_from_text(const std::string& text, const std::string& name) {
  return number<int>(text, name, "a whole number");
}
int64_t int64_from_text(const std::string& text, const std::string& name) {
  return number<int64_t>(text, name, "a whole number");
}
uint64_t uint64_from_text(const std::string& text, const std::string& name) {
  return number<uint64_t>(text, name, "a non-negative whole number");
}
double double_from_text(const std::string& text, const std::string& name) {
  return number<double>(text, name, "a number");
}

std::vector<std::string> list_from_text(const std::string& text, const std::string& name) {
  std::vector<std::string> entries;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string entry = trimmed(text.substr(begin, comma - begin));
    if (entry.empty()) {
      throw SettingError(
          "", name + ": " +
                  (trimmed(text).empty() ? "names nothing" : "an empty entry in '" + text + "'"));
    }
    entries.push_back(entry);
    if (comma == std::string::npos) return entries;
    begin = comma + 1;
  }
}

int64_t bytes_from_text(const std::string& raw, const std::string& name) {
  std::string text = trimmed(raw);
  int shift = 0;
  if (!text.empty()) {
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
    shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0;
  }
  if (shift > 0) text.pop_back();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) ||
      value * static_cast<double>(int64_t{1} << shift) > 9e18) {
    throw SettingError(
        "", name + ": '" + raw + "' is not a size such as 6G, 800M or a number of bytes");
  }
  return static_cast<int64_t>(value * static_cast<double>(int64_t{1} << shift));
}

}  // namespace nst
