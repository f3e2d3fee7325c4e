// What `nst bench` measures: the machine's FMA peak, VGG19's convolutions by each algorithm
// next to plain SGEMM of the same size, and one whole style-transfer iteration split by op.
// Every figure is the median of repeated runs, kept with its minimum and maximum.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "autograd/op_timing.h"
#include "tensor/conv2d_algorithm.h"
#include "tensor/conv2d_shape.h"

namespace nst::cli {

struct BenchOptions {
  int size = 256;         // the image side, in pixels
  int threads = 1;        // for our loops and for BLAS
  int repeats = 5;        // runs per figure
  double run_time = 0.1;  // seconds each run repeats its kernel for, at least
};

struct Stats {
  double median = 0.0, min = 0.0, max = 0.0;
  double spread() const { return median > 0.0 ? (max - min) / median : 0.0; }
};
Stats summarize(std::vector<double> samples);  // samples not empty

// One way of computing one pass of a convolution, as an effective rate: the direct
// algorithm's FLOPs (Conv2dShape::direct_flops) over the time.
struct ConvMethodRate {
  std::string method;  // "sgemm", "im2col", "winograd", "fused", "bf16"
  Stats gflops;
};

struct ConvPass {
  // sgemm, im2col, both Winograd paths where it applies, and bf16 (the automatic choice's
  // Winograd path with bf16 products, tensor/winograd_precision.h) where AMX can run it.
  std::vector<ConvMethodRate> methods;
  std::string picked;  // the method a job runs (tensor/conv2d_algorithm.h, NST_PRECISION)
};

struct ConvBench {
  std::string layer;  // the first layer with this shape: "conv3_2"
  int count;          // VGG19's layers with it, up to conv5_1
  Conv2dShape shape;
  ConvPass forward, input_gradient;
};

struct OpBench {
  OpKey key;
  Stats seconds;  // in one iteration
  int64_t calls;  // in one iteration
};

struct IterationBench {
  Stats seconds;             // the whole iteration
  std::vector<OpBench> ops;  // slowest first
  Stats other_seconds;       // outside every op: autograd's walk, clamp, allocation
};

struct MachineInfo {
  std::string cpu, features, isa, blas_kernels;
};

struct BenchReport {
  BenchOptions options;
  MachineInfo machine;
  Stats peak_gflops;  // all threads together
  std::vector<ConvBench> convolutions;
  IterationBench iteration;
};

// VGG19's convolutions to conv5_1 as one pass of a job runs them, as one effective rate: the
// median times of each shape, counted as often as the network has the shape. `method` is
// one of ConvMethodRate's (what a job runs where a shape lacks it) or "picked" (what a job runs
// for each shape); 0 for a method that no shape ran (bf16 without AMX).
double network_gflops(const BenchReport& report, bool input_gradient, const std::string& method);

// The method name of what a job runs: the algorithm's, or "bf16" where a Winograd path
// multiplies in bf16.
std::string picked_method(ConvAlgorithm algorithm, const Conv2dShape& s);

// Called before each stage, for a progress display: "conv3_2 (6 of 9)".
using BenchProgress = std::function<void(const std::string& stage)>;

BenchReport run_bench(const BenchOptions& options, const BenchProgress& progress);

// The most memory run_bench will hold at once: the largest convolution's tensors, or the
// iteration's job (nst/memory.h), whichever is more; each phase gives its memory back.
int64_t bench_peak_bytes(const BenchOptions& options);

}  // namespace nst::cli
