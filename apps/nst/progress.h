// The progress of `nst stylize` on stderr: on a terminal, a bar with iterations per second and
// the time left, redrawn in place; otherwise plain lines, so logs stay readable. Loss lines
// (iteration, total, content, style, tv, iterations/s) every `print_every` iterations; with
// print_every = 0, none on a terminal (the bar says enough) and one per tenth of the run
// otherwise. A run of several scales shows the scale too; its iterations per second are the
// current scale's, and the time left weighs each scale's iterations by their pixels. A run that
// may converge early shows the time left as what it is, an upper bound: "ETA <=3:10".
#pragma once

#include <chrono>
#include <ostream>
#include <vector>

#include "nst/objective.h"

namespace nst::cli {

struct ProgressScale {
  int iterations = 0;   // planned at this scale
  double pixels = 1.0;  // what an iteration at it costs, relative to the others
};

struct ProgressOptions {
  bool terminal = false;              // redraw a bar in place
  int total = 0;                      // iterations in the run
  int already_done = 0;               // iterations done before this process (a resumed run)
  int print_every = 0;                // loss lines; 0: automatic (above)
  bool quiet = false;                 // print nothing
  std::vector<ProgressScale> scales;  // coarse to fine; empty or one: a single-scale run
  bool may_converge = false;          // the run may end before `total` (--tolerance)
};

class Progress {
 public:
  Progress(std::ostream& out, const ProgressOptions& options);
  void update(const IterationLosses& losses);
  // Scale `scale` (1-based) ends at `iteration`, before its planned iterations: the run has
  // `total` from now on.
  void converged(int scale, int iteration, int total);
  // Ends the bar's line so that a message can follow; the next update redraws the bar.
  void break_line();
  void finish();                         // ends the bar's line
  double iterations_per_second() const;  // at the current scale, in this process

 private:
  void draw_bar();
  double work_done(int iterations) const;  // iterations weighed by their scale's pixels
  double seconds_since(std::chrono::steady_clock::time_point t) const;
  std::ostream& out_;
  bool terminal_, quiet_, may_converge_;
  int total_, print_every_;
  std::vector<ProgressScale> scales_;
  int already_done_, done_, scale_ = 1;
  int scale_start_done_;  // iterations done when the current scale began here
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point start_, scale_start_, last_draw_;
};

}  // namespace nst::cli
