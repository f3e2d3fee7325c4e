#include "apps/nst/bench_report.h"

#include <cstdarg>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace nst::cli {

// printf into a std::string.
std::string printf_text(const char* pattern, ...) {
  va_list args, copy;
  va_start(args, pattern);
  va_copy(copy, args);
  const int size = std::vsnprintf(nullptr, 0, pattern, copy);
  va_end(copy);
  std::string out(static_cast<std::size_t>(size), '\0');
  std::vsnprintf(out.data(), out.size() + 1, pattern, args);
  va_end(args);
  return out;
}

namespace {

// Half the range of the runs, relative to their median: the "±" of the table.
double plus_minus(const Stats& s) { return s.median > 0.0 ? (s.max - s.min) / 2 / s.median : 0.0; }

std::string percent(double fraction) {
  return fraction < 0.095 ? printf_text("%.1f%%", 100 * fraction)
                          : printf_text("%.0f%%", 100 * fraction);
}

const ConvMethodRate* find_method(const ConvPass& pass, const std::string& method) {
  for (const ConvMethodRate& m : pass.methods) {
    if (m.method == method) return &m;
  }
  return nullptr;
}

const char* const kMethods[] = {"sgemm", "im2col", "winograd", "fused", "bf16"};

std::string shape_text(const Conv2dShape& s) {
  return printf_text("%d->%d at %dx%d", s.C, s.K, s.W, s.H);
}

// The header: the run, the machine, the peak.
std::string machine_lines(const BenchReport& r) {
  const BenchOptions& o = r.options;
  const char* threads = o.threads == 1 ? "thread" : "threads";
  return printf_text("nst bench: VGG19 at %dx%d, %d %s; each figure the median of %d run%s\n",
                     o.size, o.size, o.threads, threads, o.repeats, o.repeats == 1 ? "" : "s") +
         printf_text("CPU: %s (%s); our kernels: %s; OpenBLAS kernels: %s\n", r.machine.cpu.c_str(),
                     r.machine.features.c_str(), r.machine.isa.c_str(),
                     r.machine.blas_kernels.c_str()) +
         printf_text("Peak: %.1f GFLOP/s ±%s, measured with an FMA loop on %d %s (%.1f each)\n",
                     r.peak_gflops.median, percent(plus_minus(r.peak_gflops)).c_str(), o.threads,
                     threads, r.peak_gflops.median / o.threads);
}

// A table row: the label columns, then the cells, without trailing spaces.
std::string table_row(const std::string& layer, const std::string& shape, const char* pass,
                      const std::string& cells) {
  std::string row = printf_text("%-8s %-20s %-10s", layer.c_str(), shape.c_str(), pass) + cells;
  while (!row.empty() && row.back() == ' ') row.pop_back();
  return row + "\n";
}

// One cell: median GFLOP/s, share of the peak, ± of the runs, and * if a job runs it. The "±"
// takes two bytes and one column, so it stays outside every padded field.
std::string rate_cell(const ConvMethodRate* m, double peak, bool picked) {
  if (m == nullptr) return "         n/a        ";
  return printf_text(" %6.1f %4s ±%-5s%c", m->gflops.median,
                     percent(m->gflops.median / peak).c_str(),
                     percent(plus_minus(m->gflops)).c_str(), picked ? '*' : ' ');
}

std::string convolution_table(const BenchReport& r) {
  const double peak = r.peak_gflops.median;
  std::string out =
      "Convolutions: effective GFLOP/s (2*K*C*9*H*W / time), share of the peak, ± half the\n"
      "range of the runs; * marks what a job runs. sgemm: im2col's GEMMs without the im2col.\n"
      "bf16: the Winograd path a job takes, with bf16 products on AMX (NST_PRECISION=bf16).\n"
      "Winograd does fewer multiplications: its effective rate can pass the peak.\n";
  out += printf_text("%-8s %-20s %-10s  %-19s %-19s %-19s %-19s %s\n", "layer", "shape", "pass",
                     "sgemm", "im2col", "winograd", "fused", "bf16");
  const char* pass_names[] = {"forward", "input grad"};
  int layers = 0;
  for (const ConvBench& c : r.convolutions) {
    layers += c.count;
    for (int p = 0; p < 2; ++p) {
      const ConvPass& pass = p == 0 ? c.forward : c.input_gradient;
      std::string cells;
      for (const char* method : kMethods) {
        cells += rate_cell(find_method(pass, method), peak, pass.picked == method);
      }
      out += p == 0 ? table_row(c.layer, shape_text(c.shape), pass_names[p], cells)
                    : table_row("", "", pass_names[p], cells);
    }
  }
  // The whole network, each shape counted as often as VGG19 runs it.
  for (int p = 0; p < 2; ++p) {
    std::string cells;
    for (const char* method : kMethods) {
      const double rate = network_gflops(r, p == 1, method);
      cells += rate > 0.0 ? printf_text(" %6.1f %4s       ", rate, percent(rate / peak).c_str())
                          : rate_cell(nullptr, peak, false);
    }
    out += p == 0 ? table_row("VGG19", std::to_string(layers) + " layers, weighted", pass_names[p],
                              cells)
                  : table_row("", "", pass_names[p], cells);
  }
  const double forward = network_gflops(r, false, "picked");
  const double input_gradient = network_gflops(r, true, "picked");
  out += printf_text(
      "As a job runs them (*): %.1f GFLOP/s forward (%s of the peak), %.1f input grad (%s)\n",
      forward, percent(forward / peak).c_str(), input_gradient,
      percent(input_gradient / peak).c_str());
  return out;
}

std::string iteration_table(const BenchReport& r) {
  const IterationBench& it = r.iteration;
  const int size = r.options.size;
  std::string out = printf_text(
      "One style-transfer iteration at %dx%d (Adam; content relu4_2, style relu1_1..relu5_1):\n"
      "%.1f ms ±%s, by op (its own time: what it runs of other ops is not counted in it)\n",
      size, size, 1e3 * it.seconds.median, percent(plus_minus(it.seconds)).c_str());
  out += printf_text("%-20s %-9s %9s %6s %6s %6s\n", "op", "pass", "ms", "share", "   ±", "calls");
  auto op_row = [&](const std::string& op, const char* pass, const Stats& s,
                    const std::string& calls) {
    out += printf_text("%-20s %-9s %9.2f %6s  ±%-4s %6s\n", op.c_str(), pass, 1e3 * s.median,
                       percent(s.median / it.seconds.median).c_str(),
                       percent(plus_minus(s)).c_str(), calls.c_str());
  };
  for (const OpBench& op : it.ops) {
    op_row(op.key.op, op_phase_name(op.key.phase), op.seconds, std::to_string(op.calls));
  }
  op_row("(between the ops)", "", it.other_seconds, "");
  out += "(between the ops: the autograd walk, the clamp to [0, 1], allocations)\n";
  return out;
}

}  // namespace

