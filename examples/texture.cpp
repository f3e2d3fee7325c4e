// Example: texture synthesis (Gatys, Ecker and Bethge, 2015) with the job API, in a page of
// code: the painting's texture, from noise, with no photo (nst/texture.h). The same as
// `nst texture`, without the command line's files, progress display and resume.
// usage: example_texture PAINTING OUT.png [--size WxH] [--iterations N] [--weights FILE|random]
#include "nst/texture.h"

#include <cstdio>
#include <iostream>
#include <string>

#include "nst/image.h"
#include "nst/job.h"
#include "weights/locate.h"

namespace {

// Prints the losses now and then: a JobObserver sees every iteration (nst/job.h).
class Printer : public nst::JobObserver {
 public:
  void on_iteration(const nst::IterationLosses& losses, const nst::Tensor&) override {
    if (losses.iteration % 25 == 0 || losses.iteration == 1)
      std::printf("iteration %4d  style loss %.4e\n", losses.iteration, losses.style);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: example_texture PAINTING OUT.png [--size WxH] [--iterations N] "
                 "[--weights FILE|random]\n";
    return 2;
  }
  nst::ImageSize size{256, 256};
  nst::JobSettings settings;
  settings.iterations = 200;
  std::string weights = "random";
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--size") std::sscanf(value.c_str(), "%dx%d", &size.width, &size.height);
    if (flag == "--iterations") settings.iterations = std::stoi(value);
    if (flag == "--weights") weights = value;
  }
  try {
    // A blank canvas of the size wanted, no content layers, a noise start: only the style term
    // shapes the picture.
    const nst::Job job = nst::texture_job({nst::ImageSource::file(argv[1])}, size, settings);
    const nst::PreparedJob prepared = nst::prepare(job);
    const auto model = nst::load_vgg19_model(weights, settings.pooling, std::cerr);
    Printer printer;
    const nst::JobResult result = nst::run_job(prepared, *model, &printer);
    nst::write_image(argv[2], result.image);
    std::printf("wrote %s (%dx%d): %s\n", argv[2], size.width, size.height,
                result.ending.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "example_texture: " << e.what() << "\n";
    return 1;
  }
}
