#include "apps/nst/serve_command.h"

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "apps/nst/cli.h"
#include "apps/nst/service_support.h"
#include "nst/run_recorder.h"
#include "nst/memory.h"
#include "nst/settings.h"
#include "nst/settings_text.h"
#include "serve/embedded_backend.h"
#include "serve/redis_backend.h"
#include "serve/server.h"
#include "tensor/threads.h"

namespace nst::cli {
namespace {

std::string default_data_folder() {
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data)
    return std::string(data) + "/nst";
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw UsageError("$HOME is not set; choose a folder with --data");
  return std::string(home) + "/.local/share/nst";
}

// The command's options, one per line (clang-format would fold them).
cxxopts::Options serve_option_table() {
  cxxopts::Options options("nst serve",
                           "Style transfer as a service: an HTTP API and a web page; jobs are "
                           "queued, run by workers, and survive restarts.");
  // clang-format off
  options.add_options()
      ("host", "address to listen on (another than loopback exposes the server: use --token)", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("port", "port to listen on (0: any free port, printed at start)", cxxopts::value<std::string>()->default_value("8080"))
      ("data", "folder of the job store, uploads and results (default: $XDG_DATA_HOME/nst or ~/.local/share/nst)", cxxopts::value<std::string>())
      ("token", "require 'Authorization: Bearer TOKEN' on /api/ (visible in ps: prefer --token-file or $NST_TOKEN)", cxxopts::value<std::string>())
      ("token-file", "read the token from the first line of FILE", cxxopts::value<std::string>())
      ("allow-host", "without a token, also answer to this host name (a proxy's public name); repeatable", cxxopts::value<std::vector<std::string>>())
      ("workers", "jobs that run at once; the cores are shared evenly among them", cxxopts::value<std::string>()->default_value("1"))
      ("threads", "cores to use in all (0: all)", cxxopts::value<std::string>()->default_value("0"))
      ("max-upload-mb", "largest request (photo, paintings and options together), in MiB", cxxopts::value<std::string>()->default_value("50"))
      ("max-queued", "jobs that may wait; a new one beyond gets 429", cxxopts::value<std::string>()->default_value("100"))
      ("max-iterations", "most iterations a job may ask for, over all its scales", cxxopts::value<std::string>()->default_value("5000"))
      ("max-styles", "most style pictures a job may send", cxxopts::value<std::string>()->default_value("10"))
      ("max-memory", "memory all running jobs together may use, shared evenly by the workers, e.g. 8G (default: 3/4 of RAM)", cxxopts::value<std::string>())
      ("max-attempts", "runs in a row that may end abnormally (the process killed) before a job fails", cxxopts::value<std::string>()->default_value("3"))
      ("checkpoint-every", "save running jobs every N iterations (0: every " + std::to_string(int(CheckpointPolicy::kDefaultSeconds)) + " seconds)", cxxopts::value<std::string>()->default_value("0"))
      ("weights", "VGG19 weights FILE, or random[:SEED] for an untrained network (default: as nst stylize)", cxxopts::value<std::string>())
      ("queue", "redis://HOST:PORT[/DB]: keep jobs in Redis and leave running them to nst worker processes", cxxopts::value<std::string>())
      ("ttl-hours", "with --queue: hours a finished job stays in Redis", cxxopts::value<std::string>()->default_value("168"))
      ("h,help", "show this help");
  // clang-format on
  return options;
}

// What the server itself is given: where it listens, its token, and each job's limits
// (`workers` share the cores and the memory evenly).
serve::ServerOptions server_options(const cxxopts::ParseResult& r, int workers) {
  serve::ServerOptions o;
  o.host = r["host"].as<std::string>();
  o.port = at_least(r, "port", 0);
  if (o.port > 65535)
    throw UsageError("--port must be at most 65535, got " + std::to_string(o.port));
  o.token = service_token(r.count("token") ? r["token"].as<std::string>() : "",
                          r.count("token-file") ? r["token-file"].as<std::string>() : "");
  if (r.count("allow-host")) o.allowed_hosts = r["allow-host"].as<std::vector<std::string>>();
  const int threads = checked_thread_count(at_least(r, "threads", 0));
  o.limits.threads = std::max(1, (threads > 0 ? threads : num_threads()) / workers);
  int64_t max_memory = default_max_memory();
  if (r.count("max-memory")) {
    try {
      max_memory = bytes_from_text(r["max-memory"].as<std::string>(), "--max-memory");
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
    if (max_memory <= 0) throw UsageError("--max-memory must be more than 0");
  }
  o.limits.max_memory = max_memory / workers;
  o.max_upload_bytes = int64_t{at_least(r, "max-upload-mb", 1)} << 20;
  o.max_queued = at_least(r, "max-queued", 1);
  o.limits.max_iterations = at_least(r, "max-iterations", 1);
  o.limits.max_styles = at_least(r, "max-styles", 1);
  return o;
}

// The job backend, made once the stop signals are blocked (the embedded one starts threads),
// and how the start and stop lines describe it.
struct BackendChoice {
  std::function<std::unique_ptr<serve::JobBackend>()> make;
  std::string where;
  std::string stopping = "nst serve: stopping";
};

// --queue: jobs in Redis, run by nst worker processes; options for running jobs are theirs.
BackendChoice redis_backend(const cxxopts::ParseResult& r) {
  for (const char* local :
       {"data", "workers", "threads", "checkpoint-every", "weights", "max-attempts"}) {
    if (r.count(local)) {
      throw UsageError(std::string("--") + local +
                       " is for the embedded mode; with --queue, nst worker processes run "
                       "the jobs (give it to them)");
    }
  }
  const serve::RedisAddress address = queue_address(r["queue"].as<std::string>());
  const int ttl_hours = at_least(r, "ttl-hours", 1);
  return {.make =
              [address, ttl_hours] {
                return std::make_unique<serve::RedisBackend>(address, int64_t{ttl_hours} * 3600);
              },
          .where = "jobs in " + address.url + ", run by nst worker processes"};
}

// The embedded backend: the job store and the workers in this process. The weights are loaded
// now, so that a problem with them shows at the start, not in the first job.
BackendChoice embedded_backend(const cxxopts::ParseResult& r, const serve::JobLimits& limits,
                               int workers) {
  const std::string data = r.count("data") ? r["data"].as<std::string>() : default_data_folder();
  const int max_attempts = at_least(r, "max-attempts", 1);
  const int checkpoint_every = at_least(r, "checkpoint-every", 0);
  // Each job's GEMMs get its share of the cores (tensor/threads.h: one count for all BLAS).
  set_blas_threads(limits.threads);
  auto models = std::make_shared<ServiceModels>(
      service_weights(r.count("weights") ? r["weights"].as<std::string>() : ""));
  models->get(nn::Pooling::max);
  const serve::WorkerOptions worker_options{
      .workers = workers,
      .max_attempts = max_attempts,
      .runner = {.limits = limits, .checkpoint_every = checkpoint_every}};
  return {.make =
              [data, worker_options, models] {
                return std::make_unique<serve::EmbeddedBackend>(
                    data, worker_options, [models](nn::Pooling p) { return models->get(p); });
              },
          .where = std::to_string(workers) + " worker" + (workers == 1 ? "" : "s") + ", " +
                   std::to_string(limits.threads) + " thread" + (limits.threads == 1 ? "" : "s") +
                   " each; data in " + data,
          .stopping =
              "nst serve: stopping; running jobs are saved and continue at the next "
              "start"};
}

}  // namespace

int run_serve_command(const std::vector<std::string>& args) {
  cxxopts::Options options = serve_option_table();
  const auto r = parse(options, args);
  if (r.count("help")) {
    std::cout << options.help() << "\n";
    return kExitOk;
  }
  positionals(r, 0, "nst serve [options]");
  const int workers = at_least(r, "workers", 1);
  const serve::ServerOptions o = server_options(r, workers);
  const BackendChoice backend =
      r.count("queue") ? redis_backend(r) : embedded_backend(r, o.limits, workers);

  std::optional<serve::Server> server;
  run_until_stop_signal(
      [&] {
        server.emplace(o, backend.make());
        // One write, so that a script watching the log never sees half of this line.
        std::ostringstream line;
        line << "nst serve: listening on http://" << o.host << ":" << server->port() << "/ ("
             << backend.where << (o.token.empty() ? "" : "; token required") << ")\n";
        std::cerr << line.str() << std::flush;
      },
      [&] { server->listen(); }, [&] { server->stop(); }, backend.stopping);
  return kExitOk;
}

}  // namespace nst::cli
