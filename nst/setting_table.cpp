#include "nst/setting_table.h"

#include <charconv>

#include "nst/animation.h"
#include "nst/run_recorder.h"
#include "nst/scales.h"
#include "nst/settings_text.h"

namespace nst {
namespace {

// Numbers as the shortest text that reads back as the same value.
template <class T>
std::string shortest(T value) {
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}

template <class T>
std::string joined(const std::vector<T>& values) {
  std::string text;
  for (const T& value : values) {
    if (!text.empty()) text += ',';
    if constexpr (std::is_same_v<T, std::string>) {
      text += value;
    } else {
      text += shortest(value);
    }
  }
  return text;
}

// A choice among words: "NAME must be adam or lbfgs, got 'sgd'".
template <class Parse>
auto choice(const std::string& text, const std::string& name, Parse parse,
            const std::string& words) {
  const auto value = parse(text);
  if (!value) throw SettingError("", name + " must be " + words + ", got '" + text + "'");
  return *value;
}

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// An integer-or-auto setting: nothing for "auto".
std::optional<int> int_or_auto(const std::string& text, const std::string& name) {
  if (trimmed(text) == "auto") return std::nullopt;
  return int_from_text(text, name);
}
std::string int_or_auto_text(const std::optional<int>& value) {
  return value ? std::to_string(*value) : "auto";
}

// Lists are written as "" when empty (a texture's content layers); only then is "" read back.
std::vector<std::string> list_or_empty(const std::string& text, const std::string& name) {
  return text.empty() ? std::vector<std::string>{} : list_from_text(text, name);
}

std::vector<SettingSpec> make_specs() {
  using S = JobSettings;
  using Text = const std::string&;
  return {
      {.name = "size",
       .field = "size",
       .group = "Images",
       .help = "longest side of the output in pixels",
       .type = "integer",
       .minimum = 16,
       .parse = [](S& s, Text t, Text n) { s.size = int_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.size); },
       .number = [](const S& s) -> std::optional<double> { return s.size; }},
      {.name = "style-scale",
       .field = "style_scale",
       .group = "Images",
       .help = "style images are resized to this times the output's longest side",
       .type = "number",
       .minimum = 0,
       .exclusive = true,
       .parse = [](S& s, Text t, Text n) { s.style_scale = double_from_text(t, n); },
       .text = [](const S& s) { return shortest(s.style_scale); },
       .number = [](const S& s) -> std::optional<double> { return s.style_scale; }},
      {.name = "max-pixels",
       .field = "max_pixels",
       .group = "Images",
       .help = "refuse input images with more pixels than this",
       .type = "integer",
       .minimum = 1,
       .parse = [](S& s, Text t, Text n) { s.max_pixels = int64_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.max_pixels); },
       .number = [](const S& s) -> std::optional<double> { return double(s.max_pixels); }},
      {.name = "max-memory",
       .field = "max_memory",
       .group = "Images",
       .help = "refuse runs estimated to need more memory than this, e.g. 6G or 800M (0: 3/4 "
               "of physical memory)",
       .type = "bytes",
       .minimum = 0,
       .parse = [](S& s, Text t, Text n) { s.max_memory = bytes_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.max_memory); },
       .number = [](const S& s) -> std::optional<double> { return double(s.max_memory); }},
      {.name = "tile-size",
       .field = "tile_size",
       .group = "Images",
       .help = "run VGG19 on tiles of at most N x N pixels plus a border, with the same result "
               "up to float rounding; auto: in tiles as large as fit only when the whole "
               "picture at once would need more than --max-memory; 0: never",
       .type = "integer-or-auto",
       .minimum = 0,
       .not_for_service = "the server decides how its memory is used",
       .since_version = 6,
       .parse = [](S& s, Text t, Text n) { s.tile_size = int_or_auto(t, n); },
       .text = [](const S& s) { return int_or_auto_text(s.tile_size); },
       .number = [](const S& s) -> std::optional<double> {
         return s.tile_size ? std::optional<double>(*s.tile_size) : std::nullopt;
       }},
      {.name = "iterations",
       .field = "iterations",
       .group = "Optimisation",
       .help = "iterations at the full-size scale: the most it runs (see --tolerance)",
       .type = "integer",
       .minimum = 1,
       .parse = [](S& s, Text t, Text n) { s.iterations = int_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.iterations); },
       .number = [](const S& s) -> std::optional<double> { return s.iterations; }},
      {.name = "optimizer",
       .field = "optimizer",
       .group = "Optimisation",
       .help = "adam or lbfgs",
       .type = "choice",
       .choices = {"adam", "lbfgs"},
       .parse = [](S& s, Text t,
                   Text n) { s.optimizer = choice(t, n, parse_optimizer, "adam or lbfgs"); },
       .text = [](const S& s) { return std::string(optimizer_name(s.optimizer)); }},
      {.name = "learning-rate",
       .field = "learning_rate",
       .group = "Optimisation",
       .help = "Adam's step size on the [0,1] image",
       .type = "number",
       .minimum = 0,
       .exclusive = true,
       .parse = [](S& s, Text t, Text n) { s.learning_rate = double_from_text(t, n); },
       .text = [](const S& s) { return shortest(s.learning_rate); },
       .number = [](const S& s) -> std::optional<double> { return s.learning_rate; }},
      {.name = "adam-beta2",
       .field = "adam_beta2",
       .group = "Optimisation",
       .help = "Adam's decay of its squared-gradient average: each pixel's step follows its "
               "last 1/(1-b) gradients (PyTorch's default is 0.999)",
       .type = "number",
       .minimum = 0,
       .maximum = 1,
       .exclusive_maximum = true,
       .since_version = 5,
       .parse = [](S& s, Text t, Text n) { s.adam_beta2 = double_from_text(t, n); },
       .text = [](const S& s) { return shortest(s.adam_beta2); },
       .number = [](const S& s) -> std::optional<double> { return s.adam_beta2; }},
      {.name = "content-weight",
       .field = "content_weight",
       .group = "Optimisation",
       .help = "alpha, weight of the content loss",
       .type = "number",
       .minimum = 0,
       .parse = [](S& s, Text t, Text n) { s.content_weight = double_from_text(t, n); },
       .text = [](const S& s) { return shortest(s.content_weight); },
       .number = [](const S& s) -> std::optional<double> { return s.content_weight; }},
      {.name = "style-weight",
       .field = "style_weight",
       .group = "Optimisation",
       .help = "beta, weight of the style loss",
       .type = "number",
       .minimum = 0,
       .parse = [](S& s, Text t, Text n) { s.style_weight = double_from_text(t, n); },
       .text = [](const S& s) { return shortest(s.style_weight); },
       .number = [](const S& s) -> std::optional<double> { return s.style_weight; }},
      {.name = "tv-weight",
       .field = "tv_weight",
       .group = "Optimisation",
       .help = "gamma, weight of the total variation loss",
       .type = "number",
       .minimum = 0,
       .parse = [](S& s, Text t, Text n) { s.tv_weight = double_from_text(t, n); },
       .text = [](const S& s) { return shortest(s.tv_weight); },
       .number = [](const S& s) -> std::optional<double> { return s.tv_weight; }},
      {.name = "content-layers",
       .field = "content_layers",
       .group = "Optimisation",
       .help = "VGG19 layers for the content loss",
       .type = "list",
       .parse = [](S& s, Text t, Text n) { s.content_layers = list_or_empty(t, n); },
       .text = [](const S& s) { return joined(s.content_layers); }},
      {.name = "style-layers",
       .field = "style_layers",
       .group = "Optimisation",
       .help = "VGG19 layers for the style loss",
       .type = "list",
       .parse = [](S& s, Text t, Text n) { s.style_layers = list_or_empty(t, n); },
       .text = [](const S& s) { return joined(s.style_layers); }},
      {.name = "style-blend",
       .field = "style_blend",
       .group = "Optimisation",
       .help = "weights of the style images, e.g. 2,1 (normalised to sum 1)",
       .type = "numbers",
       .parse =
           [](S& s, Text t, Text n) {
             s.style_blend.clear();
             for (const std::string& weight : list_or_empty(t, n))
               s.style_blend.push_back(double_from_text(weight, n));
           },
       .text = [](const S& s) { return joined(s.style_blend); }},
      {.name = "pooling",
       .field = "pooling",
       .group = "Optimisation",
       .help = "max or avg",
       .type = "choice",
       .choices = {"max", "avg"},
       .parse = [](S& s, Text t, Text n) { s.pooling = choice(t, n, parse_pooling, "max or avg"); },
       .text = [](const S& s) { return std::string(pooling_name(s.pooling)); }},
      {.name = "init",
       .field = "init",
       .group = "Optimisation",
       .help = "starting image: content, noise or a FILE",
       .type = "choice",
       .choices = {"content", "noise"},
       // Any other word names a starting image: the face that reads it takes the file.
       .parse =
           [](S& s, Text t, Text) {
             const std::optional<InitKind> init = parse_init(t);
             s.init = init ? *init : InitKind::image;
           },
       .text = [](const S& s) { return std::string(init_name(s.init)); }},
      {.name = "seed",
       .field = "seed",
       .group = "Optimisation",
       .help = "seed for --init noise",
       .type = "integer",
       .minimum = 0,
       .parse = [](S& s, Text t, Text n) { s.seed = uint64_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.seed); }},
      {.name = "preserve-colors",
       .field = "preserve_colors",
       .group = "Optimisation",
       .help = "keep the content's colours: none, luminance (style transfer on luminance "
               "only) or histogram (style recoloured to the content's colour statistics)",
       .type = "choice",
       .choices = {"none", "luminance", "histogram"},
       .since_version = 2,
       .parse =
           [](S& s, Text t, Text n) {
             s.preserve_colors = choice(t, n, parse_color_mode, "none, luminance or histogram");
           },
       .text = [](const S& s) { return std::string(color_mode_name(s.preserve_colors)); }},
      {.name = "scales",
       .field = "scales",
       .group = "Optimisation",
       .help = "optimise at N sizes, each twice the previous and the last --size, or auto: 2 "
               "from a size of " +
               std::to_string(kAutoTwoScalesFrom) + " up, else 1",
       .type = "integer-or-auto",
       .minimum = 1,
       .since_version = 2,
       .parse = [](S& s, Text t, Text n) { s.scales = int_or_auto(t, n); },
       .text = [](const S& s) { return int_or_auto_text(s.scales); },
       .number = [](const S& s) -> std::optional<double> {
         return s.scales ? std::optional<double>(*s.scales) : std::nullopt;
       }},
      {.name = "coarse-iterations",
       .field = "coarse_iterations",
       .group = "Optimisation",
       .help = "iterations at each scale before the last (--iterations run at the last)",
       .type = "integer",
       .minimum = 1,
       .since_version = 2,
       .parse = [](S& s, Text t, Text n) { s.coarse_iterations = int_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.coarse_iterations); },
       .number = [](const S& s) -> std::optional<double> { return s.coarse_iterations; }},
      {.name = "tolerance",
       .field = "tolerance",
       .group = "Optimisation",
       .help = "a scale stops once its best loss has improved by less than this fraction over "
               "the last --tolerance-window iterations; 0 runs every iteration",
       .type = "number",
       .minimum = 0,
       .maximum = 1,
       .since_version = 4,
       .parse = [](S& s, Text t, Text n) { s.tolerance = double_from_text(t, n); },
       .text = [](const S& s) { return shortest(s.tolerance); },
       .number = [](const S& s) -> std::optional<double> { return s.tolerance; }},
      {.name = "tolerance-window",
       .field = "tolerance_window",
       .group = "Optimisation",
       .help = "iterations over which --tolerance measures the improvement",
       .type = "integer",
       .minimum = 1,
       .since_version = 4,
       .parse = [](S& s, Text t, Text n) { s.tolerance_window = int_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.tolerance_window); },
       .number = [](const S& s) -> std::optional<double> { return s.tolerance_window; }},
      {.name = "jpeg-quality",
       .field = "jpeg_quality",
       .group = "Images",
       .help = "quality of a JPEG output, 1-100",
       .type = "integer",
       .minimum = 1,
       .maximum = 100,
       .since_version = 3,
       .parse = [](S& s, Text t, Text n) { s.encoding.jpeg_quality = int_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.encoding.jpeg_quality); },
       .number = [](const S& s) -> std::optional<double> { return s.encoding.jpeg_quality; }},
      {.name = "png-compression",
       .field = "png_compression",
       .group = "Images",
       .help = "zlib level of a PNG output: 0 (fastest, largest) to 9 (smallest, slowest)",
       .type = "integer",
       .minimum = 0,
       .maximum = 9,
       .since_version = 3,
       .parse = [](S& s, Text t, Text n) { s.encoding.png_compression = int_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.encoding.png_compression); },
       .number = [](const S& s) -> std::optional<double> { return s.encoding.png_compression; }},
      {.name = "bit-depth",
       .field = "bit_depth",
       .group = "Images",
       .help = "bits per channel of a PNG output: 8, or 16 for prints (JPEG is always 8)",
       .type = "choice",
       .choices = {"8", "16"},
       .since_version = 7,
       .parse =
           [](S& s, Text t, Text n) {
             const std::string value = trimmed(t);
             if (value != "8" && value != "16")
               throw SettingError("", n + " must be 8 or 16, got '" + t + "'");
             s.encoding.png_bit_depth = value == "8" ? 8 : 16;
           },
       .text = [](const S& s) { return std::to_string(s.encoding.png_bit_depth); }},
      {.name = "threads",
       .field = "threads",
       .group = "Output",
       .help = "number of threads (0: all cores)",
       .type = "integer",
       .minimum = 0,
       .not_for_service = "the server shares its cores among its workers",
       .parse = [](S& s, Text t, Text n) { s.threads = int_from_text(t, n); },
       .text = [](const S& s) { return std::to_string(s.threads); },
       .number = [](const S& s) -> std::optional<double> { return s.threads; }},
  };
}

