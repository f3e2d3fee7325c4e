#include "apps/nst/bench_measure.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>

#include "nn/vgg19.h"
#include "nst/drivers.h"
#include "nst/memory.h"
#include "nst/objective.h"
#include "tensor/aligned_buffer.h"
#include "tensor/amx_bf16.h"
#include "tensor/blas_runtime.h"
#include "tensor/conv2d.h"
#include "tensor/cpu_features.h"
#include "tensor/elementwise_kernels.h"
#include "tensor/fma_peak.h"
#include "tensor/gemm.h"
#include "tensor/random.h"
#include "tensor/relu_mask.h"
#include "tensor/tensor.h"
#include "tensor/winograd.h"
#include "tensor/winograd_fused.h"
#include "tensor/winograd_precision.h"

namespace nst::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(shape);
  Random(seed).fill_uniform(t.values(), lo, hi);
  return t;
}

// `call` once to warm up (first-touch pages, caches, BLAS's buffers), then `repeats` runs, each
// calling it again and again for at least run_time; each run's rate in GFLOP/s.
Stats rate_of(const std::function<void()>& call, double flops, const BenchOptions& o) {
  call();
  std::vector<double> rates;
  for (int r = 0; r < o.repeats; ++r) {
    int64_t calls = 0;
    double elapsed = 0.0;
    const Clock::time_point start = Clock::now();
    do {
      call();
      ++calls;
      elapsed = seconds_since(start);
    } while (elapsed < o.run_time);
    rates.push_back(flops * static_cast<double>(calls) / elapsed * 1e-9);
  }
  return summarize(rates);
}

// The GEMMs of one im2col pass without the im2col: output rows cut into the bands the kernel
// uses (tensor/conv2d.h), each band one GEMM on a ready-made matrix. It is the arithmetic of
// the convolution with none of its data movement, so it tells how much of im2col's time is
// the GEMM's. All bands reuse one band-sized matrix, as the kernel reuses its buffer. (Where
// the inner dimension is tiny, conv1_1, the kernel gives each thread bands of its own; here
// every GEMM has all the threads.) `feature_map` is the output for the forward pass, the
// output's gradient for the input gradient:
//   forward:         out_band [K x cols]       = weight [K x Ckk]    * col_band [Ckk x cols]
//   input gradient:  colgrad_band [Ckk x cols] = weight^T [Ckk x K]  * dout_band [K x cols]
std::function<void()> sgemm_bands(const Conv2dShape& s, int band_rows, bool input_gradient,
                                  const Tensor& weight, const Tensor& feature_map) {
  const int P = s.Ho() * s.Wo(), Ckk = s.col_rows(), band_cols = band_rows * s.Wo();
  return [s, P, Ckk, band_cols, input_gradient, weight, map = feature_map,
          band = random_tensor(Shape{Ckk, band_cols}, 7)]() mutable {
    for (int first = 0; first < P; first += band_cols) {
      const int cols = std::min(band_cols, P - first);
      if (input_gradient) {
        gemm(Transpose::yes, Transpose::no, Ckk, cols, s.K, 1.0f, weight.data(), Ckk,
             map.data() + first, P, 0.0f, band.data(), band_cols);
      } else {
        gemm(Transpose::no, Transpose::no, s.K, cols, Ckk, 1.0f, weight.data(), Ckk, band.data(),
             band_cols, 0.0f, map.data() + first, P);
      }
    }
  };
}

// A job's settings for the iteration: the defaults (content relu4_2, style relu1_1 .. relu5_1,
// Adam).
JobSettings iteration_settings() { return JobSettings{}; }

JobSizes iteration_sizes(int side) {
  const ImageSize size{side, side};
  return {.content = size,
          .content_original = size,
          .styles = {size},
          .styles_original = {size},
          .init_original = {},
          .kept_images = {}};
}

// Floats one bench_convolution holds: input and its gradient, output and its gradient, the
// weight and its Winograd transforms (fp32 and bf16), a GEMM band, the kernels' own bands.
int64_t convolution_floats(const Conv2dShape& s) {
  const int64_t band_cols =
      int64_t{std::max(conv2d_forward_bands(s).rows, conv2d_backward_bands(s).rows)} * s.Wo();
  return 2 * int64_t{s.C} * s.H * s.W + 2 * int64_t{s.K} * s.Ho() * s.Wo() +
         int64_t{s.K} * s.col_rows() + 2 * winograd_filter_size(s.K, s.C) +
         2 * s.col_rows() * band_cols + kWinogradBandBudget;
}

