// One style-transfer iteration (forward to relu5_1, the losses, backward to the image, an Adam
// step), the unit of work a user waits for, at several image sizes (height/width). VGG19 has
// random weights: the arithmetic is the same as with trained ones.
//
//   build/bin/bench_style_step --benchmark_filter='style_step/(256/256|512/512)/' [flags]
// bench/compare_style_step.sh runs it next to the same step in PyTorch and prints the ratio.
#include <benchmark/benchmark.h>

#include <memory>

#include "nn/vgg19.h"
#include "nst/drivers.h"
#include "tensor/aligned_buffer.h"
#include "tensor/blas_runtime.h"
#include "tensor/random.h"

namespace {

nst::Tensor random_image(int height, int width, uint64_t seed) {
  nst::Tensor t(nst::Shape{1, 3, height, width});
  nst::Random(seed).fill_uniform(t.values(), 0.0f, 1.0f);
  return t;
}

void style_step(benchmark::State& state) {
  const auto height = static_cast<int>(state.range(0)), width = static_cast<int>(state.range(1));
  static nst::nn::Vgg19 model;  // 20 M random weights: initialised once for all sizes
  static bool initialised = false;
  if (!initialised) {
    model.init_random(0);
    initialised = true;
  }
  const nst::BlockReuseScope reuse_blocks;  // as a job does
  const nst::JobSettings defaults;          // layers relu4_2 and relu1_1..relu5_1
  nst::StyleObjective objective(model, random_image(height, width, 1),
                                {random_image(height, width, 2)}, defaults);
  nst::AdamDriver driver(objective, random_image(height, width, 3), nst::adam_options(defaults));
  for (auto _ : state) driver.step();
  state.counters["s/iteration"] = benchmark::Counter(
      1.0, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

// 1024x1024 and 3840x2160 (4K UHD) are for peak-memory measurements (compare_style_step.sh
// runs each alone under /usr/bin/time); select one with --benchmark_filter=style_step/1024/.
BENCHMARK(style_step)
    ->Args({256, 256})
    ->Args({512, 512})
    ->Args({1024, 1024})
    ->Args({2160, 3840})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

int main(int argc, char** argv) {
  nst::use_best_blas_kernels(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
