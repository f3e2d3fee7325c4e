// The progress of `nst stylize` on stderr: on a terminal, a bar with iterations per second and
// the time left, redrawn in place; otherwise plain lines, so logs stay readable. Loss lines
// (iteration, total, content, style, tv, iterations/s) every `print_every` iterations; with
// print_every = 0, none on a terminal (the bar says enough) and one per tenth of the run
// otherwise. A run of several scales shows the scale too; its iterations per second are the
// current scale's, and the time left weighs each scale's iterations by their pixels (RunPace).
// A run that may converge early shows the time left as what it is, an upper bound: "ETA <=3:10".
#pragma once

#include <chrono>
#include <ostream>
#include <vector>

#include "nst/objective.h"
#include "nst/run_pace.h"

namespace nst::cli {

struct ProgressOptions {
  bool terminal = false;          // redraw a bar in place
  int already_done = 0;           // iterations done before this process (a resumed run)
  int print_every = 0;            // loss lines; 0: automatic (above)
  bool quiet = false;             // print nothing
  std::vector<ScaleWork> scales;  // coarse to fine (scale_work()); one: a single-scale run
  bool may_converge = false;      // the run may end before its planned iterations (--tolerance)
};

class Progress {
 public:
  Progress(std::ostream& out, const ProgressOptions& options);
  void update(const IterationLosses& losses);
  // Scale `scale` (1-based) ends at `iteration`, before its planned iterations.
  void converged(int scale, int iteration);
  // Ends the bar's line so that a message can follow; the next update redraws the bar.
  void break_line();
  void finish();                         // ends the bar's line
  double iterations_per_second() const;  // at the current scale, in this process

 private:
  void draw_bar();
  std::string scale_text(const char* before, const char* after) const;  // "" for one scale
  std::ostream& out_;
  bool terminal_, quiet_, may_converge_;
  int print_every_;
  RunPace pace_;
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace nst::cli
