#include "apps/nst/stylize_resume.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>

#include "apps/nst/cli.h"
#include "files/sha256.h"
#include "nst/texture.h"
#include "tensor/error.h"
#include "weights/locate.h"

namespace nst::cli {
namespace {

// File names travel one per line.
std::string lines(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    NST_CHECK(name.find('\n') == std::string::npos, "cannot save a run whose file name '", name,
              "' contains a line break");
    text += name + "\n";
  }
  return text;
}

// Saved names are absolute, so a run can be continued from any folder.
std::string absolute(const std::string& path) {
  return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

// Masks as lines of absolute paths, "-" for a style without one.
std::string mask_lines(const std::vector<ImageSource>& masks) {
  std::vector<std::string> paths;
  for (const ImageSource& mask : masks) paths.push_back(mask.empty() ? "-" : absolute(mask.name));
  return lines(paths);
}

// Outputs are recorded by their name alone: where a continued run writes is never the file's
// to say.
std::string file_name(const std::string& path) {
  return path.empty() ? path : std::filesystem::path(path).filename().string();
}

// A recorded output's SHA-256 when the output did not exist yet.
constexpr const char* kAbsent = "absent";

// The outputs whose contents a resume file records, by role.
std::vector<std::pair<std::string, std::string>> own_outputs(const StylizeOptions& o) {
  return {{"output", o.output}, {"loss_log", o.loss_log}, {"animation", o.animation}};
}

// out.png.nstresume -> out.png, beside the resume file.
std::string derived_output(const std::string& resume) {
  constexpr std::string_view kSuffix = ".nstresume";
  const std::string name = std::filesystem::path(resume).filename().string();
  if (!name.ends_with(kSuffix) || name.size() == kSuffix.size()) {
    throw UsageError("--resume " + resume + ": the output is named after the resume file " +
                     "(OUT.nstresume writes OUT), and this name does not end in .nstresume; " +
                     "give --output");
  }
  return resume.substr(0, resume.size() - kSuffix.size());
}

// A saved output name (loss log, animation) placed in `folder`; "" if the run had none.
std::string beside(const std::filesystem::path& folder, const std::string& saved,
                   const std::string& extension, const std::string& option,
                   const std::string& path) {
  if (saved.empty()) return saved;
  std::string what = option.substr(2);  // "--loss-log" -> "loss log"
  std::replace(what.begin(), what.end(), '-', ' ');
  const std::string name = file_name(saved);
  NST_CHECK(!name.empty() && name != "." && name != ".." &&
                std::none_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20; }),
            path, ": a damaged ", what, " name");
  std::string lower = std::filesystem::path(name).extension().string();
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower != extension) {
    throw UsageError(path + ": the run's " + what + " was named '" + name + "', not a " +
                     extension + " name; give " + option + " FILE" + extension);
  }
  return (folder / name).string();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> names;
  std::size_t begin = 0;
  for (std::size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1)
    names.push_back(text.substr(begin, end - begin));
  return names;
}

}  // namespace

Metadata command_extras(const StylizeOptions& o, const std::string& weights) {
  std::vector<std::string> styles;
  for (const ImageSource& style : o.job.styles) styles.push_back(absolute(style.name));
  const std::string texture = o.texture ? to_string(*o.texture) : "";
  Metadata extra{{"content", o.texture ? "" : absolute(o.job.content.name)},
                 {"texture", texture},
                 {"styles", lines(styles)},
                 {"init_image", absolute(o.job.init_image.name)},
                 {"style_masks", mask_lines(o.job.style_masks)},
                 {"style_source_masks", mask_lines(o.job.style_source_masks)},
                 {"weights", random_weights_seed(weights) ? weights : absolute(weights)},
                 {"loss_log", file_name(o.loss_log)},
                 {"print_every", std::to_string(o.print_every)},
                 {"save_every", std::to_string(o.save_every)},
                 {"checkpoint_every", std::to_string(o.checkpoint_every)},
                 {"animation", file_name(o.animation)},
                 {"animation_every", std::to_string(o.animation_every)}};
  record_written_outputs(extra, o);
  return extra;
}

