// The progress of `nst stylize` on stderr: on a terminal, a bar with iterations per second and
// the time left, redrawn in place; otherwise plain lines, so logs stay readable. Loss lines
// (iteration, total, content, style, tv, iterations/s) every `print_every` iterations; with
// print_every = 0, none on a terminal (the bar says enough) and one per tenth of the run
// otherwise.
#pragma once

#include <chrono>
#include <ostream>

#include "nst/objective.h"

namespace nst::cli {

struct ProgressOptions {
  bool terminal = false;  // redraw a bar in place
  int total = 0;          // iterations in the run
  int already_done = 0;   // iterations done before this process (a resumed run)
  int print_every = 0;    // loss lines; 0: automatic (above)
  bool quiet = false;     // print nothing
};

class Progress {
 public:
  Progress(std::ostream& out, const ProgressOptions& options);
  void update(const IterationLosses& losses);
  void finish();  // ends the bar's line
  double iterations_per_second() const;

 private:
  void draw_bar(int done);
  std::ostream& out_;
  bool terminal_, quiet_;
  int total_, print_every_;
  int already_done_, done_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace nst::cli
