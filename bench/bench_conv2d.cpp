// Convolution throughput on VGG19's layer shapes, next to plain SGEMM of the same size.
//
// For each layer, "sgemm" multiplies the weight [K x C*9] by a ready-made column matrix
// [C*9 x H*W]: the arithmetic of the convolution with none of its data movement. "im2col" is
// our full forward by im2col band by band + GEMM + bias; "im2col_dinput" its input gradient
// (GEMM + col2im) that style transfer runs on every iteration. "winograd" and
// "winograd_dinput" are the same two by Winograd F(4x4, 3x3)'s GEMM path, "fused" and
// "fused_dinput" by its fused path (filters transformed beforehand, as the network caches
// them). The input gradients go through a ReLU mask, as in a job. Every rate is *effective*: the
// direct algorithm's 2*K*C*9*Ho*Wo operations divided by the time, so Winograd, which does fewer
// multiplications, can beat SGEMM. The table at the end gives each one's median GFLOP/s, measured
// in this run, and which one conv2d_algorithm.h picks.
//
//   build/bin/bench_conv2d [--side=256] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nn/vgg19.h"
#include "tensor/aligned_buffer.h"
#include "tensor/blas_runtime.h"
#include "tensor/conv2d.h"
#include "tensor/conv2d_algorithm.h"
#include "tensor/cpu_features.h"
#include "tensor/gemm.h"
#include "tensor/random.h"
#include "tensor/relu_mask.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"
#include "tensor/winograd.h"
#include "tensor/winograd_fused.h"

namespace nst::bench {
namespace {

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Tensor t(shape);
  Random random(seed);
  random.fill_uniform(t.values(), -1.0f, 1.0f);
  return t;
}

void set_rate(benchmark::State& state, const Conv2dShape& s) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(s.direct_flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_sgemm(benchmark::State& state, Conv2dShape s) {
  const int M = s.K, N = s.Ho() * s.Wo(), K = s.C * s.kernel * s.kernel;
  Tensor a = random_tensor(Shape{M, K}, 1), b = random_tensor(Shape{K, N}, 2), c(Shape{M, N});
  for (auto _ : state) {
    gemm(Transpose::no, Transpose::no, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f, c.data(), N);
    benchmark::DoNotOptimize(c.data());
  }
  set_rate(state, s);
}

void bench_conv2d(benchmark::State& state, Conv2dShape s) {
  Tensor in = random_tensor(Shape{s.N, s.C, s.H, s.W}, 1);
  Tensor weight = random_tensor(Shape{s.K, s.C, s.kernel, s.kernel}, 2);
  Tensor bias = random_tensor(Shape{s.K}, 3), out(Shape{s.N, s.K, s.Ho(), s.Wo()});
  for (auto _ : state) {
    conv2d_forward(out.data(), in.data(), weight.data(), bias.data(), s);
    benchmark::DoNotOptimize(out.data());
  }
  set_rate(state, s);
}

// About half of the bits set, as after a ReLU.
std::vector<uint8_t> relu_mask_of(const Tensor& dout) {
  std::vector<uint8_t> mask(relu_mask_bytes(dout.numel()));
  relu_mask_pack(dout.data(), dout.numel(), mask.data());
  return mask;
}

void bench_conv2d_dinput(benchmark::State& state, Conv2dShape s) {
  Tensor weight = random_tensor(Shape{s.K, s.C, s.kernel, s.kernel}, 2);
  Tensor dout = random_tensor(Shape{s.N, s.K, s.Ho(), s.Wo()}, 3);
  const std::vector<uint8_t> mask = relu_mask_of(dout);
  Tensor din = Tensor::zeros(Shape{s.N, s.C, s.H, s.W});
  for (auto _ : state) {
    conv2d_backward(din.data(), nullptr, nullptr, dout.data(), nullptr, weight.data(), s,
                    mask.data());
    benchmark::DoNotOptimize(din.data());
  }
  set_rate(state, s);
}

// In the precision a convolution of this shape runs in (NST_PRECISION, winograd_precision.h).
Tensor winograd_filters(const Conv2dShape& s) {
  Tensor weight = random_tensor(Shape{s.K, s.C, s.kernel, s.kernel}, 2);
  Tensor u(Shape{winograd_filter_size(s.K, s.C)});
  winograd_transform_filter(weight.data(), s.K, s.C, u.data(), nst::winograd_precision(s));
  return u;
}

using WinogradForward = void (*)(float* out, const float* in, nst::WinogradFilters u,
                                 const float* bias, const Conv2dShape& s, bool relu,
                                 int64_t budget);
using WinogradInputGradient = void (*)(float* din, const float* dout, const uint8_t* mask,
                                       nst::WinogradFilters u, const Conv2dShape& s,
                                       int64_t budget);

template <WinogradForward forward, int64_t budget>
void bench_winograd(benchmark::State& state, Conv2dShape s) {
  Tensor in = random_tensor(Shape{s.N, s.C, s.H, s.W}, 1), u = winograd_filters(s);
  Tensor bias = random_tensor(Shape{s.K}, 3), out(Shape{s.N, s.K, s.Ho(), s.Wo()});
  for (auto _ : state) {
    forward(out.data(), in.data(), {u.data(), nst::winograd_precision(s)}, bias.data(), s,
            /*relu=*/false, budget);
    benchmark::DoNotOptimize(out.data());
  }
  set_rate(state, s);
}

template <WinogradInputGradient input_gradient, int64_t budget>
void bench_winograd_dinput(benchmark::State& state, Conv2dShape s) {
  Tensor u = winograd_filters(s);
  Tensor dout = random_tensor(Shape{s.N, s.K, s.Ho(), s.Wo()}, 3);
  const std::vector<uint8_t> mask = relu_mask_of(dout);
  Tensor din = Tensor::zeros(Shape{s.N, s.C, s.H, s.W});
  for (auto _ : state) {
    input_gradient(din.data(), dout.data(), mask.data(), {u.data(), nst::winograd_precision(s)}, s,
                   budget);
    benchmark::DoNotOptimize(din.data());
  }
  set_rate(state, s);
}

// Prints the usual console output and keeps each benchmark's GFLOP/s (the median when
// repetitions are asked for) for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") continue;
      auto it = run.counters.find("GFLOP/s");
      if (it != run.counters.end()) rates_[run.run_name.function_name] = it->second.value;
    }
  }
  double rate(const std::string& name) const {
    auto it = rates_.find(name);
    return it == rates_.end() ? 0.0 : it->second;
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace
}  // namespace nst::bench

