#include "apps/nst/progress.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace nst::cli {

using Clock = std::chrono::steady_clock;

Progress::Progress(std::ostream& out, const ProgressOptions& options)
    : out_(out),
      terminal_(options.terminal),
      quiet_(options.quiet),
      may_converge_(options.may_converge),
      print_every_(options.print_every),
      pace_(options.scales, options.already_done) {
  if (print_every_ == 0 && !terminal_) print_every_ = std::max(1, pace_.total() / 10);
}

double Progress::iterations_per_second() const { return pace_.iterations_per_second(); }

std::string Progress::scale_text(const char* before, const char* after) const {
  if (pace_.scale_count() < 2) return "";
  return before + std::to_string(pace_.scale()) + "/" + std::to_string(pace_.scale_count()) + after;
}

void Progress::draw_bar() {
  constexpr int kWidth = 30;
  const int done = pace_.done(), total = pace_.total();
  const int filled = total > 0 ? kWidth * std::min(done, total) / total : kWidth;
  const int eta = static_cast<int>(pace_.seconds_left() + 0.5);
  char text[200];
  std::snprintf(text, sizeof text, "\r\033[K[%s%s] %d/%d%s  %.2f it/s  ETA %s%d:%02d",
                std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done,
                total, scale_text("  scale ", "").c_str(), iterations_per_second(),
                may_converge_ ? "<=" : "", eta / 60, eta % 60);
  out_ << text << std::flush;
  bar_shown_ = true;
}

void Progress::update(const IterationLosses& l) {
  pace_.update(l.iteration, l.scale);
  if (quiet_) return;
  if (print_every_ > 0 && (l.iteration % print_every_ == 0 || l.iteration == 1)) {
    char line[240];
    std::snprintf(line, sizeof line,
                  "iteration %d/%d%s  total %.4e  content %.4e  style %.4e  tv %.4e  %.2f it/s\n",
                  l.iteration, pace_.total(), scale_text(" (scale ", ")").c_str(), l.total,
                  l.content, l.style, l.tv, iterations_per_second());
    out_ << (terminal_ ? "\r\033[K" : "") << line;
    bar_shown_ = false;
  }
  const auto now = Clock::now();
  if (terminal_ &&
      (now - last_draw_ > std::chrono::milliseconds(100) || pace_.done() == pace_.total())) {
    last_draw_ = now;
    draw_bar();
  }
}

void Progress::converged(int scale, int iteration) { pace_.converged(scale, iteration); }

void Progress::break_line() {
  if (bar_shown_) out_ << "\n";
  bar_shown_ = false;
}

void Progress::finish() {
  break_line();
  out_ << std::flush;
}

}  // namespace nst::cli
