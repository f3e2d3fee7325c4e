#include "apps/nst/stylize_resume.h"

#include <charconv>
#include <filesystem>
#include <map>

#include "nst/texture.h"
#include "tensor/error.h"
#include "weights/locate.h"
#include "weights/sha256.h"

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
  const std::string texture =
      o.texture ? std::to_string(o.texture->width) + "x" + std::to_string(o.texture->height) : "";
  return {{"content", o.texture ? "" : absolute(o.job.content.name)},
          {"texture", texture},
          {"styles", lines(styles)},
          {"init_image", absolute(o.job.init_image.name)},
          {"weights", random_weights_seed(weights) ? weights : absolute(weights)},
          {"output", absolute(o.output)},
          {"loss_log", absolute(o.loss_log)},
          {"print_every", std::to_string(o.print_every)},
          {"save_every", std::to_string(o.save_every)},
          {"checkpoint_every", std::to_string(o.checkpoint_every)},
          {"animation", absolute(o.animation)},
          {"animation_every", std::to_string(o.animation_every)},
          {"jpeg_quality", std::to_string(o.jpeg_quality)},
          {"overwrite", o.overwrite ? "1" : "0"}};
}

StylizeOptions options_from_resume(const ResumeFile& resume, const std::string& path) {
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
  for (const std::string& style : split_lines(text("styles")))
    o.job.styles.push_back(ImageSource::file(style));
  if (const std::string texture = optional_text("texture"); !texture.empty()) {
    o.texture = parse_texture_size(texture);
    NST_CHECK(o.texture.has_value(), path, ": 'texture' is not a size WxH");
    o.job = texture_job(std::move(o.job.styles), *o.texture, resume.settings);
  } else {
    o.job.content = ImageSource::file(text("content"));
  }
  if (!text("init_image").empty()) o.job.init_image = ImageSource::file(text("init_image"));
  o.weights = text("weights");
  o.output = text("output");
  o.loss_log = text("loss_log");
  o.print_every = number("print_every");
  o.save_every = number("save_every");
  o.checkpoint_every = number("checkpoint_every");
  o.animation = optional_text("animation");
  o.animation_every = number("animation_every", true);
  o.jpeg_quality = number("jpeg_quality");
  o.overwrite = number("overwrite") != 0;
  NST_CHECK(!o.output.empty() && o.jpeg_quality >= 1 && o.jpeg_quality <= 100 &&
                o.print_every >= 0 && o.save_every >= 0 && o.checkpoint_every >= 0 &&
                o.animation_every >= 0,
            path, ": damaged command options");
  return o;
}

std::vector<std::pair<std::string, std::string>> input_fingerprints(const StylizeOptions& o,
                                                                    const std::string& weights) {
  std::vector<std::pair<std::string, std::string>> out{{"content", fingerprint(o.job.content)}};
  for (std::size_t i = 0; i < o.job.styles.size(); ++i)
    out.emplace_back("style " + std::to_string(i + 1), fingerprint(o.job.styles[i]));
  if (!o.job.init_image.empty()) out.emplace_back("init", fingerprint(o.job.init_image));
  const auto* text = reinterpret_cast<const uint8_t*>(weights.data());
  out.emplace_back("weights", random_weights_seed(weights) ? sha256_hex({text, weights.size()})
                                                           : sha256_file(weights));
  return out;
}

void check_inputs_unchanged(const ResumeFile& resume, const StylizeOptions& o,
                            const std::string& weights, const std::string& path) {
  const std::map<std::string, std::string> saved(resume.fingerprints.begin(),
                                                 resume.fingerprints.end());
  const auto now = input_fingerprints(o, weights);
  NST_CHECK(now.size() == saved.size(), path, ": the saved run had ", saved.size(),
            " inputs, its options name ", now.size());
  for (const auto& [role, digest] : now) {
    const auto it = saved.find(role);
    NST_CHECK(it != saved.end(), path, ": the saved run has no fingerprint of its ", role);
    const std::string file = role == "weights"   ? weights
                             : role == "content" ? o.job.content.name
                             : role == "init"    ? o.job.init_image.name
                                              : o.job.styles[std::stoul(role.substr(6)) - 1].name;
    NST_CHECK(it->second == digest, path, ": the ", role, " ", file,
              " has changed since the run was saved (its SHA-256 differs), so the run cannot "
              "continue; start it again instead");
  }
}

}  // namespace nst::cli
