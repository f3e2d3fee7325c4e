// Convolution throughput on VGG19's layer shapes, next to plain SGEMM of the same size.
//
// For each layer, "sgemm" multiplies the weight [K x C*9] by a ready-made column matrix
// [C*9 x H*W]: the arithmetic of the convolution with none of its data movement. "conv2d" is
// our full forward (im2col band by band + GEMM + bias); "conv2d_dinput" the input gradient
// (GEMM + col2im) that style transfer runs on every iteration. The table at the end gives each
// one's median GFLOP/s as a fraction of SGEMM's on the same shape, measured in this run.
//
//   build/bin/bench_conv2d [--side=256] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "bench/vgg19_shapes.h"
#include "tensor/aligned_buffer.h"
#include "tensor/blas_runtime.h"
#include "tensor/conv2d.h"
#include "tensor/cpu_features.h"
#include "tensor/gemm.h"
#include "tensor/random.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"

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
      benchmark::Counter(conv_flops(s) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
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

void bench_conv2d_dinput(benchmark::State& state, Conv2dShape s) {
  Tensor weight = random_tensor(Shape{s.K, s.C, s.kernel, s.kernel}, 2);
  Tensor dout = random_tensor(Shape{s.N, s.K, s.Ho(), s.Wo()}, 3);
  Tensor din = Tensor::zeros(Shape{s.N, s.C, s.H, s.W});
  for (auto _ : state) {
    conv2d_backward(din.data(), nullptr, nullptr, dout.data(), nullptr, weight.data(), s);
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
  const auto layers = vgg19_conv_shapes(side);
  for (const VggLayer& layer : layers) {
    const std::string name = layer.name;
    benchmark::RegisterBenchmark(("sgemm/" + name).c_str(), bench_sgemm, layer.shape)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("conv2d/" + name).c_str(), bench_conv2d, layer.shape)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("conv2d_dinput/" + name).c_str(), bench_conv2d_dinput,
                                 layer.shape)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  std::printf(
      "\nVGG19 convolutions at %dx%d: median GFLOP/s and ratio to SGEMM of the same shape\n", side,
      side);
  std::printf("CPU: %s; OpenBLAS kernels: %s; threads: %d\n", nst::cpu_features().summary().c_str(),
              nst::blas_core_name().c_str(), nst::num_threads());
  std::printf("%-8s %10s %10s %7s %10s %7s\n", "layer", "sgemm", "conv2d", "ratio", "dinput",
              "ratio");
  // The whole network: each shape's time counted as often as VGG19 (to conv5_1) runs it.
  double flops = 0.0, gemm_time = 0.0, fwd_time = 0.0, bwd_time = 0.0;
  auto row = [](const char* name, double gemm, double fwd, double bwd) {
    std::printf("%-8s %10.1f %10.1f %6.0f%% %10.1f %6.0f%%\n", name, gemm, fwd, 100.0 * fwd / gemm,
                bwd, 100.0 * bwd / gemm);
  };
  bool complete = true;
  for (const VggLayer& layer : layers) {
    const std::string name = layer.name;
    const double gemm = reporter.rate("sgemm/" + name);
    const double fwd = reporter.rate("conv2d/" + name);
    const double bwd = reporter.rate("conv2d_dinput/" + name);
    if (gemm <= 0.0 || fwd <= 0.0 || bwd <= 0.0) {  // filtered out
      complete = false;
      continue;
    }
    row(layer.name, gemm, fwd, bwd);
    const double f = conv_flops(layer.shape) * layer.count * 1e-9;
    flops += f;
    gemm_time += f / gemm;
    fwd_time += f / fwd;
    bwd_time += f / bwd;
  }
  if (complete) row("VGG19", flops / gemm_time, flops / fwd_time, flops / bwd_time);
  benchmark::Shutdown();
  return 0;
}
