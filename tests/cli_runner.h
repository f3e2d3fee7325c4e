// Runs the built nst binary in a test and captures its exit code and output.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

// Starts nst with `args` in the background (stderr to `err_file`) and returns its process id,
// for tests that send it signals; wait_nst() collects its exit code.
inline pid_t start_nst(const std::string& args, const std::string& err_file) {
  const std::string command = "exec " + std::string(NST_BINARY) + " " + args + " 2> " + err_file +
                              " > /dev/null < /dev/null";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

inline int wait_nst(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Sends `signal` to a process started here and waits for it; returns its exit status (128 +
// signal if killed) and forgets it (pid = -1), or -1 if it was not running.
inline int stop_process(pid_t& pid, int signal) {
  if (pid <= 0) return -1;
  ::kill(pid, signal);
  const int status = wait_nst(pid);
  pid = -1;
  return status;
}

// Waits up to `seconds` for `ready()`; false if it never became true.
template <class Ready>
bool wait_for(Ready ready, double seconds = 60) {
  for (int i = 0; i < seconds * 200; ++i) {
    if (ready()) return true;
    ::usleep(5'000);
  }
  return ready();
}

}  // namespace nst::testing
