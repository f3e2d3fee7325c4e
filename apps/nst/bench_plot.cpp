#include "apps/nst/bench_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "apps/nst/bench_report.h"

namespace nst::cli {
namespace {

struct Method {
  const char* name;
  const char* label;
  const char* colour;
};
constexpr Method kMethods[] = {{"sgemm", "plain SGEMM", "#9e9e9e"},
                               {"im2col", "im2col + GEMM", "#1f77b4"},
                               {"winograd", "Winograd, GEMM path", "#ff7f0e"},
                               {"fused", "Winograd, fused path", "#2ca02c"},
                               {"bf16", "Winograd, bf16 (AMX)", "#9467bd"}};

// The drawing area, in SVG user units.
constexpr double kWidth = 1100, kHeight = 520;
constexpr double kLeft = 70, kRight = 20, kTop = 78, kBottom = 120;

std::string escaped(const std::string& text) {  // for XML text and attribute values
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A round step for the y axis: 1, 2 or 5 times a power of ten, giving about 6 lines.
double grid_step(double top) {
  const double rough = top / 6.0;
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= rough) return m * power;
  }
  return 10.0 * power;
}

const ConvMethodRate* rate_of(const ConvPass& pass, const char* method) {
  for (const ConvMethodRate& m : pass.methods) {
    if (m.method == method) return &m;
  }
  return nullptr;
}

}  // namespace

std::string bench_svg(const BenchReport& r) {
  const double peak = r.peak_gflops.median;
  double top = peak;
  for (const ConvBench& c : r.convolutions) {
    for (const ConvPass* pass : {&c.forward, &c.input_gradient}) {
      for (const ConvMethodRate& m : pass->methods) top = std::max(top, m.gflops.median);
    }
  }
  const double step = grid_step(top * 1.05);
  top = std::ceil(top * 1.05 / step) * step;
  const double plot_width = kWidth - kLeft - kRight, plot_height = kHeight - kTop - kBottom;
  auto y_of = [&](double gflops) { return kTop + plot_height * (1.0 - gflops / top); };

  const std::string title =
      printf_text("nst bench: VGG19's convolutions at %dx%d on %d thread%s", r.options.size,
                  r.options.size, r.options.threads, r.options.threads == 1 ? "" : "s");
  std::string svg = printf_text(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\"title desc\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      kWidth, kHeight, kWidth, kHeight);
  svg += "<title id=\"title\">" + escaped(title) + "</title>\n";
  svg += "<desc id=\"desc\">" +
         escaped(printf_text("Effective GFLOP/s (2*K*C*9*H*W / time, median of %d runs) of each "
                             "VGG19 convolution shape, forward and input gradient, by SGEMM, "
                             "im2col, Winograd's GEMM path and its fused path (and with bf16 "
                             "products on AMX, where this CPU has it); the FMA peak of "
                             "this machine is %.1f GFLOP/s. CPU: ",
                             r.options.repeats, peak) +
                 r.machine.cpu + " (" + r.machine.features + ").") +
         "</desc>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + printf_text("%.0f", kLeft) +
         "\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" + escaped(title) + "</text>\n";
  svg += printf_text("<text x=\"%.0f\" y=\"42\" fill=\"#444\">", kLeft) +
         escaped(r.machine.cpu + " (" + r.machine.features + "); our kernels: " + r.machine.isa +
                 "; OpenBLAS: " + r.machine.blas_kernels) +
         "</text>\n";

  // The y axis: grid lines and their values.
  for (double v = 0.0; v <= top + step / 2; v += step) {
    svg +=
        printf_text("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
                    kLeft, kWidth - kRight, y_of(v), y_of(v));
    svg += printf_text("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", kLeft - 6,
                       y_of(v) + 4, v);
  }
  svg += printf_text(
      "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">effective "
      "GFLOP/s</text>\n",
      kTop + plot_height / 2);

  // The bars: a group per shape and pass.
  const int groups = static_cast<int>(r.convolutions.size()) * 2;
  const double group_width = plot_width / std::max(groups, 1);
  const double bar_width = group_width * 0.8 / std::size(kMethods);
  int g = 0;
  for (const ConvBench& c : r.convolutions) {
    for (int p = 0; p < 2; ++p, ++g) {
      const ConvPass& pass = p == 0 ? c.forward : c.input_gradient;
      const double x0 = kLeft + g * group_width + group_width * 0.1;
      for (std::size_t m = 0; m < std::size(kMethods); ++m) {
        const ConvMethodRate* rate = rate_of(pass, kMethods[m].name);
        if (rate == nullptr) continue;
        const bool picked = pass.picked == kMethods[m].name;
        const double x = x0 + static_cast<double>(m) * bar_width, y = y_of(rate->gflops.median);
        svg += printf_text(
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s>"
            "<title>%s %s, %s: %.1f GFLOP/s%s</title></rect>\n",
            x, y, bar_width, kTop + plot_height - y, kMethods[m].colour,
            picked ? " stroke=\"black\" stroke-width=\"1.5\"" : "", c.layer.c_str(),
            p == 0 ? "forward" : "input gradient", kMethods[m].label, rate->gflops.median,
            picked ? " (what a job runs)" : "");
      }
      const double label_x = kLeft + (g + 0.5) * group_width, label_y = kTop + plot_height + 12;
      svg += printf_text(
          "<text transform=\"translate(%.1f %.1f) rotate(-40)\" text-anchor=\"end\">%s %s</text>\n",
          label_x, label_y, c.layer.c_str(), p == 0 ? "fwd" : "grad");
    }
  }

  // The peak, and the legend.
  svg += printf_text(
      "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
      "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
      kLeft, kWidth - kRight, y_of(peak), y_of(peak));
  svg += printf_text(
      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#d62728\">FMA peak "
      "%.0f GFLOP/s</text>\n",
      kWidth - kRight - 4, y_of(peak) - 5, peak);
  double legend_x = kLeft;
  for (const Method& m : kMethods) {
    svg += printf_text("<rect x=\"%.1f\" y=\"52\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
                       legend_x, m.colour);
    svg += printf_text("<text x=\"%.1f\" y=\"62\">%s</text>\n", legend_x + 16, m.label);
    legend_x += 16 + 7.0 * static_cast<double>(std::string(m.label).size()) + 24;
  }
  svg += printf_text(
      "<rect x=\"%.1f\" y=\"52\" width=\"12\" height=\"12\" fill=\"white\" "
      "stroke=\"black\" stroke-width=\"1.5\"/>\n",
      legend_x);
  svg += printf_text("<text x=\"%.1f\" y=\"62\">outlined: what a job runs</text>\n", legend_x + 16);
  svg += "</svg>\n";
  return svg;
}

}  // namespace nst::cli
