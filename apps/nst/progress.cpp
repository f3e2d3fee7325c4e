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
      total_(options.total),
      print_every_(options.print_every),
      scales_(options.scales),
      already_done_(options.already_done),
      done_(options.already_done),
      scale_start_done_(options.already_done),
      start_(Clock::now()),
      scale_start_(start_) {
  if (print_every_ == 0 && !terminal_) print_every_ = std::max(1, total_ / 10);
}

double Progress::seconds_since(Clock::time_point t) const {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double Progress::iterations_per_second() const {
  const double seconds = seconds_since(scale_start_);
  return seconds > 0.0 ? (done_ - scale_start_done_) / seconds : 0.0;
}

double Progress::work_done(int iterations) const {
  if (scales_.size() < 2) return iterations;
  double work = 0.0;
  for (const ProgressScale& scale : scales_) {
    const int here = std::clamp(iterations, 0, scale.iterations);
    work += here * scale.pixels;
    iterations -= here;
  }
  return work;
}

void Progress::draw_bar() {
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? kWidth * std::min(done_, total_) / total_ : kWidth;
  const double work_rate = (work_done(done_) - work_done(already_done_)) / seconds_since(start_);
  const int eta = work_rate > 0.0
                      ? static_cast<int>((work_done(total_) - work_done(done_)) / work_rate + 0.5)
                      : 0;
  const std::string scale = scales_.size() < 2 ? ""
                                               : "  scale " + std::to_string(scale_) + "/" +
                                                     std::to_string(scales_.size());
  char text[200];
  std::snprintf(text, sizeof text, "\r\033[K[%s%s] %d/%d%s  %.2f it/s  ETA %s%d:%02d",
                std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done_,
                total_, scale.c_str(), iterations_per_second(), may_converge_ ? "<=" : "", eta / 60,
                eta % 60);
  out_ << text << std::flush;
  bar_shown_ = true;
}

void Progress::update(const IterationLosses& l) {
  if (l.scale != scale_) {  // the rate of a new scale starts from its first iteration
    scale_ = l.scale;
    scale_start_ = Clock::now();
    scale_start_done_ = done_;
  }
  done_ = l.iteration;
  if (quiet_) return;
  if (print_every_ > 0 && (l.iteration % print_every_ == 0 || l.iteration == 1)) {
    const std::string scale = scales_.size() < 2 ? ""
                                                 : " (scale " + std::to_string(l.scale) + "/" +
                                                       std::to_string(scales_.size()) + ")";
    char line[240];
    std::snprintf(line, sizeof line,
                  "iteration %d/%d%s  total %.4e  content %.4e  style %.4e  tv %.4e  %.2f it/s\n",
                  l.iteration, total_, scale.c_str(), l.total, l.content, l.style, l.tv,
                  iterations_per_second());
    out_ << (terminal_ ? "\r\033[K" : "") << line;
    bar_shown_ = false;
  }
  const auto now = Clock::now();
  if (terminal_ && (now - last_draw_ > std::chrono::milliseconds(100) || done_ == total_)) {
    last_draw_ = now;
    draw_bar();
  }
}

void Progress::converged(int scale, int iteration, int total) {
  if (scale >= 1 && scale <= static_cast<int>(scales_.size())) {
    int before = 0;
    for (int k = 0; k + 1 < scale; ++k) before += scales_[k].iterations;
    scales_[scale - 1].iterations = iteration - before;
  }
  total_ = total;
}

void Progress::break_line() {
  if (bar_shown_) out_ << "\n";
  bar_shown_ = false;
}

void Progress::finish() {
  break_line();
  out_ << std::flush;
}

}  // namespace nst::cli