ConvBench bench_convolution(const nn::Vgg19ConvShape& layer, const BenchOptions& o) {
  // Its buffers are reused between calls, as in a job, and given back when it ends.
  const BlockReuseScope reuse_blocks;
  const Conv2dShape& s = layer.shape;
  const double flops = s.direct_flops();
  const Tensor in = random_tensor(Shape{s.N, s.C, s.H, s.W}, 1);
  const Tensor weight = random_tensor(Shape{s.K, s.C, s.kernel, s.kernel}, 2);
  const Tensor bias = random_tensor(Shape{s.K}, 3);
  Tensor out(Shape{s.N, s.K, s.Ho(), s.Wo()});
  Tensor dout = random_tensor(out.shape(), 4);
  Tensor din = Tensor::zeros(in.shape());
  // The gradient arrives through a ReLU, as in a job: about half of the bits set.
  std::vector<uint8_t> mask(relu_mask_bytes(dout.numel()));
  relu_mask_pack(dout.data(), dout.numel(), mask.data());

  ConvBench bench{
      .layer = layer.first_layer,
      .count = layer.count,
      .shape = s,
      .forward = {.methods = {}, .picked = picked_method(forward_algorithm(s), s)},
      .input_gradient = {.methods = {}, .picked = picked_method(input_gradient_algorithm(s), s)}};
  auto add = [&](ConvPass& pass, const char* method, const std::function<void()>& call) {
    pass.methods.push_back({method, rate_of(call, flops, o)});
  };
  add(bench.forward, "sgemm",
      sgemm_bands(s, conv2d_forward_bands(s).rows, /*input_gradient=*/false, weight, out));
  add(bench.forward, "im2col",
      [&] { conv2d_forward(out.data(), in.data(), weight.data(), bias.data(), s); });
  add(bench.input_gradient, "sgemm",
      sgemm_bands(s, conv2d_backward_bands(s).rows, /*input_gradient=*/true, weight, dout));
  add(bench.input_gradient, "im2col", [&] {
    conv2d_backward(din.data(), nullptr, nullptr, dout.data(), nullptr, weight.data(), s,
                    mask.data());
  });
  if (winograd_applies(s)) {
    // The filters transformed once beforehand, as the network caches them.
    Tensor u(Shape{winograd_filter_size(s.K, s.C)});
    winograd_transform_filter(weight.data(), s.K, s.C, u.data());
    add(bench.forward, "winograd",
        [&] { winograd_forward(out.data(), in.data(), u.data(), bias.data(), s, /*relu=*/false); });
    add(bench.input_gradient, "winograd",
        [&] { winograd_backward_input(din.data(), dout.data(), mask.data(), u.data(), s); });
    add(bench.forward, "fused", [&] {
      winograd_fused_forward(out.data(), in.data(), u.data(), bias.data(), s, /*relu=*/false);
    });
    add(bench.input_gradient, "fused",
        [&] { winograd_fused_backward_input(din.data(), dout.data(), mask.data(), u.data(), s); });
  }
  if (winograd_applies(s) && fills_amx_tiles(s) && amx_bf16_usable()) {
    // bf16 products (NST_PRECISION=bf16) by the Winograd path the automatic choice takes.
    Tensor u16(Shape{winograd_filter_size(s.K, s.C)});
    winograd_transform_filter(weight.data(), s.K, s.C, u16.data(), Precision::bf16);
    const WinogradFilters bf16(u16.data(), Precision::bf16);
    const bool fused_forward = forward_algorithm(s) == ConvAlgorithm::fused;
    const bool fused_backward = input_gradient_algorithm(s) == ConvAlgorithm::fused;
    add(bench.forward, "bf16", [&] {
      if (fused_forward) {
        winograd_fused_forward(out.data(), in.data(), bf16, bias.data(), s, /*relu=*/false);
      } else {
        winograd_forward(out.data(), in.data(), bf16, bias.data(), s, /*relu=*/false);
      }
    });
    add(bench.input_gradient, "bf16", [&] {
      if (fused_backward) {
        winograd_fused_backward_input(din.data(), dout.data(), mask.data(), bf16, s);
      } else {
        winograd_backward_input(din.data(), dout.data(), mask.data(), bf16, s);
      }
    });
  }
  return bench;
}

Tensor random_image(int side, uint64_t seed) {
  return random_tensor(Shape{1, 3, side, side}, seed, 0.0f, 1.0f);
}

