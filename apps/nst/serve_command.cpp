#include "apps/nst/serve_command.h"

#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "apps/nst/cli.h"
#include "nst/memory.h"
#include "serve/embedded_backend.h"
#include "serve/server.h"
#include "tensor/threads.h"
#include "weights/locate.h"

namespace nst::cli {
namespace {

std::string default_data_folder() {
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data)
    return std::string(data) + "/nst";
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw UsageError("$HOME is not set; choose a folder with --data");
  return std::string(home) + "/.local/share/nst";
}

// One network per pooling, loaded on first use and shared by the workers (the network is
// frozen; nn/conv2d.h's filter cache is safe to share).
class Models {
 public:
  explicit Models(std::string weights) : weights_(std::move(weights)) {}
  std::shared_ptr<nn::Vgg19> get(nn::Pooling pooling) {
    const std::lock_guard lock(mutex_);
    auto& model = models_[pooling];
    if (!model) {
      std::string description;
      model = load_vgg19_model(weights_, pooling, std::cerr, &description);
      if (models_.size() == 1) std::cerr << "nst serve: weights: " << description << "\n";
    }
    return model;
  }

 private:
  std::string weights_;
  std::mutex mutex_;
  std::map<nn::Pooling, std::shared_ptr<nn::Vgg19>> models_;
};

int at_least(const cxxopts::ParseResult& r, const std::string& name, int minimum) {
  const int v = int_option(r, name);
  if (v < minimum) {
    throw UsageError("--" + name + " must be at least " + std::to_string(minimum) + ", got " +
                     std::to_string(v));
  }
  return v;
}

}  // namespace

int run_serve_command(const std::vector<std::string>& args) {
  cxxopts::Options options("nst serve",
                           "Style transfer as a service: an HTTP API and a web page; jobs are "
                           "queued, run by workers, and survive restarts.");
  // clang-format off
  options.add_options()
      ("host", "address to listen on (another than loopback exposes the server: use --token)", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("port", "port to listen on (0: any free port, printed at start)", cxxopts::value<std::string>()->default_value("8080"))
      ("data", "folder of the job store, uploads and results (default: $XDG_DATA_HOME/nst or ~/.local/share/nst)", cxxopts::value<std::string>())
      ("token", "require 'Authorization: Bearer TOKEN' on /api/ (default: $NST_TOKEN)", cxxopts::value<std::string>())
      ("workers", "jobs that run at once; the cores are shared evenly among them", cxxopts::value<std::string>()->default_value("1"))
      ("threads", "cores to use in all (0: all)", cxxopts::value<std::string>()->default_value("0"))
      ("max-upload-mb", "largest request (photo, paintings and options together), in MiB", cxxopts::value<std::string>()->default_value("50"))
      ("max-queued", "jobs that may wait; a new one beyond gets 429", cxxopts::value<std::string>()->default_value("100"))
      ("checkpoint-every", "save running jobs every N iterations (0: about every 10 seconds)", cxxopts::value<std::string>()->default_value("0"))
      ("weights", "VGG19 weights FILE, or random[:SEED] for an untrained network (default: as nst stylize)", cxxopts::value<std::string>())
      ("h,help", "show this help");
  // clang-format on
  const auto r = parse(options, args);
  if (r.count("help")) {
    std::cout << options.help() << "\n";
    return kExitOk;
  }
  positionals(r, 0, "nst serve [options]");

  serve::ServerOptions o;
  const std::string data = r.count("data") ? r["data"].as<std::string>() : default_data_folder();
  const int workers = at_least(r, "workers", 1);
  o.host = r["host"].as<std::string>();
  o.port = at_least(r, "port", 0);
  if (o.port > 65535)
    throw UsageError("--port must be at most 65535, got " + std::to_string(o.port));
  if (r.count("token")) {
    o.token = r["token"].as<std::string>();
  } else if (const char* token = std::getenv("NST_TOKEN")) {
    o.token = token;
  }
  const int threads = at_least(r, "threads", 0);
  const int cores = threads > 0 ? threads : num_threads();
  o.limits.threads = std::max(1, cores / workers);
  o.limits.max_memory = default_max_memory() / workers;
  o.max_upload_bytes = int64_t{at_least(r, "max-upload-mb", 1)} << 20;
  o.max_queued = at_least(r, "max-queued", 1);
  const int checkpoint_every = at_least(r, "checkpoint-every", 0);
  const std::string weights = r.count("weights") ? r["weights"].as<std::string>() : "";
  if (!weights.empty()) {
    try {
      random_weights_seed(weights);
    } catch (const Error& e) {
      throw UsageError(std::string("--weights ") + e.what());
    }
  }

  // Each job's GEMMs get its share of the cores (tensor/threads.h: one count for all of BLAS).
  set_blas_threads(o.limits.threads);
  auto models = std::make_shared<Models>(weights.empty() ? locate_weights() : weights);
  models->get(nn::Pooling::max);  // a weights problem shows now, not in the first job

  // SIGINT and SIGTERM go to one thread that stops the server; every other thread, started
  // after this, has them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto backend = std::make_unique<serve::EmbeddedBackend>(
      data,
      serve::WorkerOptions{.workers = workers,
                           .runner = {.limits = o.limits, .checkpoint_every = checkpoint_every}},
      [models](nn::Pooling pooling) { return models->get(pooling); });
  serve::Server server(o, std::move(backend));
  std::cerr << "nst serve: listening on http://" << o.host << ":" << server.port() << "/ ("
            << workers << " worker" << (workers == 1 ? "" : "s") << ", " << o.limits.threads
            << " thread" << (o.limits.threads == 1 ? "" : "s") << " each; data in " << data
            << (o.token.empty() ? "" : "; token required") << ")\n"
            << std::flush;
  std::thread watcher([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::cerr << "nst serve: stopping; running jobs are saved and continue at the next start\n";
    server.stop();
  });
  server.listen();
  pthread_kill(watcher.native_handle(), SIGTERM);  // wakes the watcher if listen() ended alone
  watcher.join();
  return kExitOk;
}

}  // namespace nst::cli