int main(int argc, char** argv) {
  using namespace nst::bench;
  nst::use_best_blas_kernels(argv);
  // The kernels run as they do in a job, whose scope keeps the im2col buffers between calls;
  // without it each call would also pay for fresh pages from the OS.
  const nst::BlockReuseScope reuse_blocks;
  int side = 256;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--side=", 7) == 0) side = std::atoi(argv[i] + 7);
  }
  const auto layers = nst::nn::vgg19_conv_shapes(side, side);
  const std::pair<const char*, void (*)(benchmark::State&, nst::Conv2dShape)> kinds[] = {
      {"sgemm", bench_sgemm},
      {"im2col", bench_conv2d},
      {"winograd", bench_winograd<nst::winograd_forward, nst::kWinogradBandBudget>},
      {"fused", bench_winograd<nst::winograd_fused_forward, nst::kWinogradFusedBlockBudget>},
      {"im2col_dinput", bench_conv2d_dinput},
      {"winograd_dinput",
       bench_winograd_dinput<nst::winograd_backward_input, nst::kWinogradBandBudget>},
      {"fused_dinput",
       bench_winograd_dinput<nst::winograd_fused_backward_input, nst::kWinogradFusedBlockBudget>}};
  for (const nst::nn::Vgg19ConvShape& layer : layers) {
    for (const auto& [kind, function] : kinds) {
      const bool winograd = std::string_view(kind).starts_with("winograd") ||
                            std::string_view(kind).starts_with("fused");
      if (winograd && !nst::winograd_applies(layer.shape)) continue;
      benchmark::RegisterBenchmark((std::string(kind) + "/" + layer.first_layer).c_str(), function,
                                   layer.shape)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  std::printf("\nVGG19 convolutions at %dx%d: median effective GFLOP/s (2*K*C*9*Ho*Wo / time)\n",
              side, side);
  std::printf("CPU: %s; OpenBLAS kernels: %s; threads: %d\n", nst::cpu_features().summary().c_str(),
              nst::blas_core_name().c_str(), nst::num_threads());
  std::printf("%-8s %7s | %7s %8s %8s %8s %8s | %7s %8s %8s %8s %8s\n", "", "", "forward", "", "",
              "", "", "input", "gradient", "", "", "");
  std::printf("%-8s %7s | %7s %8s %8s %8s %8s | %7s %8s %8s %8s %8s\n", "layer", "sgemm", "im2col",
              "winograd", "fused", "picked", "speedup", "im2col", "winograd", "fused", "picked",
              "speedup");
  // The whole network: each shape's time counted as often as VGG19 (to conv5_1) runs it.
  struct Column {
    double time = 0.0;  // seconds per GFLOP, summed
    void add(double gflop, double rate) { time += rate > 0.0 ? gflop / rate : 0.0; }
  };
  // Rates in ConvAlgorithm's order: im2col, winograd (the GEMM path), fused.
  constexpr int kAlgorithms = 3;
  double flops = 0.0;
  Column gemm_total, fwd[kAlgorithms + 1], bwd[kAlgorithms + 1];  // + picked
  bool complete = true;
  for (const nst::nn::Vgg19ConvShape& layer : layers) {
    const std::string& name = layer.first_layer;
    const double gemm = reporter.rate("sgemm/" + name);
    double fwd_rate[kAlgorithms] = {reporter.rate("im2col/" + name),
                                    reporter.rate("winograd/" + name),
                                    reporter.rate("fused/" + name)};
    double bwd_rate[kAlgorithms] = {reporter.rate("im2col_dinput/" + name),
                                    reporter.rate("winograd_dinput/" + name),
                                    reporter.rate("fused_dinput/" + name)};
    if (gemm <= 0.0 || fwd_rate[0] <= 0.0 || bwd_rate[0] <= 0.0) {  // filtered out
      complete = false;
      continue;
    }
    for (int a = 1; a < kAlgorithms; ++a) {  // where Winograd does not apply: im2col's time
      if (fwd_rate[a] <= 0.0) fwd_rate[a] = fwd_rate[0];
      if (bwd_rate[a] <= 0.0) bwd_rate[a] = bwd_rate[0];
    }
    const nst::ConvAlgorithm fwd_by = nst::forward_algorithm(layer.shape);
    const nst::ConvAlgorithm bwd_by = nst::input_gradient_algorithm(layer.shape);
    const double fwd_picked = fwd_rate[static_cast<int>(fwd_by)];
    const double bwd_picked = bwd_rate[static_cast<int>(bwd_by)];
    std::printf("%-8s %7.1f | %7.1f %8.1f %8.1f %8s %7.2fx | %7.1f %8.1f %8.1f %8s %7.2fx\n",
                name.c_str(), gemm, fwd_rate[0], fwd_rate[1], fwd_rate[2],
                nst::conv_algorithm_name(fwd_by), fwd_picked / fwd_rate[0], bwd_rate[0],
                bwd_rate[1], bwd_rate[2], nst::conv_algorithm_name(bwd_by),
                bwd_picked / bwd_rate[0]);
    const double f = layer.shape.direct_flops() * layer.count * 1e-9;
    flops += f;
    gemm_total.add(f, gemm);
    for (int a = 0; a < kAlgorithms; ++a) {
      fwd[a].add(f, fwd_rate[a]);
      bwd[a].add(f, bwd_rate[a]);
    }
    fwd[kAlgorithms].add(f, fwd_picked);
    bwd[kAlgorithms].add(f, bwd_picked);
  }
  if (complete) {
    std::printf("%-8s %7.1f | %7.1f %8.1f %8.1f %8.1f %7.2fx | %7.1f %8.1f %8.1f %8.1f %7.2fx\n",
                "VGG19", flops / gemm_total.time, flops / fwd[0].time, flops / fwd[1].time,
                flops / fwd[2].time, flops / fwd[3].time, fwd[0].time / fwd[3].time,
                flops / bwd[0].time, flops / bwd[1].time, flops / bwd[2].time, flops / bwd[3].time,
                bwd[0].time / bwd[3].time);
    std::printf(
        "(VGG19: conv1_1 to conv5_1 as a job runs them; \"picked\" uses the algorithm\n"
        "conv2d_algorithm.h chooses per layer; speedup = picked over im2col)\n");
  }
  benchmark::Shutdown();
  return 0;
}