// The service's reason for the command line's display options.
constexpr std::string_view kDisplay =
    "is a display option of the command line, with no meaning for the service";

std::vector<CommandOptionSpec> make_command_specs() {
  return {
      {.name = "content",
       .group = "Images",
       .help = "the photo (PNG or JPEG)",
       .before_settings = true,
       .not_for_service =
           "names a file on the server, which clients cannot; send the photo as the form's "
           "'content' file"},
      {.name = "style",
       .group = "Images",
       .help = "the style picture(s), comma-separated",
       .before_settings = true,
       .not_for_service = "names a file on the server, which clients cannot; send the paintings "
                          "as the form's 'style' files"},
      {.name = "style-masks",
       .group = "Images",
       .help = "where each style acts: one greyscale picture per --style, in its order (white: "
               "fully, black: not at all; '-': everywhere), stretched to the photo",
       .before_settings = true,
       .not_for_service = "names files on the server, which clients cannot"},
      {.name = "style-source-masks",
       .group = "Images",
       .help = "the part of each style picture its style is taken from: one greyscale picture "
               "per --style ('-': all of it)",
       .before_settings = true,
       .not_for_service = "names files on the server, which clients cannot"},
      {.name = "output",
       .group = "Images",
       .help = "where to write the result; .png, .jpg or .jpeg",
       .before_settings = true,
       .not_for_service = "names a file on the server, which clients cannot; fetch the result "
                          "from /api/jobs/ID/result"},
      {.name = "overwrite",
       .group = "Images",
       .help = "replace the output (and loss log) if they exist",
       .takes_value = false,
       .before_settings = true,
       .not_for_service = kDisplay},
      {.name = "weights",
       .group = "Optimisation",
       .help = "VGG19 weights FILE, or random[:SEED] for an untrained network (default: "
               "$NST_WEIGHTS, ~/.cache/nst, ~/.cache/torch)",
       .not_for_service = "names a file on the server, which clients cannot; the server "
                          "chooses its weights (nst serve --weights)"},
      {.name = "print-every",
       .group = "Output",
       .help = "print the losses every N iterations (0: automatic)",
       .default_text = "0",
       .not_for_service = kDisplay},
      {.name = "save-every",
       .group = "Output",
       .help = "also save the image every N iterations as OUTPUT_<iteration>",
       .default_text = "0",
       .not_for_service = kDisplay},
      {.name = "animation",
       .group = "Output",
       .help = "write the run as an animated GIF to FILE.gif",
       .not_for_service = "names a file on the server, which clients cannot; the service does "
                          "not make animations"},
      {.name = "animation-every",
       .group = "Output",
       .help = "iterations between the animation's frames (0: about " +
               std::to_string(kAnimationFrames) + " frames)",
       .default_text = "0",
       .not_for_service = kDisplay},
      {.name = "loss-log",
       .group = "Output",
       .help = "write the losses of every iteration to this CSV file",
       .not_for_service = "names a file on the server, which clients cannot; fetch the loss log "
                          "from /api/jobs/ID/losses"},
      {.name = "checkpoint-every",
       .group = "Output",
       .help = "save the run to OUTPUT.nstresume every N iterations (0: every " +
               std::to_string(int(CheckpointPolicy::kDefaultSeconds)) + " seconds)",
       .default_text = "0",
       .not_for_service = kDisplay},
      {.name = "resume",
       .group = "Output",
       .help = "continue the run saved in FILE.nstresume (by Ctrl-C or a checkpoint)",
       .not_for_service = "names a file on the server, which clients cannot; the server "
                          "resumes its own jobs"},
      {.name = "quiet",
       .group = "Output",
       .help = "print nothing but errors",
       .takes_value = false,
       .not_for_service = kDisplay},
      {.name = "help",
       .group = "Output",
       .help = "show this help",
       .takes_value = false,
       .not_for_service = kDisplay},
  };
}

}  // namespace

const std::vector<CommandOptionSpec>& command_option_specs() {
  static const std::vector<CommandOptionSpec> specs = make_command_specs();
  return specs;
}

const CommandOptionSpec* find_command_option(std::string_view name) {
  for (const CommandOptionSpec& spec : command_option_specs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const std::vector<SettingSpec>& setting_specs() {
  static const std::vector<SettingSpec> specs = make_specs();
  return specs;
}

const SettingSpec* find_setting(std::string_view name) {
  for (const SettingSpec& spec : setting_specs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace nst
