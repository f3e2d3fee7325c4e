// `nst bench`'s report, in the three formats it prints: a table for people, CSV and JSON for
// programs (every figure with its median, minimum and maximum).
#pragma once

#include <string>

#include "apps/nst/bench_measure.h"

namespace nst::cli {

std::string bench_table(const BenchReport& report);
std::string bench_csv(const BenchReport& report);
std::string bench_json(const BenchReport& report);

// printf into a std::string: the reports' and the plot's number formatting.
[[gnu::format(printf, 1, 2)]] std::string printf_text(const char* pattern, ...);

}  // namespace nst::cli