std::string bench_table(const BenchReport& r) {
  return machine_lines(r) + "\n" + convolution_table(r) + "\n" + iteration_table(r);
}

std::string bench_csv(const BenchReport& r) {
  const BenchOptions& o = r.options;
  std::string out;
  out += printf_text("# nst bench: VGG19 at %dx%d, %d threads, median of %d runs\n", o.size, o.size,
                     o.threads, o.repeats);
  out += "# cpu: " + r.machine.cpu + "; features: " + r.machine.features +
         "; our kernels: " + r.machine.isa + "; OpenBLAS kernels: " + r.machine.blas_kernels + "\n";
  out += "section,layer,count,C,K,H,W,pass,method,picked,median,min,max,unit,share,calls\n";
  auto row = [&](const std::string& prefix, const Stats& s, const char* unit, double scale,
                 double share, const std::string& calls) {
    out += prefix +
           printf_text(",%.6g,%.6g,%.6g,%s,%.4f,", scale * s.median, scale * s.min, scale * s.max,
                       unit, share) +
           calls + "\n";
  };
  row("peak,,,,,,,,fma_" + r.machine.isa + ",", r.peak_gflops, "GFLOP/s", 1.0, 1.0, "");
  for (const ConvBench& c : r.convolutions) {
    for (int p = 0; p < 2; ++p) {
      const ConvPass& pass = p == 0 ? c.forward : c.input_gradient;
      for (const ConvMethodRate& m : pass.methods) {
        const bool picked = pass.picked == m.method;
        row(printf_text("conv,%s,%d,%d,%d,%d,%d,%s,%s,%d", c.layer.c_str(), c.count, c.shape.C,
                        c.shape.K, c.shape.H, c.shape.W, p == 0 ? "forward" : "input_gradient",
                        m.method.c_str(), picked ? 1 : 0),
            m.gflops, "GFLOP/s", 1.0, m.gflops.median / r.peak_gflops.median, "");
      }
    }
  }
  for (int p = 0; p < 2; ++p) {
    for (const char* method : {"sgemm", "im2col", "winograd", "fused", "bf16", "picked"}) {
      const double rate = network_gflops(r, p == 1, method);
      out += printf_text("network,VGG19,13,,,,,%s,%s,,%.6g,,,GFLOP/s,%.4f,\n",
                         p == 0 ? "forward" : "input_gradient", method, rate,
                         rate / r.peak_gflops.median);
    }
  }
  const IterationBench& it = r.iteration;
  row("iteration,,,,,,,,total,", it.seconds, "ms", 1e3, 1.0, "");
  for (const OpBench& op : it.ops) {
    row(printf_text("iteration,,,,,,,%s,%s,", op_phase_name(op.key.phase), op.key.op.c_str()),
        op.seconds, "ms", 1e3, op.seconds.median / it.seconds.median, std::to_string(op.calls));
  }
  row("iteration,,,,,,,,between_ops,", it.other_seconds, "ms", 1e3,
      it.other_seconds.median / it.seconds.median, "");
  return out;
}

