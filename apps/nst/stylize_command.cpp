#include "apps/nst/stylize_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "apps/nst/cli.h"
#include "apps/nst/stylize_options.h"
#include "nst/image.h"
#include "nst/progress.h"
#include "nst/resize.h"
#include "nst/style_transfer.h"
#include "tensor/aligned_buffer.h"
#include "tensor/error.h"
#include "tensor/random.h"
#include "tensor/threads.h"
#include "weights/atomic_write.h"
#include "weights/locate.h"

namespace nst::cli {
namespace {

// The smallest image side that still has a pixel at the deepest layer used: each pool before
// it halves the image.
int min_side_for(const StyleTransferSettings& t) {
  int deepest = 0;
  for (const auto* layers : {&t.content_layers, &t.style_layers}) {
    for (const std::string& name : *layers)
      deepest = std::max(deepest, nn::vgg19_layer_index(name));
  }
  int side = 1;
  const auto& all = nn::vgg19_layers();
  for (int i = 0; i < deepest; ++i) {
    if (all[i].kind == nn::Vgg19Layer::Kind::pool) side *= 2;
  }
  return side;
}

void check_big_enough(const std::string& what, ImageSize size, int min_side) {
  NST_CHECK(std::min(size.width, size.height) >= min_side, what, " is ", size.width, "x",
            size.height, " at the working size; the deepest layer used needs at least ", min_side,
            " pixels on each side (raise --size or --style-scale, or use shallower layers)");
}

void write_loss_log(const std::string& path, const std::vector<IterationLosses>& rows) {
  write_file_atomically(path, [&](std::ostream& out) {
    out << "iteration,total,content,style,tv\n";
    char line[160];
    for (const IterationLosses& r : rows) {
      std::snprintf(line, sizeof line, "%d,%.9g,%.9g,%.9g,%.9g\n", r.iteration, r.total, r.content,
                    r.style, r.tv);
      out << line;
    }
  });
}

}  // namespace

int run_stylize_command(const std::vector<std::string>& args) {
  const std::optional<StylizeOptions> parsed = parse_stylize_options(args);
  if (!parsed) return kExitOk;
  const StylizeOptions& o = *parsed;
  std::optional<ThreadCountScope> threads;
  if (o.threads) {
    threads.emplace(*o.threads);
    set_blas_threads(*o.threads);
  }
  const BlockReuseScope reuse_blocks;
  // Fail now, not after minutes of work, if the results cannot be written.
  check_writable_location(o.output);
  if (!o.loss_log.empty()) check_writable_location(o.loss_log);
  auto note = [&](const std::string& text) {
    if (!o.quiet) std::cerr << "nst: " << text << "\n";
  };

  // The content image at the working size.
  Tensor content = read_image(o.content, o.max_pixels);
  const ImageSize original = image_size(content);
  const ImageSize size = fit_longest_side(original, o.size);
  if (std::max(original.width, original.height) < o.size) {
    note("note: the content is " + std::to_string(original.width) + "x" +
         std::to_string(original.height) + "; upscaling it to " + std::to_string(size.width) + "x" +
         std::to_string(size.height) + " (use --size " +
         std::to_string(std::max(original.width, original.height)) + " to keep its size)");
  }
  // The working size obeys the input limit too: --size 20000 must not exhaust memory.
  check_pixel_limit(size.width, size.height, o.max_pixels, "the working size (--size)");
  content = resize_image(content, size);
  const int min_side = min_side_for(o.transfer);
  check_big_enough(o.content, size, min_side);

  // Style images: longest side style_scale times the output's.
  const int style_side =
      std::max(1, static_cast<int>(std::lround(o.style_scale * std::max(size.width, size.height))));
  std::vector<Tensor> styles;
  for (const std::string& path : o.styles) {
    Tensor style = read_image(path, o.max_pixels);
    const ImageSize style_size = fit_longest_side(image_size(style), style_side);
    check_pixel_limit(style_size.width, style_size.height, o.max_pixels,
                      path + " at --style-scale");
    check_big_enough(path, style_size, min_side);
    styles.push_back(resize_image(style, style_size));
  }

  Tensor initial = content;
  if (o.init == InitKind::noise) {
    initial = Tensor(content.shape());
    Random(o.seed).fill_uniform(initial.values(), 0.0f, 1.0f);
  } else if (o.init == InitKind::file) {
    initial = resize_image(read_image(o.init_file, o.max_pixels), size);
  }

  std::string weights_description;
  const auto model = load_vgg19_model(o.weights, o.pooling, std::cerr, &weights_description);
  note("weights: " + weights_description);
  note("content " + std::to_string(size.width) + "x" + std::to_string(size.height) + ", " +
       std::to_string(styles.size()) + " style image(s), " + std::to_string(o.transfer.iterations) +
       (o.transfer.optimizer == OptimizerKind::adam ? " Adam" : " L-BFGS") + " iterations on " +
       std::to_string(num_threads()) + " thread(s)");

  StyleTransfer transfer(*model, content, styles, o.transfer);
  Progress progress(std::cerr, ::isatty(STDERR_FILENO) != 0, o.transfer.iterations, o.print_every,
                    o.quiet);
  std::vector<IterationLosses> rows;
  const auto start = std::chrono::steady_clock::now();
  const Tensor result =
      transfer.run(initial, [&](const IterationLosses& losses, const Tensor& image) {
        rows.push_back(losses);
        progress.update(losses);
        if (o.save_every > 0 && losses.iteration % o.save_every == 0) {
          write_image(snapshot_path(o.output, losses.iteration, o.transfer.iterations), image,
                      o.jpeg_quality);
        }
      });
  progress.finish();
  write_image(o.output, result, o.jpeg_quality);
  if (!o.loss_log.empty()) write_loss_log(o.loss_log, rows);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char summary[200];
  std::snprintf(summary, sizeof summary,
                "wrote %s (%dx%d): %zu iterations in %.1f s, %.3f s per iteration",
                o.output.c_str(), size.width, size.height, rows.size(), seconds,
                rows.empty() ? 0.0 : seconds / static_cast<double>(rows.size()));
  note(summary);
  return kExitOk;
}

}  // namespace nst::cli
