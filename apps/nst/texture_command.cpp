#include "apps/nst/texture_command.h"

#include <algorithm>
#include <iostream>

#include "apps/nst/cli.h"
#include "apps/nst/stylize_command.h"
#include "nst/texture.h"

namespace nst::cli {
namespace {

constexpr const char* kHelp =
    "Texture synthesis (Gatys, Ecker and Bethge, 2015): paint a picture, from noise, whose VGG19\n"
    "Gram matrices match the painting's: its texture, everywhere, with no photo.\n"
    "\n"
    "usage: nst texture --style PAINTING[,PAINTING...] --size WxH --output OUT [options]\n"
    "\n"
    "  --size WxH   the texture's width and height, or N for N x N (default 512x512)\n"
    "\n"
    "Every option of nst stylize applies (see nst stylize --help), except those about the\n"
    "photo: --content, --init, --content-layers, --content-weight, --preserve-colors.\n"
    "An interrupted run continues with nst texture --resume OUT.nstresume.\n";

// nst stylize's options that a texture, having no photo, has no use for.
constexpr const char* kPhotoOptions[] = {"--content", "--init", "--content-layers",
                                         "--content-weight", "--preserve-colors"};

}  // namespace

int run_texture_command(const std::vector<std::string>& args) {
  std::vector<std::string> stylize{"--content", kTextureCanvas};
  ImageSize size{512, 512};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const std::string option = arg.substr(0, arg.find('='));
    if (option == "-h" || option == "--help") {
      std::cout << kHelp;
      return kExitOk;
    }
    // A saved texture run knows it is one (its resume file says so).
    if (option == "--resume") return run_stylize_command(args);
    if (std::find(std::begin(kPhotoOptions), std::end(kPhotoOptions), option) !=
        std::end(kPhotoOptions)) {
      throw UsageError(option + ": a texture has no photo; leave it out (see nst texture --help)");
    }
    if (option == "--size") {
      std::string value;
      if (option.size() < arg.size()) {
        value = arg.substr(option.size() + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      }
      const std::optional<ImageSize> parsed = parse_texture_size(value);
      if (!parsed) {
        throw UsageError("--size: '" + value + "' is not a size such as 512x384 or 512");
      }
      size = *parsed;
      continue;
    }
    stylize.push_back(arg);
  }
  stylize.insert(stylize.end(), {"--size", std::to_string(std::max(size.width, size.height))});
  std::optional<StylizeOptions> options = parse_stylize_options(stylize);
  if (!options) return kExitOk;
  options->texture = size;
  options->job = texture_job(std::move(options->job.styles), size, options->job.settings);
  return run_stylize(*options, std::nullopt);
}

}  // namespace nst::cli
