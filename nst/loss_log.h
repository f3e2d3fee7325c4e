// The loss log (README, "Loss log"): a CSV file with one row per iteration, the losses of the
// image before that iteration's update. A `scale` column follows `iteration` only when several
// scales run, so single-scale logs keep their format. The CLI's --loss-log and the service's
// per-job log are this same file. Its last line says why the run ended, after "# " (pandas:
// comment="#"; numpy.loadtxt skips it by default).
#pragma once

#include <string>
#include <vector>

#include "nst/objective.h"

namespace nst {

// The log's text. `ending`, why the run ended (JobResult::ending), is its last line, as a
// comment: "# converged at iteration 312: ...".
std::string loss_log_csv(const std::vector<IterationLosses>& rows, bool with_scale,
                         const std::string& ending = "");
// Written atomically: a reader sees the previous log or the new one, never half of one.
void write_loss_log(const std::string& path, const std::vector<IterationLosses>& rows,
                    bool with_scale, const std::string& ending = "");

}  // namespace nst
