// The options of `nst stylize`, parsed and checked before any work starts: a wrong value is a
// usage error (exit 2) that names the option, found here rather than after minutes of work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/vgg19.h"
#include "nst/style_transfer.h"

namespace nst::cli {

enum class InitKind { content, noise, file };

struct StylizeOptions {
  std::string content;
  std::vector<std::string> styles;
  std::string output;
  std::string weights;  // empty: the lookup order
  int size = 512;
  double style_scale = 1.0;
  StyleTransferSettings transfer;
  nn::Pooling pooling = nn::Pooling::max;
  InitKind init = InitKind::content;
  std::string init_file;
  uint64_t seed = 0;
  int print_every = 0;
  int save_every = 0;
  std::string loss_log;
  std::optional<int> threads;
  bool quiet = false;
  int jpeg_quality = 95;
  int64_t max_pixels = 0;
  bool overwrite = false;
};

// Throws UsageError for anything wrong; returns std::nullopt after printing --help.
std::optional<StylizeOptions> parse_stylize_options(const std::vector<std::string>& args);

// The name of the snapshot written after `iteration` with --save-every: out.png -> out_0100.png.
std::string snapshot_path(const std::string& output, int iteration, int iterations);

}  // namespace nst::cli
