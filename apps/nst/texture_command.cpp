#include "apps/nst/texture_command.h"

#include "apps/nst/cli.h"
#include "apps/nst/stylize_command.h"

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

}  // namespace

int run_texture_command(const std::vector<std::string>& args) {
  // nst stylize's options that a texture, having no photo, has no use for.
  const TextureCommand texture{
      .help = kHelp,
      .photo_options = {"content", "init", "content-layers", "content-weight", "preserve-colors"}};
  return run_stylize_command(args, &texture);
}

}  // namespace nst::cli
