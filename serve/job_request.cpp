#include "serve/job_request.h"

#include <algorithm>
#include <charconv>

#include "nst/image.h"
#include "nst/memory.h"
#include "nst/scales.h"
#include "nst/setting_table.h"
#include "nst/settings_text.h"
#include "serve/request_text.h"

namespace nst::serve {
namespace {

using nlohmann::json;

[[noreturn]] void refuse(const std::string& option, const std::string& message) {
  throw SettingError(option, option + ": " + message);
}

std::string number_text(const json& value) {
  if (value.is_number_integer()) return value.dump();
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value.get<double>()).ptr;
  return std::string(text, end);
}

// The value as the command line would have it: numbers and words as they are, lists joined
// with commas.
std::string option_text(const std::string& option, const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return number_text(value);
  if (value.is_array()) {
    std::string text;
    for (const json& entry : value) {
      if (!entry.is_string() && !entry.is_number())
        refuse(option, "a list may hold only numbers and words, got " + excerpt(entry.dump()));
      if (!text.empty()) text += ',';
      text += option_text(option, entry);
    }
    return text;
  }
  refuse(option, "expected a number, a word or a list, got " + excerpt(value.dump()));
}

// How messages call an upload: its role and its file name, "style 2 (b.png)".
std::string upload_name(const Upload& upload, const std::string& role) {
  return role + " (" + (upload.filename.empty() ? "no name" : upload.filename) + ")";
}

}  // namespace

json settings_json(const JobLimits& limits) {
  JobSettings defaults;
  defaults.max_pixels = limits.max_pixels;
  defaults.max_memory = limits.max_memory;
  json settings = json::array();
  for (const SettingSpec& spec : setting_specs()) {
    if (!spec.not_for_service.empty()) continue;
    const std::string text = spec.text(defaults);
    json entry{{"name", spec.name}, {"type", spec.type}, {"help", spec.help}};
    // The default as JSON: numbers as numbers, lists as arrays.
    if (spec.type == "integer" || spec.type == "bytes" || spec.type == "number") {
      entry["default"] = json::parse(text);
    } else if (spec.type == "list" || spec.type == "numbers") {
      entry["default"] = json::array();
      for (const std::string& item :
           text.empty() ? std::vector<std::string>{} : list_from_text(text, std::string(spec.name)))
        entry["default"].push_back(spec.type == "numbers" ? json::parse(item) : json(item));
    } else if (spec.type == "integer-or-auto" && text != "auto") {
      entry["default"] = json::parse(text);
    } else {
      entry["default"] = text;
    }
    if (spec.minimum) entry[spec.exclusive ? "above" : "minimum"] = *spec.minimum;
    if (spec.maximum) entry[spec.exclusive_maximum ? "below" : "maximum"] = *spec.maximum;
    if (!spec.choices.empty()) entry["choices"] = spec.choices;
    settings.push_back(std::move(entry));
  }
  // The server's caps on what a job may ask for.
  auto cap = [&](std::string_view name, int64_t maximum) {
    for (json& entry : settings) {
      if (entry["name"] == name) entry["maximum"] = maximum;
    }
  };
  cap("iterations", limits.max_iterations);
  cap("max-pixels", limits.max_pixels);
  if (limits.max_memory > 0) cap("max-memory", limits.max_memory);
  return {
      {"settings", settings},
      {"limits", {{"max-iterations", limits.max_iterations}, {"max-styles", limits.max_styles}}}};
}

