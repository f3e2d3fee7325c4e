// `nst bench`: this machine's convolution throughput and where a style-transfer iteration's
// time goes, in one command (apps/nst/bench_measure.h measures, bench_report.h prints).
#pragma once

#include <string>
#include <vector>

namespace nst::cli {

// args: what follows "nst bench". Returns the exit code.
int run_bench_command(const std::vector<std::string>& args);

}  // namespace nst::cli