std::string bench_json(const BenchReport& r) {
  using nlohmann::ordered_json;
  auto stats = [](const Stats& s, double scale = 1.0) {
    return ordered_json{
        {"median", scale * s.median}, {"min", scale * s.min}, {"max", scale * s.max}};
  };
  ordered_json convolutions = ordered_json::array();
  for (const ConvBench& c : r.convolutions) {
    auto pass_json = [&](const ConvPass& pass) {
      ordered_json j{{"picked", pass.picked}};
      for (const ConvMethodRate& m : pass.methods) j[m.method + "_gflops"] = stats(m.gflops);
      return j;
    };
    convolutions.push_back({{"layer", c.layer},
                            {"count", c.count},
                            {"C", c.shape.C},
                            {"K", c.shape.K},
                            {"H", c.shape.H},
                            {"W", c.shape.W},
                            {"gflop", c.shape.direct_flops() * 1e-9},
                            {"forward", pass_json(c.forward)},
                            {"input_gradient", pass_json(c.input_gradient)}});
  }
  ordered_json network;
  for (int p = 0; p < 2; ++p) {
    ordered_json pass;
    for (const char* method : {"sgemm", "im2col", "winograd", "fused", "bf16", "picked"}) {
      pass[std::string(method) + "_gflops"] = network_gflops(r, p == 1, method);
    }
    network[p == 0 ? "forward" : "input_gradient"] = pass;
  }
  ordered_json ops = ordered_json::array();
  for (const OpBench& op : r.iteration.ops) {
    ops.push_back({{"op", op.key.op},
                   {"pass", op_phase_name(op.key.phase)},
                   {"ms", stats(op.seconds, 1e3)},
                   {"calls", op.calls}});
  }
  const ordered_json report{{"size", r.options.size},
                            {"threads", r.options.threads},
                            {"repeats", r.options.repeats},
                            {"machine",
                             {{"cpu", r.machine.cpu},
                              {"features", r.machine.features},
                              {"isa", r.machine.isa},
                              {"blas_kernels", r.machine.blas_kernels}}},
                            {"peak_gflops", stats(r.peak_gflops)},
                            {"convolutions", convolutions},
                            {"vgg19_weighted", network},
                            {"iteration",
                             {{"ms", stats(r.iteration.seconds, 1e3)},
                              {"ops", ops},
                              {"between_ops_ms", stats(r.iteration.other_seconds, 1e3)}}}};
  return report.dump(2) + "\n";
}

}  // namespace nst::cli
