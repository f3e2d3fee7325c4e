#include "apps/nst/interrupt.h"

#include <unistd.h>

#include <csignal>

#include "files/atomic_write.h"

namespace nst::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_previous_int, g_previous_term;

// Only async-signal-safe calls here: write, unlink (in remove_unfinished_files), _exit.
void on_signal(int signal) {
  if (g_signal != 0) {
    remove_unfinished_files();
    ::_exit(InterruptGuard::exit_code(signal));
  }
  g_signal = signal;
  static const char kMessage[] =
      "\nnst: stopping after this iteration (press Ctrl-C again to stop at once)\n";
  const ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &g_previous_int);
  ::sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &g_previous_int, nullptr);
  ::sigaction(SIGTERM, &g_previous_term, nullptr);
}

int InterruptGuard::signal_received() { return g_signal; }

}  // namespace nst::cli
