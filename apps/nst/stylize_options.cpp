#include "apps/nst/stylize_options.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "apps/nst/cli.h"
#include "nst/image.h"
#include "nst/losses.h"
#include "tensor/error.h"

namespace nst::cli {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::vector<std::string> relu_layers(const std::string& option, const std::string& text) {
  const std::vector<std::string> valid = nn::vgg19_relu_names();
  std::vector<std::string> layers = split(text);
  for (const std::string& name : layers) {
    if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
      std::string list;
      for (const std::string& v : valid) list += (list.empty() ? "" : ", ") + v;
      throw UsageError(option + ": unknown layer '" + name + "'; valid layers: " + list);
    }
  }
  return layers;
}

double non_negative(const cxxopts::ParseResult& r, const std::string& name) {
  const double v = r[name].as<double>();
  if (!(v >= 0.0))
    throw UsageError("--" + name + " must not be negative, got " + std::to_string(v));
  return v;
}

int at_least(const cxxopts::ParseResult& r, const std::string& name, int minimum) {
  const int v = r[name].as<int>();
  if (v < minimum) {
    throw UsageError("--" + name + " must be at least " + std::to_string(minimum) + ", got " +
                     std::to_string(v));
  }
  return v;
}

// Each output must have a known format (images), a folder that exists and is writable, must
// not be one of the inputs, and may replace an existing file only with --overwrite.
void check_output(const std::string& option, const std::string& path, const StylizeOptions& o,
                  bool image) {
  namespace fs = std::filesystem;
  try {
    if (image) image_format_for_output(path);
  } catch (const Error& e) {
    throw UsageError(option + " " + e.what());
  }
  std::error_code ec;
  std::vector<std::string> inputs = o.styles;
  inputs.push_back(o.content);
  if (!o.init_file.empty()) inputs.push_back(o.init_file);
  if (!o.weights.empty()) inputs.push_back(o.weights);
  for (const std::string& input : inputs) {
    if (fs::exists(path, ec) && fs::equivalent(path, input, ec)) {
      throw UsageError(option + " " + path + " is also an input; choose another name");
    }
  }
  if (fs::exists(path, ec) && !o.overwrite) {
    throw UsageError(option + " " + path + " already exists; pass --overwrite to replace it");
  }
}

}  // namespace

std::string snapshot_path(const std::string& output, int iteration, int iterations) {
  const std::filesystem::path p(output);
  std::string number = std::to_string(iteration);
  const std::size_t digits = std::to_string(iterations).size();
  number.insert(0, digits - std::min(digits, number.size()), '0');
  return (p.parent_path() / (p.stem().string() + "_" + number + p.extension().string())).string();
}

