#include "apps/nst/progress.h"

#include <cstdio>
#include <string>

namespace nst::cli {

Progress::Progress(std::ostream& out, const ProgressOptions& options)
    : out_(out),
      terminal_(options.terminal),
      quiet_(options.quiet),
      total_(options.total),
      print_every_(options.print_every),
      already_done_(options.already_done),
      done_(options.already_done),
      start_(std::chrono::steady_clock::now()) {
  if (print_every_ == 0 && !terminal_) print_every_ = std::max(1, total_ / 10);
}

double Progress::iterations_per_second() const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return seconds > 0.0 ? (done_ - already_done_) / seconds : 0.0;
}

void Progress::draw_bar(int done) {
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? kWidth * done / total_ : kWidth;
  const double rate = iterations_per_second();
  const int eta = rate > 0.0 ? static_cast<int>((total_ - done) / rate + 0.5) : 0;
  char text[160];
  std::snprintf(text, sizeof text, "\r\033[K[%s%s] %d/%d  %.2f it/s  ETA %d:%02d",
                std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done,
                total_, rate, eta / 60, eta % 60);
  out_ << text << std::flush;
}

void Progress::update(const IterationLosses& l) {
  done_ = l.iteration;
  if (quiet_) return;
  if (print_every_ > 0 && (l.iteration % print_every_ == 0 || l.iteration == 1)) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "iteration %d/%d  total %.4e  content %.4e  style %.4e  tv %.4e  %.2f it/s\n",
                  l.iteration, total_, l.total, l.content, l.style, l.tv, iterations_per_second());
    out_ << (terminal_ ? "\r\033[K" : "") << line;
  }
  const auto now = std::chrono::steady_clock::now();
  if (terminal_ && (now - last_draw_ > std::chrono::milliseconds(100) || done_ == total_)) {
    last_draw_ = now;
    draw_bar(done_);
  }
}

void Progress::finish() {
  if (terminal_ && !quiet_) out_ << "\n";
  out_ << std::flush;
}

}  // namespace nst::cli
