#include "apps/nst/stylize_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "apps/nst/cli.h"
#include "nst/animation.h"
#include "nst/image.h"
#include "nst/scales.h"
#include "nst/setting_table.h"
#include "nst/settings_text.h"
#include "nst/texture.h"
#include "tensor/error.h"
#include "weights/locate.h"

namespace nst::cli {
namespace {

// The job's settings from the options, through the job API's own parsing (nst/settings_text.h);
// their defaults are JobSettings' own. --init FILE names the starting image. `except`: an
// option this command reads itself (a texture's --size WxH).
JobSettings job_settings(const cxxopts::ParseResult& r, std::string_view except = {}) {
  JobSettings s;
  for (const std::string_view option : setting_options()) {
    const std::string name(option);
    if (option == except || (r.count(name) == 0 && !r[name].has_default())) continue;
    set_setting(s, option, r[name].as<std::string>(), flag_for_field);
  }
  return s;
}

// --animation's file: a GIF, named so.
std::string animation_option(const cxxopts::ParseResult& r) {
  const std::string name = r["animation"].as<std::string>();
  std::string extension = std::filesystem::path(name).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (extension != ".gif") {
    throw UsageError("--animation " + name +
                     ": an animation is written as a GIF; give it a .gif name");
  }
  return name;
}

// What a user may give with --resume: the job is the file's, but where it writes, whether it
// may replace files, and the limits it runs within are the user's alone (a file may come from
// anyone). The outputs are checked once the file is read (stylize_resume.h).
constexpr std::string_view kWithResume[] = {"resume",     "quiet",     "overwrite", "output",
                                            "loss-log",   "animation", "threads",   "max-memory",
                                            "max-pixels", "tile-size"};

StylizeOptions resume_options(const cxxopts::ParseResult& r) {
  for (const auto& given : r.arguments()) {
    if (std::find(std::begin(kWithResume), std::end(kWithResume), given.key()) ==
        std::end(kWithResume)) {
      throw UsageError(
          "--resume continues a run with the settings saved in its file; leave out --" +
          given.key());
    }
  }
  StylizeOptions o;
  o.resume = r["resume"].as<std::string>();
  o.quiet = r.count("quiet") > 0;
  o.overwrite = r.count("overwrite") > 0;
  if (r.count("output")) o.output = r["output"].as<std::string>();
  if (r.count("loss-log")) o.loss_log = r["loss-log"].as<std::string>();
  if (r.count("animation")) o.animation = animation_option(r);
  o.job.settings = job_settings(r);  // the defaults, but for the limits given
  return o;
}

}  // namespace

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec1, ec2, ec3;
  if (fs::weakly_canonical(a, ec1) == fs::weakly_canonical(b, ec2) && !ec1 && !ec2) return true;
  return fs::exists(a, ec3) && fs::equivalent(a, b, ec3);
}