// A job's iteration on an untrained VGG19: the same arithmetic as with trained weights.
IterationBench bench_iteration(const BenchOptions& o) {
  const BlockReuseScope reuse_blocks;  // as a job holds one
  nn::Vgg19 model;
  model.init_random(0);
  const JobSettings settings = iteration_settings();
  StyleObjective objective(model, random_image(o.size, 1), {random_image(o.size, 2)}, settings);
  AdamDriver driver(objective, random_image(o.size, 3), adam_options(settings));
  driver.step();  // warm-up: the filter caches, the reused blocks

  std::vector<double> totals, others;
  std::map<OpKey, std::vector<double>> op_seconds;
  std::map<OpKey, int64_t> op_calls;
  for (int r = 0; r < o.repeats; ++r) {
    const OpTimingScope timing;
    const Clock::time_point start = Clock::now();
    driver.step();
    const double total = seconds_since(start);
    double in_ops = 0.0;
    for (const auto& [key, time] : timing.times()) {
      op_seconds[key].resize(r, 0.0);  // an op that did not run in an earlier repeat took 0
      op_seconds[key].push_back(time.seconds);
      op_calls[key] = time.calls;
      in_ops += time.seconds;
    }
    totals.push_back(total);
    others.push_back(std::max(0.0, total - in_ops));
  }
  IterationBench bench{.seconds = summarize(totals), .ops = {}, .other_seconds = summarize(others)};
  for (auto& [key, seconds] : op_seconds) {
    seconds.resize(o.repeats, 0.0);
    bench.ops.push_back({key, summarize(seconds), op_calls[key]});
  }
  std::stable_sort(bench.ops.begin(), bench.ops.end(), [](const OpBench& a, const OpBench& b) {
    return a.seconds.median > b.seconds.median;
  });
  return bench;
}

}  // namespace

Stats summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size(), mid = n / 2;
  const double median = n % 2 == 1 ? samples[mid] : 0.5 * (samples[mid - 1] + samples[mid]);
  return {.median = median, .min = samples.front(), .max = samples.back()};
}

std::string picked_method(ConvAlgorithm algorithm, const Conv2dShape& s) {
  if (is_winograd(algorithm) && winograd_precision(s) == Precision::bf16) return "bf16";
  return conv_algorithm_name(algorithm);
}

double network_gflops(const BenchReport& report, bool input_gradient, const std::string& method) {
  double flops = 0.0, seconds = 0.0;
  bool measured = false;  // the method ran on some shape
  for (const ConvBench& c : report.convolutions) {
    const ConvPass& pass = input_gradient ? c.input_gradient : c.forward;
    const std::string wanted = method == "picked" ? pass.picked : method;
    double rate = 0.0, picked_rate = 0.0;
    for (const ConvMethodRate& m : pass.methods) {
      if (m.method == wanted) rate = m.gflops.median;
      if (m.method == pass.picked) picked_rate = m.gflops.median;
    }
    measured = measured || rate > 0.0;
    if (rate <= 0.0) rate = picked_rate;  // a shape the method cannot run (bf16 on 3 channels)
    if (rate <= 0.0) return 0.0;
    const double gflop = c.count * c.shape.direct_flops() * 1e-9;
    flops += gflop;
    seconds += gflop / rate;
  }
  return measured && seconds > 0.0 ? flops / seconds : 0.0;
}

int64_t bench_peak_bytes(const BenchOptions& options) {
  int64_t floats = 0;
  for (const auto& layer : nn::vgg19_conv_shapes(options.size, options.size)) {
    floats = std::max(floats, convolution_floats(layer.shape));
  }
  // The job's fixed part (the program, VGG19 and its filters) counts for the convolutions too:
  // an overestimate of a few hundred MB at most.
  const MemoryEstimate job = estimate_memory(iteration_settings(), iteration_sizes(options.size));
  return std::max(job.total(), job.fixed + floats * static_cast<int64_t>(sizeof(float)));
}

BenchReport run_bench(const BenchOptions& options, const BenchProgress& progress) {
  BenchReport report{.options = options,
                     .machine = {.cpu = cpu_features().model,
                                 .features = cpu_features().summary(),
                                 .isa = isa_name(active_isa()),
                                 .blas_kernels = blas_core_name()},
                     .peak_gflops = {},
                     .convolutions = {},
                     .iteration = {}};

  progress("the FMA peak");
  std::vector<double> peaks;
  for (int r = 0; r < options.repeats; ++r) {
    peaks.push_back(measure_fma_peak(options.threads, options.run_time).gflops);
  }
  report.peak_gflops = summarize(peaks);

  const auto layers = nn::vgg19_conv_shapes(options.size, options.size);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    progress(layers[i].first_layer + " (" + std::to_string(i + 1) + " of " +
             std::to_string(layers.size()) + ")");
    report.convolutions.push_back(bench_convolution(layers[i], options));
  }
  progress("a style-transfer iteration");
  report.iteration = bench_iteration(options);
  return report;
}

}  // namespace nst::cli
