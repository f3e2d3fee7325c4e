#include "apps/nst/bench_command.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "apps/nst/bench_measure.h"
#include "apps/nst/bench_plot.h"
#include "apps/nst/bench_report.h"
#include "apps/nst/cli.h"
#include "files/atomic_write.h"
#include "nst/memory.h"
#include "nst/settings_text.h"
#include "tensor/error.h"
#include "tensor/threads.h"

namespace nst::cli {

int run_bench_command(const std::vector<std::string>& args) {
  cxxopts::Options options(
      "nst bench",
      "Profile this machine: GFLOP/s of every VGG19 convolution shape at one image size, by\n"
      "im2col, by Winograd (its GEMM and fused paths) and as plain SGEMM, forward and input\n"
      "gradient, as shares of the peak an FMA loop reaches here; then one style-transfer\n"
      "iteration split by op. Each figure is the median of repeated runs; the spread is\n"
      "shown. Takes about a minute at the default size on 2 cores.");
  // clang-format off
  options.add_options()
      ("size", "image side in pixels (at least 16, for conv5_1)", cxxopts::value<std::string>()->default_value("256"))
      ("threads", "threads (0: all cores)", cxxopts::value<std::string>()->default_value("0"))
      ("format", "table, csv or json", cxxopts::value<std::string>()->default_value("table"))
      ("repeats", "runs per figure", cxxopts::value<std::string>()->default_value("5"))
      ("run-time", "seconds each run repeats its kernel for, at least", cxxopts::value<std::string>()->default_value("0.1"))
      ("max-memory", "refuse sizes estimated to need more memory than this, e.g. 6G (0: 3/4 of physical memory)", cxxopts::value<std::string>()->default_value("0"))
      ("plot", "also draw the convolutions' rates against the peak into FILE.svg", cxxopts::value<std::string>())
      ("overwrite", "replace the --plot file if it exists")
      ("h,help", "show this help");
  // clang-format on
  const auto r = parse(options, args);
  if (r.count("help")) {
    std::cout << options.help() << "\n";
    return kExitOk;
  }
  positionals(r, 0, "nst bench [--size N] [--threads N] [--format table|csv|json]");
  const std::string format = r["format"].as<std::string>();
  if (format != "table" && format != "csv" && format != "json") {
    throw UsageError("--format: '" + format + "' is not table, csv or json");
  }
  BenchOptions o{.size = at_least(r, "size", 16),
                 .threads = at_least(r, "threads", 0),
                 .repeats = at_least(r, "repeats", 1),
                 .run_time = double_option(r, "run-time")};
  if (o.size > 4096) throw UsageError("--size must be at most 4096, got " + std::to_string(o.size));
  if (!(o.run_time > 0.0 && o.run_time <= 60.0)) {
    throw UsageError("--run-time must be more than 0 and at most 60 seconds");
  }
  int64_t max_memory = bytes_from_text(r["max-memory"].as<std::string>(), "--max-memory");
  if (max_memory == 0) max_memory = default_max_memory();
  const int64_t needed = bench_peak_bytes(o);
  if (needed > max_memory) {
    fail("nst bench --size ", o.size, " needs about ", format_bytes(needed),
         " of memory, more than the limit of ", format_bytes(max_memory),
         " (--max-memory; by default three quarters of physical memory): choose a smaller --size");
  }
  // The plot's name is taken before the minute of measuring, so that a wrong one fails at once.
  std::optional<OutputClaim> plot;
  if (r.count("plot")) {
    const std::string path = r["plot"].as<std::string>();
    if (!path.ends_with(".svg")) throw UsageError("--plot: '" + path + "' must end in .svg");
    const bool overwrite = r.count("overwrite") > 0;
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !overwrite)
      throw UsageError(path + " already exists; pass --overwrite to replace it");
    plot.emplace(path, overwrite);
  }
  if (o.threads == 0) o.threads = num_threads();
  const ThreadCountScope thread_count(o.threads);
  set_blas_threads(o.threads);

  // Progress on a terminal only, on one line that the report then replaces.
  const bool show_progress = ::isatty(STDERR_FILENO) == 1;
  const BenchReport report = run_bench(o, [show_progress](const std::string& stage) {
    if (show_progress)
      std::cerr << "\r\033[Knst bench: measuring " << stage << " ..." << std::flush;
  });
  if (show_progress) std::cerr << "\r\033[K" << std::flush;

  if (format == "csv") {
    std::cout << bench_csv(report);
  } else if (format == "json") {
    std::cout << bench_json(report);
  } else {
    std::cout << bench_table(report);
  }
  if (plot) {
    const std::string path = r["plot"].as<std::string>();
    write_file_atomically(path, [&](std::ostream& out) { out << bench_svg(report); });
    plot->done();
    std::cerr << "Wrote " << path << "\n";
  }
  return kExitOk;
}

}  // namespace nst::cli
