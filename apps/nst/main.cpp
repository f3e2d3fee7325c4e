// nst: neural style transfer on CPUs. Dispatches to the subcommands and turns errors into
// messages and exit codes (1: the work failed, 2: the command line is wrong).
#include <iostream>
#include <string>
#include <vector>

#include "apps/nst/bench_command.h"
#include "apps/nst/cli.h"
#include "apps/nst/serve_command.h"
#include "apps/nst/stylize_command.h"
#include "apps/nst/texture_command.h"
#include "apps/nst/weights_command.h"
#include "apps/nst/worker_command.h"
#include "nst/settings.h"
#include "tensor/blas_runtime.h"
#include "tensor/cpu_features.h"
#include "tensor/error.h"

namespace {

constexpr const char* kHelp =
    "nst: neural style transfer on CPUs (Gatys et al.), from scratch in C++\n"
    "\n"
    "usage:\n"
    "  nst stylize --content PHOTO --style PAINTING[,PAINTING...] --output OUT [options]\n"
    "  nst texture --style PAINTING --size WxH --output OUT       texture synthesis, no photo\n"
    "  nst serve [--port 8080] [--data DIR] [--token TOKEN]       the service: API and web page\n"
    "  nst serve --queue redis://HOST:PORT [options]              the same, jobs kept in Redis\n"
    "  nst worker --queue redis://HOST:PORT [options]             runs the jobs kept in Redis\n"
    "  nst weights fetch [--source torchvision|hf] [--dir DIR]    download VGG19 weights\n"
    "  nst weights convert IN OUT.safetensors                     convert a checkpoint\n"
    "  nst weights info FILE                                      describe a weights file\n"
    "  nst weights where                                          which weights are used\n"
    "  nst bench [--size N] [--format table|csv|json]             profile this machine\n"
    "  nst --version\n"
    "\n"
    "Run a command with --help for its options.\n";

}  // namespace

int main(int argc, char** argv) {
  nst::use_best_blas_kernels(argv);
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) {
      std::cerr << kHelp;
      return nst::cli::kExitUsage;
    }
    if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
      std::cout << kHelp;
      return nst::cli::kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "nst " << NST_VERSION << " (CPU: " << nst::cpu_features().summary()
                << "; BLAS kernels: " << nst::blas_core_name() << ")\n";
      return nst::cli::kExitOk;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "stylize") return nst::cli::run_stylize_command(rest);
    if (args[0] == "texture") return nst::cli::run_texture_command(rest);
    if (args[0] == "serve") return nst::cli::run_serve_command(rest);
    if (args[0] == "worker") return nst::cli::run_worker_command(rest);
    if (args[0] == "weights") return nst::cli::run_weights_command(rest);
    if (args[0] == "bench") return nst::cli::run_bench_command(rest);
    throw nst::cli::UsageError("unknown command '" + args[0] + "' (try nst --help)");
  } catch (const nst::cli::UsageError& e) {
    std::cerr << "nst: usage error: " << e.what() << "\n";
    return nst::cli::kExitUsage;
  } catch (const nst::SettingError& e) {  // a job setting that cannot work: the command line's
    std::cerr << "nst: usage error: " << e.what() << "\n";
    return nst::cli::kExitUsage;
  } catch (const nst::Error& e) {
    std::cerr << "nst: error: " << e.what() << "\n";
    return nst::cli::kExitRuntime;
  } catch (const std::bad_alloc&) {
    std::cerr << "nst: error: out of memory\n";
    return nst::cli::kExitRuntime;
  } catch (const std::exception& e) {
    std::cerr << "nst: error: " << e.what() << "\n";
    return nst::cli::kExitRuntime;
  }
}
