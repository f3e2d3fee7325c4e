#include "nn/strong_wolfe.h"

#include <algorithm>
#include <cmath>

#include "tensor/elementwise.h"

namespace nst::nn {

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds) {
  const auto [lo, hi] = bounds ? *bounds : std::pair{std::min(x1, x2), std::max(x1, x2)};
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square < 0) return (lo + hi) / 2;
  const double d2 = std::sqrt(d2_square);
  const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                  : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return std::min(std::max(min_pos, lo), hi);
}

namespace {

// One end of the bracket: a step with its loss, gradient and directional derivative.
struct Point {
  double t, f;
  Tensor g;
  double gtd;
};

}  // namespace

LineSearchResult strong_wolfe(const DirectionalEvaluate& evaluate, const LineSearchStart& start,
                              const StrongWolfeOptions& options) {
  const auto [c1, c2, tolerance_change, max_ls] = options;
  const Tensor& d = start.direction;
  const Tensor& flat_grad = start.flat_grad;
  const double loss = start.loss, gtd = start.gtd;
  double t = start.t;
  double d_norm = 0.0;  // max |d_i|
  for (float v : d.values()) d_norm = std::max(d_norm, static_cast<double>(std::abs(v)));

  auto [f_new, g_new] = evaluate(t);
  int evaluations = 1;
  double gtd_new = dot(g_new.values(), d.values());
  Point prev{0.0, loss, flat_grad, gtd};
  std::vector<Point> bracket;
  bool done = false;
  int ls_iter = 0;

  // Phase 1: grow the step until the bracket [prev, t] must contain a good point.
  while (ls_iter < max_ls) {
    if (f_new > loss + c1 * t * gtd || (ls_iter > 1 && f_new >= prev.f)) {
      bracket = {prev, {t, f_new, g_new, gtd_new}};
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket = {{t, f_new, g_new, gtd_new}};
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket = {prev, {t, f_new, g_new, gtd_new}};
      break;
    }
    const double min_step = t + 0.01 * (t - prev.t);
    const double max_step = t * 10;
    const double next = cubic_interpolate(prev.t, prev.f, prev.gtd, t, f_new, gtd_new,
                                          std::pair{min_step, max_step});
    prev = {t, f_new, g_new, gtd_new};
    t = next;
    std::tie(f_new, g_new) = evaluate(t);
    ++evaluations;
    gtd_new = dot(g_new.values(), d.values());
    ++ls_iter;
  }
  if (ls_iter == max_ls) {  // reached the limit: fall back to the last step
    bracket = {{0.0, loss, flat_grad, gtd}, {t, f_new, g_new, gtd_new}};
  }

  // Phase 2: zoom into the bracket until the strong Wolfe conditions hold.
  bool insufficient_progress = false;
  int low = 0, high = 1;
  if (bracket.size() == 2 && bracket[0].f > bracket[1].f) std::swap(low, high);
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t, bracket[1].f,
                          bracket[1].gtd);
    // Keep t away from the ends of the bracket, or it may never shrink.
    const double b_max = std::max(bracket[0].t, bracket[1].t);
    const double b_min = std::min(bracket[0].t, bracket[1].t);
    const double eps = 0.1 * (b_max - b_min);
    if (std::min(b_max - t, t - b_min) < eps) {
      if (insufficient_progress || t >= b_max || t <= b_min) {
        t = std::abs(t - b_max) < std::abs(t - b_min) ? b_max - eps : b_min + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }

    std::tie(f_new, g_new) = evaluate(t);
    ++evaluations;
    gtd_new = dot(g_new.values(), d.values());
    ++ls_iter;

    if (f_new > loss + c1 * t * gtd || f_new >= bracket[low].f) {
      bracket[high] = {t, f_new, g_new, gtd_new};  // shrink from the high side
      if (bracket[0].f <= bracket[1].f) {
        low = 0, high = 1;
      } else {
        low = 1, high = 0;
      }
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high].t - bracket[low].t) >= 0) {
        bracket[high] = bracket[low];  // the minimum lies on the other side of t
      }
      bracket[low] = {t, f_new, g_new, gtd_new};
    }
  }
  const Point& best = bracket[low];
  return {best.f, best.g, best.t, evaluations};
}

}  // namespace nst::nn
