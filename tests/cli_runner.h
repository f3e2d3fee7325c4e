// Runs the built nst binary in a test and captures its exit code and output.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/temp_dir.h"

#ifndef NST_BINARY
#error "NST_BINARY must name the nst executable"
#endif

namespace nst::testing {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// `args` is appended to the command line as it is (tests pass only plain paths).
inline CliResult run_nst(const std::string& args) {
  TempDir dir;
  const std::string command = std::string(NST_BINARY) + " " + args + " > " + dir.file("out") +
                              " 2> " + dir.file("err") + " < /dev/null";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_bytes(dir.file("out")),
          read_bytes(dir.file("err"))};
}

}  // namespace nst::testing