void record_written_outputs(Metadata& extra, const StylizeOptions& o) {
  for (const auto& [role, path] : own_outputs(o)) {
    const std::string key = "written." + role;
    std::error_code ec;
    const std::string digest = path.empty() || !std::filesystem::is_regular_file(path, ec)
                                   ? std::string(kAbsent)
                                   : sha256_file(path);
    const auto it = std::find_if(extra.begin(), extra.end(),
                                 [&](const auto& entry) { return entry.first == key; });
    if (it != extra.end()) {
      it->second = digest;
    } else {
      extra.emplace_back(key, digest);
    }
  }
}

bool is_limit(std::string_view field) {
  return field == "threads" || field == "max_memory" || field == "max_pixels" ||
         field == "tile_size";
}

std::string resumed_field_name(std::string_view field) {
  return is_limit(field) ? flag_for_field(field) : "settings." + std::string(field);
}

StylizeOptions options_from_resume(const ResumeFile& resume, const std::string& path,
                                   const StylizeOptions& given) {
  std::map<std::string, std::string> extra(resume.extra.begin(), resume.extra.end());
  auto text = [&](const std::string& key) -> const std::string& {
    const auto it = extra.find(key);
    NST_CHECK(it != extra.end(), path, ": not written by nst stylize (no '", key, "')");
    return it->second;
  };
  // (Files written before animations existed have none.)
  auto optional_text = [&](const std::string& key) {
    const auto it = extra.find(key);
    return it != extra.end() ? it->second : std::string();
  };
  auto number = [&](const std::string& key, bool optional = false) {
    int value = 0;
    const std::string t = optional ? optional_text(key) : text(key);
    if (optional && t.empty()) return 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    NST_CHECK(ec == std::errc() && end == t.data() + t.size(), path, ": '", key,
              "' is not a number");
    return value;
  };
  StylizeOptions o;
  o.job.settings = resume.settings;
  o.job.settings.threads = given.job.settings.threads;
  o.job.settings.max_memory = given.job.settings.max_memory;
  o.job.settings.max_pixels = given.job.settings.max_pixels;
  o.job.settings.tile_size = given.job.settings.tile_size;
  for (const std::string& style : split_lines(text("styles")))
    o.job.styles.push_back(ImageSource::file(style));
  if (const std::string texture = optional_text("texture"); !texture.empty()) {
    o.texture = parse_texture_size(texture);
    NST_CHECK(o.texture.has_value(), path, ": 'texture' is not a size WxH");
    o.job = texture_job(std::move(o.job.styles), *o.texture, o.job.settings);
  } else {
    o.job.content = ImageSource::file(text("content"));
  }
  if (!text("init_image").empty()) o.job.init_image = ImageSource::file(text("init_image"));
  // (Files written before masks existed have none.)
  for (const auto& [key, masks] : {std::pair{"style_masks", &o.job.style_masks},
                                   std::pair{"style_source_masks", &o.job.style_source_masks}}) {
    for (const std::string& mask : split_lines(optional_text(key)))
      masks->push_back(mask == "-" ? ImageSource{} : ImageSource::file(mask));
    NST_CHECK(masks->empty() || masks->size() == o.job.styles.size(), path,
              ": damaged: ", masks->size(), " ", key, " for ", o.job.styles.size(), " styles");
  }
  o.weights = text("weights");
  o.print_every = number("print_every");
  o.save_every = number("save_every");
  o.checkpoint_every = number("checkpoint_every");
  o.animation_every = number("animation_every", true);
  // (Before version 3 the JPEG quality was the command's, not a setting.)
  if (extra.count("jpeg_quality") > 0)
    o.job.settings.encoding.jpeg_quality = number("jpeg_quality");
  NST_CHECK(
      o.print_every >= 0 && o.save_every >= 0 && o.checkpoint_every >= 0 && o.animation_every >= 0,
      path, ": damaged command options");
  try {
    validate_settings(o.job.settings, o.job.styles.size(), resumed_field_name);
  } catch (const SettingError& e) {
    if (is_limit(e.field())) throw;  // the user's own option
    fail(path, ": a saved setting cannot work: ", e.what());
  }

  // Where it writes: never a folder the file names. The output is the file's own name less
  // .nstresume (or --output), the loss log and animation keep their names beside it.
  o.resume = path;
  o.quiet = given.quiet;
  o.overwrite = given.overwrite;
  o.output = given.output.empty() ? derived_output(path) : given.output;
  const std::filesystem::path folder = std::filesystem::path(o.output).parent_path();
  o.loss_log = !given.loss_log.empty()
                   ? given.loss_log
                   : beside(folder, optional_text("loss_log"), ".csv", "--loss-log", path);
  o.animation = !given.animation.empty()
                    ? given.animation
                    : beside(folder, optional_text("animation"), ".gif", "--animation", path);
  return o;
}

