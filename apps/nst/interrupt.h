// Ctrl-C (SIGINT) and SIGTERM while `nst stylize` runs. The first asks the run to stop after
// the iteration in progress, so that the picture so far, the loss log and a resume file can be
// written; a second one exits at once, after removing the files being written
// (remove_unfinished_files), so no file is left half-written either way.
#pragma once

namespace nst::cli {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers
  ~InterruptGuard();  // restores the previous ones
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The first signal received (SIGINT or SIGTERM), or 0.
  static int signal_received();
  // The conventional exit status of a program stopped by `signal`: 128 + its number.
  static int exit_code(int signal) { return 128 + signal; }
};

}  // namespace nst::cli