std::string option_name(std::string_view field) {
  if (field == "styles") return "style";
  if (field == "init_image") return "init";
  if (field == "style_masks") return std::string(kStyleMaskPart) + "N";  // the form's parts
  if (field == "style_source_masks") return std::string(kStyleSourceMaskPart) + "N";
  std::string name(field);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

JobOptions parse_job_options(const json& options, std::size_t styles, const JobLimits& limits) {
  if (!options.is_object())
    throw SettingError("", "options: expected a JSON object, got " + excerpt(options.dump()));
  JobOptions o;
  JobSettings& s = o.settings;
  s.max_pixels = limits.max_pixels;
  s.max_memory = limits.max_memory;
  if (styles > static_cast<std::size_t>(limits.max_styles)) {
    refuse("style", std::to_string(styles) + " style pictures; this server takes at most " +
                        std::to_string(limits.max_styles) + " (--max-styles)");
  }
  for (const auto& [key, value] : options.items()) {
    if (const CommandOptionSpec* command = find_command_option(key))
      refuse(key, std::string(command->not_for_service));
    const SettingSpec* spec = find_setting(key);
    if (spec != nullptr && !spec->not_for_service.empty())
      refuse(key, std::string(spec->not_for_service));
    const std::string text = option_text(key, value);
    if (spec == nullptr) {
      throw SettingError("", "unknown option '" + key +
                                 "'; the options are those of nst stylize --help, without the "
                                 "dashes");
    }
    set_setting(s, key, text, option_name);
    if (key == "init" && s.init == InitKind::image)
      refuse(key, "must be content or noise; a starting image file would be a path on the server");
  }
  if (s.max_pixels > limits.max_pixels)
    refuse("max-pixels", "the server allows at most " + std::to_string(limits.max_pixels));
  if (limits.max_memory > 0 && (s.max_memory == 0 || s.max_memory > limits.max_memory)) {
    if (options.contains("max-memory"))
      refuse("max-memory",
             "the server allows each job at most " + std::to_string(limits.max_memory) + " bytes");
    s.max_memory = limits.max_memory;
  }
  s.threads = limits.threads;
  validate_settings(s, styles, option_name);
  if (const int planned = planned_iterations(s); planned > limits.max_iterations) {
    refuse("iterations", "the run would take " + std::to_string(planned) +
                             " iterations over its scales; this server allows at most " +
                             std::to_string(limits.max_iterations) + " (--max-iterations)");
  }
  return o;
}

JobPlan plan_uploads(const JobUploads& uploads, const JobSettings& settings,
                     const JobLimits& limits) {
  int64_t decoded = 0;
  const auto probe = [&](const Upload& upload, const std::string& role) {
    const std::string name = upload_name(upload, role);
    const auto* bytes = reinterpret_cast<const uint8_t*>(upload.bytes.data());
    const ImageSize size = probe_image({bytes, upload.bytes.size()}, name, limits.max_pixels);
    decoded += decoded_image_bytes(size);
    if (limits.max_memory > 0 && decoded > limits.max_memory) {
      fail(name, ": its ", size.width, "x", size.height, " pixels take ",
           format_bytes(decoded_image_bytes(size)), " to decode, and the job's pictures together ",
           format_bytes(decoded), ", over this server's ", format_bytes(limits.max_memory),
           " per job");
    }
    return PlannedImage{name, size};
  };
  const PlannedImage content_size = probe(uploads.content, "content");
  std::vector<PlannedImage> style_sizes;
  for (std::size_t i = 0; i < uploads.styles.size(); ++i)
    style_sizes.push_back(probe(uploads.styles[i], "style " + std::to_string(i + 1)));
  // Masks are probed the same way and count towards the decoding memory; their sizes do not
  // change the plan. prepare() judges the rest (a black mask, a stretched one).
  for (const auto& [masks, role] : {std::pair{&uploads.style_masks, "style mask "},
                                    std::pair{&uploads.style_source_masks, "style source mask "}}) {
    for (std::size_t i = 0; i < masks->size(); ++i) {
      if ((*masks)[i]) probe(*(*masks)[i], role + std::to_string(i + 1));
    }
  }
  return plan(settings, content_size, style_sizes, {}, option_name);
}

JobSettings job_settings(const JobRecord& record, const JobLimits& limits) {
  if (!record.settings)
    return parse_job_options(record.options, record.style_names.size(), limits).settings;
  JobSettings settings = *record.settings;
  settings.threads = limits.threads;
  return settings;
}

Job job_from_uploads(const JobUploads& uploads, const JobSettings& settings) {
  const auto decoded = [&](const Upload& upload, const std::string& role) {
    const std::string name = upload_name(upload, role);
    const auto* bytes = reinterpret_cast<const uint8_t*>(upload.bytes.data());
    return ImageSource::image(decode_image({bytes, upload.bytes.size()}, name, settings.max_pixels),
                              name);
  };
  Job job;
  job.content = decoded(uploads.content, "content");
  job.settings = settings;
  for (std::size_t i = 0; i < uploads.styles.size(); ++i)
    job.styles.push_back(decoded(uploads.styles[i], "style " + std::to_string(i + 1)));
  const auto decoded_masks = [&](const std::vector<std::optional<Upload>>& masks,
                                 const std::string& role) {
    std::vector<ImageSource> sources(masks.size());  // an empty source: none
    for (std::size_t i = 0; i < masks.size(); ++i) {
      if (masks[i]) sources[i] = decoded(*masks[i], role + std::to_string(i + 1));
    }
    return sources;
  };
  job.style_masks = decoded_masks(uploads.style_masks, "style mask ");
  job.style_source_masks = decoded_masks(uploads.style_source_masks, "style source mask ");
  return job;
}

}  // namespace nst::serve