std::optional<StylizeOptions> parse_stylize_options(const std::vector<std::string>& args) {
  StylizeOptions o;
  const StyleTransferSettings defaults;
  cxxopts::Options options("nst stylize",
                           "Paint a photo in the style of one or more pictures "
                           "(Gatys et al.): optimise its pixels so that its VGG19 features match "
                           "the photo's and their Gram matrices match the style's.");
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  // clang-format off
  options.add_options("Images")
      ("content", "the photo (PNG or JPEG)", cxxopts::value<std::string>())
      ("style", "the style picture(s), comma-separated", cxxopts::value<std::string>())
      ("output", "where to write the result; .png, .jpg or .jpeg", cxxopts::value<std::string>())
      ("size", "longest side of the output in pixels", cxxopts::value<int>()->default_value("512"))
      ("style-scale", "style images are resized to this times the output's longest side", cxxopts::value<double>()->default_value("1"))
      ("jpeg-quality", "quality of a JPEG output, 1-100", cxxopts::value<int>()->default_value("95"))
      ("max-pixels", "refuse input images with more pixels than this", cxxopts::value<int64_t>()->default_value(std::to_string(kDefaultMaxPixels)))
      ("overwrite", "replace the output (and loss log) if they exist");
  options.add_options("Optimisation")
      ("iterations", "number of iterations", cxxopts::value<int>()->default_value("500"))
      ("optimizer", "adam or lbfgs", cxxopts::value<std::string>()->default_value("adam"))
      ("learning-rate", "Adam's step size on the [0,1] image", cxxopts::value<double>()->default_value("0.02"))
      ("content-weight", "alpha, weight of the content loss", cxxopts::value<double>()->default_value("1"))
      ("style-weight", "beta, weight of the style loss", cxxopts::value<double>()->default_value("330"))
      ("tv-weight", "gamma, weight of the total variation loss", cxxopts::value<double>()->default_value("0"))
      ("content-layers", "VGG19 layers for the content loss", cxxopts::value<std::string>()->default_value(join(defaults.content_layers)))
      ("style-layers", "VGG19 layers for the style loss", cxxopts::value<std::string>()->default_value(join(defaults.style_layers)))
      ("style-blend", "weights of the style images, e.g. 2,1 (normalised to sum 1)", cxxopts::value<std::string>())
      ("pooling", "max or avg", cxxopts::value<std::string>()->default_value("max"))
      ("init", "starting image: content, noise or a FILE", cxxopts::value<std::string>()->default_value("content"))
      ("seed", "seed for --init noise", cxxopts::value<uint64_t>()->default_value("0"))
      ("weights", "VGG19 weights FILE, or random[:SEED] for an untrained network (default: $NST_WEIGHTS, ~/.cache/nst, ~/.cache/torch)", cxxopts::value<std::string>());
  options.add_options("Output")
      ("print-every", "print the losses every N iterations (0: automatic)", cxxopts::value<int>()->default_value("0"))
      ("save-every", "also save the image every N iterations as OUTPUT_<iteration>", cxxopts::value<int>()->default_value("0"))
      ("loss-log", "write the losses of every iteration to this CSV file", cxxopts::value<std::string>())
      ("threads", "number of threads (default: all cores)", cxxopts::value<int>())
      ("quiet", "print nothing but errors")
      ("h,help", "show this help");
  // clang-format on
  const auto r = parse(options, args);
  if (r.count("help")) {
    std::cout << options.help({"Images", "Optimisation", "Output"}) << "\n";
    return std::nullopt;
  }
  positionals(r, 0,
              "nst stylize --content PHOTO --style PAINTING[,PAINTING...] --output OUT [options]");
  for (const char* required : {"content", "style", "output"}) {
    if (!r.count(required))
      throw UsageError(std::string("--") + required + " is required (see nst stylize --help)");
  }
  o.content = r["content"].as<std::string>();
  o.styles = split(r["style"].as<std::string>());
  if (o.styles.empty()) throw UsageError("--style names no file");
  o.output = r["output"].as<std::string>();
  if (r.count("weights")) o.weights = r["weights"].as<std::string>();
  o.size = at_least(r, "size", 16);
  o.style_scale = r["style-scale"].as<double>();
  if (!(o.style_scale > 0.0)) throw UsageError("--style-scale must be positive");
  o.jpeg_quality = at_least(r, "jpeg-quality", 1);
  if (o.jpeg_quality > 100) throw UsageError("--jpeg-quality must be at most 100");
  o.max_pixels = r["max-pixels"].as<int64_t>();
  if (o.max_pixels < 1) throw UsageError("--max-pixels must be positive");
  o.overwrite = r.count("overwrite") > 0;

  StyleTransferSettings& t = o.transfer;
  t.iterations = at_least(r, "iterations", 1);
  const std::string optimizer = r["optimizer"].as<std::string>();
  if (optimizer != "adam" && optimizer != "lbfgs")
    throw UsageError("--optimizer must be adam or lbfgs, got '" + optimizer + "'");
  t.optimizer = optimizer == "adam" ? OptimizerKind::adam : OptimizerKind::lbfgs;
  t.learning_rate = r["learning-rate"].as<double>();
  if (!(t.learning_rate > 0.0)) throw UsageError("--learning-rate must be positive");
  t.content_weight = non_negative(r, "content-weight");
  t.style_weight = non_negative(r, "style-weight");
  t.tv_weight = non_negative(r, "tv-weight");
  if (t.content_weight == 0 && t.style_weight == 0 && t.tv_weight == 0) {
    throw UsageError("all loss weights are 0: there is nothing to optimise");
  }
  t.content_layers = relu_layers("--content-layers", r["content-layers"].as<std::string>());
  t.style_layers = relu_layers("--style-layers", r["style-layers"].as<std::string>());
  if (t.content_layers.empty() && t.style_layers.empty())
    throw UsageError("no content or style layers");
  if (r.count("style-blend")) {
    for (const std::string& w : split(r["style-blend"].as<std::string>())) {
      try {
        std::size_t used = 0;
        t.style_blend.push_back(std::stod(w, &used));
        if (used != w.size()) throw std::invalid_argument(w);
      } catch (const std::exception&) {
        throw UsageError("--style-blend: '" + w + "' is not a number");
      }
    }
    try {
      normalized_blend(t.style_blend, o.styles.size());
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }
  const std::string pooling = r["pooling"].as<std::string>();
  if (pooling != "max" && pooling != "avg")
    throw UsageError("--pooling must be max or avg, got '" + pooling + "'");
  o.pooling = pooling == "max" ? nn::Pooling::max : nn::Pooling::average;
  const std::string init = r["init"].as<std::string>();
  o.init = init == "content" ? InitKind::content
           : init == "noise" ? InitKind::noise
                             : InitKind::file;
  if (o.init == InitKind::file) o.init_file = init;
  o.seed = r["seed"].as<uint64_t>();

  o.print_every = at_least(r, "print-every", 0);
  o.save_every = at_least(r, "save-every", 0);
  if (r.count("loss-log")) o.loss_log = r["loss-log"].as<std::string>();
  if (r.count("threads")) o.threads = at_least(r, "threads", 1);
  o.quiet = r.count("quiet") > 0;

  check_output("--output", o.output, o, true);
  if (!o.loss_log.empty()) check_output("--loss-log", o.loss_log, o, false);
  if (o.save_every > 0) {
    for (int i = o.save_every; i <= t.iterations; i += o.save_every) {
      check_output("--save-every", snapshot_path(o.output, i, t.iterations), o, true);
    }
  }
  return o;
}

}  // namespace nst::cli
