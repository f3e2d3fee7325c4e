#include "nst/convergence.h"

#include <algorithm>
#include <cstdio>

namespace nst {
namespace {

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g%%", 100 * fraction);
  return text;
}

}  // namespace

ConvergenceWatch::ConvergenceWatch(ConvergenceRule rule, std::vector<double> earlier)
    : rule_(rule) {
  for (const double total : earlier) add(total);
}

bool ConvergenceWatch::add(double total) {
  totals_.push_back(total);
  best_.push_back(best_.empty() ? total : std::min(best_.back(), total));
  if (rule_.tolerance <= 0 || static_cast<int>(totals_.size()) <= rule_.window) return false;
  const double before = best_[best_.size() - 1 - static_cast<std::size_t>(rule_.window)];
  const double gain = before - best_.back();
  return gain < rule_.tolerance * before && gain < kSlowed * (totals_.front() - best_.back());
}

double ConvergenceWatch::improvement() const {
  const double before = best_[best_.size() - 1 - static_cast<std::size_t>(rule_.window)];
  const double now = best_.back();
  return before > 0 ? (before - now) / before : 0.0;
}

std::string ConvergenceWatch::reason() const {
  return "the loss fell " + percent(improvement()) + " over the last " +
         std::to_string(rule_.window) + " iterations, under the tolerance of " +
         percent(rule_.tolerance);
}

}  // namespace nst
