#include "apps/nst/worker_command.h"

#include <unistd.h>

#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include "apps/nst/cli.h"
#include "apps/nst/service_support.h"
#include "nst/memory.h"
#include "nst/run_recorder.h"
#include "nst/settings.h"
#include "serve/redis_worker.h"
#include "tensor/threads.h"

namespace nst::cli {

int run_worker_command(const std::vector<std::string>& args) {
  cxxopts::Options options("nst worker",
                           "Run the style-transfer jobs of nst serve --queue: take them from "
                           "Redis, one at a time, and store their results there.");
  // clang-format off
  options.add_options()
      ("queue", "redis://HOST:PORT[/DB], as given to nst serve --queue", cxxopts::value<std::string>())
      ("threads", "threads for each job (0: all cores)", cxxopts::value<std::string>()->default_value("0"))
      ("name", "this worker's name, unique among the workers (default: HOST-PID)", cxxopts::value<std::string>())
      ("claim-after", "seconds without a heartbeat before another worker takes a job over", cxxopts::value<std::string>()->default_value("60"))
      ("max-attempts", "runs in a row that may end abnormally (a worker killed) before a job fails", cxxopts::value<std::string>()->default_value("3"))
      ("checkpoint-every", "save the running job every N iterations (0: every " + std::to_string(int(CheckpointPolicy::kDefaultSeconds)) + " seconds)", cxxopts::value<std::string>()->default_value("0"))
      ("weights", "VGG19 weights FILE, or random[:SEED] for an untrained network (default: as nst stylize)", cxxopts::value<std::string>())
      ("h,help", "show this help");
  // clang-format on
  const auto r = parse(options, args);
  if (r.count("help")) {
    std::cout << options.help() << "\n";
    return kExitOk;
  }
  positionals(r, 0, "nst worker --queue redis://HOST:PORT [options]");
  if (!r.count("queue")) throw UsageError("--queue redis://HOST:PORT is required");
  const serve::RedisAddress address = queue_address(r["queue"].as<std::string>());
  const int threads = checked_thread_count(at_least(r, "threads", 0));
  const int claim_after = at_least(r, "claim-after", 2);
  const int checkpoint_every = at_least(r, "checkpoint-every", 0);
  std::string name;
  if (r.count("name")) {
    name = r["name"].as<std::string>();
    if (name.empty() || name.find_first_of(" \t\n#") != std::string::npos)
      throw UsageError("--name must be a word without spaces or '#'");
  } else {
    char host[256] = "worker";
    ::gethostname(host, sizeof host - 1);
    name = std::string(host) + "-" + std::to_string(::getpid());
  }

  serve::RedisWorkerOptions o{.name = name,
                              .claim_after = claim_after,
                              .max_attempts = at_least(r, "max-attempts", 1),
                              .runner = {}};
  o.runner.limits.threads = threads > 0 ? threads : num_threads();
  o.runner.limits.max_memory = default_max_memory();
  // The caps on a job's cost (iterations, styles) are the API node's, checked when the job
  // was submitted; a worker checks what depends on its own machine: memory and threads.
  o.runner.limits.max_iterations = std::numeric_limits<int>::max();
  o.runner.limits.max_styles = std::numeric_limits<int>::max();
  o.runner.checkpoint_every = checkpoint_every;
  set_blas_threads(o.runner.limits.threads);
  auto models = std::make_shared<ServiceModels>(
      service_weights(r.count("weights") ? r["weights"].as<std::string>() : ""));
  models->get(nn::Pooling::max);  // a weights problem shows now, not in the first job

  std::optional<serve::RedisWorker> worker;
  run_until_stop_signal(
      [&] { worker.emplace(address, o, [models](nn::Pooling p) { return models->get(p); }); },
      [&] { worker->run(); }, [&] { worker->stop(); },
      "nst worker: stopping; the running job is saved and goes back to the queue");
  return kExitOk;
}

}  // namespace nst::cli