std::string flag_for_field(std::string_view field) {
  if (field == "styles") return "--style";
  if (field == "init_image") return "--init";
  std::string flag = "--" + std::string(field);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::vector<std::pair<std::string, std::string>> output_files(const StylizeOptions& o, int after) {
  std::vector<std::pair<std::string, std::string>> outputs{{"--output", o.output}};
  if (!o.loss_log.empty()) outputs.emplace_back("--loss-log", o.loss_log);
  if (!o.animation.empty()) outputs.emplace_back("--animation", o.animation);
  outputs.emplace_back("the resume file", resume_path(o.output));
  if (o.save_every > 0) {
    const int iterations = planned_iterations(o.job.settings);
    for (int i = (after / o.save_every + 1) * o.save_every; i <= iterations; i += o.save_every)
      outputs.emplace_back("--save-every", snapshot_path(o.output, i, iterations));
  }
  return outputs;
}

void check_outputs(const StylizeOptions& o,
                   const std::vector<std::pair<std::string, std::string>>& outputs,
                   const MayReplace& may_replace) {
  std::vector<std::string> inputs;  // every picture, masks too, and the weights
  for (const auto& [role, name] : input_names(o.job)) {
    if (!name.empty()) inputs.push_back(name);
  }
  if (!o.weights.empty()) inputs.push_back(o.weights);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& [option, path] = outputs[i];
    try {
      if (option == "--output" || option == "--save-every") image_format_for_output(path);
    } catch (const Error& e) {
      throw UsageError(option + " " + e.what());
    }
    for (const std::string& input : inputs) {
      if (same_file(path, input))
        throw UsageError(option + " " + path + " is also an input; choose another name");
    }
    // A continued run rewrites its own resume file, and nothing else may replace it.
    if (!o.resume.empty() && same_file(path, o.resume) && option != "the resume file")
      throw UsageError(option + " " + path + " is the resume file; choose another name");
    for (std::size_t j = 0; j < i; ++j) {
      if (same_file(path, outputs[j].second)) {
        throw UsageError(option + " " + path + " is also what " + outputs[j].first +
                         " writes; choose another name");
      }
    }
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) || o.overwrite) continue;
    if (may_replace && may_replace(option, path)) continue;
    if (!o.resume.empty()) {
      throw UsageError(option + " " + path +
                       " already exists, and the resume file does not show it as this run's own "
                       "(the run had not written it, or it changed since); pass --overwrite to "
                       "replace it, or give the run another --output");
    }
    const std::string saved = resume_path(o.output);
    throw UsageError(option + " " + path + " already exists; pass --overwrite to replace it" +
                     (option == "--output" && std::filesystem::exists(saved, ec)
                          ? ", or continue its run with --resume " + saved
                          : ""));
  }
}

std::string snapshot_path(const std::string& output, int iteration, int iterations) {
  const std::filesystem::path p(output);
  std::string number = std::to_string(iteration);
  const std::size_t digits = std::to_string(iterations).size();
  number.insert(0, digits - std::min(digits, number.size()), '0');
  return (p.parent_path() / (p.stem().string() + "_" + number + p.extension().string())).string();
}

std::optional<ImageSize> parse_texture_size(std::string_view text) {
  const auto number = [](std::string_view digits) -> std::optional<int> {
    int value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value < 1) return std::nullopt;
    return value;
  };
  const std::size_t x = text.find('x');
  const std::optional<int> width = number(text.substr(0, x));
  const std::optional<int> height =
      x == std::string_view::npos ? width : number(text.substr(x + 1));
  if (!width || !height) return std::nullopt;
  return ImageSize{*width, *height};
}

std::string resume_path(const std::string& output) { return output + ".nstresume"; }

int animation_interval(const StylizeOptions& o) {
  return o.animation_every > 0 ? o.animation_every
                               : default_animation_every(planned_iterations(o.job.settings));
}

namespace {

// The command's options: the images and output, every job setting from the table with its
// default (nst/setting_table.h), then the command's own.
cxxopts::Options stylize_option_table() {
  const JobSettings d;  // the defaults
  cxxopts::Options options("nst stylize",
                           "Paint a photo in the style of one or more pictures "
                           "(Gatys et al.): optimise its pixels so that its VGG19 features match "
                           "the photo's and their Gram matrices match the style's.");
  // The command's own options and the job's settings with their defaults, from the tables
  // (nst/setting_table.h), each group's command options first or last as the table says.
  const auto add_command_options = [&](bool before_settings) {
    for (const CommandOptionSpec& spec : command_option_specs()) {
      if (spec.before_settings != before_settings) continue;
      const std::string name = spec.name == "help" ? "h,help" : std::string(spec.name);
      auto adder = options.add_options(std::string(spec.group));
      if (!spec.takes_value) {
        adder(name, spec.help);
        continue;
      }
      auto value = cxxopts::value<std::string>();
      if (!spec.default_text.empty()) value->default_value(spec.default_text);
      adder(name, spec.help, value);
    }
  };
  add_command_options(true);
  for (const SettingSpec& spec : setting_specs()) {
    const std::string default_text = spec.text(d);
    auto value = cxxopts::value<std::string>();
    if (!default_text.empty()) value->default_value(default_text);
    options.add_options(std::string(spec.group))(std::string(spec.name), spec.help, value);
  }
  add_command_options(false);
  return options;
}

// The command's own options, beside the job: weights, display, snapshots, the animation.
void read_command_options(const cxxopts::ParseResult& r, StylizeOptions& o) {
  if (r.count("weights")) {
    o.weights = r["weights"].as<std::string>();
    try {
      random_weights_seed(o.weights);
    } catch (const Error& e) {
      throw UsageError(std::string("--weights ") + e.what());
    }
  }
  o.overwrite = r.count("overwrite") > 0;
  o.print_every = at_least(r, "print-every", 0);
  o.save_every = at_least(r, "save-every", 0);
  o.checkpoint_every = at_least(r, "checkpoint-every", 0);
  if (r.count("loss-log")) o.loss_log = r["loss-log"].as<std::string>();
  o.quiet = r.count("quiet") > 0;
  o.animation_every = at_least(r, "animation-every", 0);
  if (r.count("animation")) {
    o.animation = animation_option(r);  // frames of at most 1024 pixels (nst/animation.h)
  } else if (r.count("animation-every")) {
    throw UsageError("--animation-every sets the frames of --animation; add --animation FILE.gif");
  }
}

}  // namespace