bool is_own_output(const ResumeFile& resume, const std::string& role, const std::string& path) {
  const auto it = std::find_if(resume.extra.begin(), resume.extra.end(),
                               [&](const auto& entry) { return entry.first == "written." + role; });
  std::error_code ec;
  return it != resume.extra.end() && it->second != kAbsent &&
         std::filesystem::is_regular_file(path, ec) && it->second == sha256_file(path);
}

void check_resumed_outputs(const ResumeFile& resume, const StylizeOptions& o) {
  const auto roles = own_outputs(o);
  auto own = [&](const std::string& option, const std::string& file) {
    if (option == "the resume file") return true;  // the one continued
    for (const auto& [role, destination] : roles) {
      if (destination == file) return is_own_output(resume, role, file);
    }
    return false;  // snapshots: those after the last checkpoint are not recorded
  };
  const int done = resume.state.earlier_iterations + resume.state.iteration;
  auto outputs = output_files(o, done);
  // The resume file is replaced only if it is the one being continued.
  for (auto& [option, file] : outputs) {
    if (option == "the resume file" && !same_file(file, o.resume)) option = "the new resume file";
  }
  check_outputs(o, outputs, own);
}

std::string destinations(const StylizeOptions& o) {
  std::string text = o.output;
  if (!o.loss_log.empty()) text += ", " + o.loss_log;
  if (!o.animation.empty()) text += ", " + o.animation;
  if (o.save_every > 0) {
    const int iterations = planned_iterations(o.job.settings);
    text += ", snapshots such as " + snapshot_path(o.output, o.save_every, iterations);
  }
  return text + " and " + resume_path(o.output);
}

std::vector<std::pair<std::string, std::string>> input_fingerprints(const PreparedJob& prepared,
                                                                    const nn::Module& model) {
  std::vector<std::pair<std::string, std::string>> out = prepared.fingerprints;
  out.emplace_back("weights", fingerprint(model));
  return out;
}

void check_inputs_unchanged(const ResumeFile& resume, const StylizeOptions& o,
                            const PreparedJob& prepared, const nn::Module& model,
                            const std::string& weights, const std::string& path) {
  const std::map<std::string, std::string> saved(resume.fingerprints.begin(),
                                                 resume.fingerprints.end());
  const auto now = input_fingerprints(prepared, model);
  const auto inputs = input_names(o.job);
  NST_CHECK(now.size() == saved.size(), path, ": the saved run had ", saved.size(),
            " inputs, its options name ", now.size());
  // Before version 3 a file held the weights file's SHA-256, or for random weights the text's.
  const auto weights_file_digest = [&] {
    const auto* text = reinterpret_cast<const uint8_t*>(weights.data());
    return random_weights_seed(weights) ? sha256_hex({text, weights.size()}) : sha256_file(weights);
  };
  for (const auto& [role, digest] : now) {
    const auto it = saved.find(role);
    NST_CHECK(it != saved.end(), path, ": the saved run has no fingerprint of its ", role);
    const std::string& input_role = role;  // (a lambda may not capture a structured binding)
    const auto named = std::find_if(inputs.begin(), inputs.end(),
                                    [&](const auto& input) { return input.first == input_role; });
    const std::string file = role == "weights"       ? weights
                             : named != inputs.end() ? named->second
                                                     : role;
    const bool same =
        it->second == digest || (role == "weights" && it->second == weights_file_digest());
    NST_CHECK(same, path, ": the ", role, " ", file,
              " has changed since the run was saved (its SHA-256 differs), so the run cannot "
              "continue; start it again instead");
  }
}

}  // namespace nst::cli
