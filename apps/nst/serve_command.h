// `nst serve`: the style-transfer service (serve/server.h) on a port.
#pragma once

#include <string>
#include <vector>

namespace nst::cli {

// args: what follows "nst serve". Returns the exit code once the server has stopped (SIGINT
// or SIGTERM: running jobs are saved and continue at the next start).
int run_serve_command(const std::vector<std::string>& args);

}  // namespace nst::cli