std::optional<StylizeOptions> parse_stylize_options(const std::vector<std::string>& args,
                                                    const TextureCommand* texture) {
  cxxopts::Options options = stylize_option_table();
  const auto r = parse(options, args);
  if (r.count("help")) {
    if (texture) {
      std::cout << texture->help;
    } else {
      std::cout << options.help({"Images", "Optimisation", "Output"}) << "\n";
    }
    return std::nullopt;
  }
  const std::string command = texture ? "texture" : "stylize";
  positionals(r, 0,
              texture ? "nst texture --style PAINTING[,PAINTING...] --size WxH --output OUT "
                        "[options]"
                      : "nst stylize --content PHOTO --style PAINTING[,PAINTING...] --output OUT "
                        "[options]");
  if (r.count("resume")) return resume_options(r);
  if (texture) {
    for (const std::string_view photo : texture->photo_options) {
      if (r.count(std::string(photo))) {
        throw UsageError("--" + std::string(photo) +
                         ": a texture has no photo; leave it out (see nst texture --help)");
      }
    }
  }
  for (const char* required : {"content", "style", "output"}) {
    if (texture && std::string_view(required) == "content") continue;
    if (!r.count(required)) {
      throw UsageError(std::string("--") + required + " is required (see nst " + command +
                       " --help)");
    }
  }
  StylizeOptions o;
  Job& job = o.job;
  std::vector<ImageSource> styles;
  for (const std::string& path : list_option(r, "style")) styles.push_back(ImageSource::file(path));
  if (texture) {
    const std::string text = r["size"].as<std::string>();
    o.texture = parse_texture_size(text);
    if (!o.texture) throw UsageError("--size: '" + text + "' is not a size such as 512x384 or 512");
    job = texture_job(std::move(styles), *o.texture, job_settings(r, "size"));
  } else {
    job.content = ImageSource::file(r["content"].as<std::string>());
    job.styles = std::move(styles);
    job.settings = job_settings(r);
    if (job.settings.init == InitKind::image)
      job.init_image = ImageSource::file(r["init"].as<std::string>());
  }
  for (const auto& [option, masks] : {std::pair{"style-masks", &job.style_masks},
                                      std::pair{"style-source-masks", &job.style_source_masks}}) {
    if (r.count(option) == 0) continue;
    for (const std::string& path : list_option(r, option))
      masks->push_back(path == "-" ? ImageSource{} : ImageSource::file(path));
  }
  validate_settings(job.settings, job.styles.size(), flag_for_field);
  if (job.settings.optimizer == OptimizerKind::lbfgs) {
    for (const char* adams : {"learning-rate", "adam-beta2"}) {
      if (r.count(adams) > 0) {
        o.notes.push_back(std::string("--") + adams +
                          " is Adam's; L-BFGS takes unit steps along its direction");
      }
    }
  }

  o.output = r["output"].as<std::string>();
  read_command_options(r, o);

  check_outputs(o, output_files(o));
  if (job.settings.encoding.png_bit_depth == 16 &&
      image_format_for_output(o.output) == ImageFormat::jpeg) {
    o.notes.push_back("--bit-depth 16 is for PNG; " + o.output +
                      " is a JPEG, written with 8 bits per channel");
  }
  return o;
}

}  // namespace nst::cli
