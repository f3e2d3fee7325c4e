// `nst worker`: runs the jobs of a Redis-mode nst serve (serve/redis_worker.h).
#pragma once

#include <string>
#include <vector>

namespace nst::cli {

// args: what follows "nst worker". Returns the exit code once the worker has stopped (SIGINT
// or SIGTERM: its running job is saved and put back in the queue).
int run_worker_command(const std::vector<std::string>& args);

}  // namespace nst::cli
