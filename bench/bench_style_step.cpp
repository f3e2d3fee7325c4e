// One style-transfer iteration (forward to relu5_1, the losses, backward to the image, an Adam
// step), the unit of work a user waits for, at several image sizes (height/width). VGG19 has
// random weights: the arithmetic is the same as with trained ones.
//
//   build/bin/bench_style_step --benchmark_filter='style_step/(256/256|512/512)/' [flags]
// bench/compare_style_step.sh runs it next to the same step in PyTorch and prints the ratio.
// tiled_style_step runs it as `nst stylize` would under a memory limit (height/width/MB): in the
// tiles the plan chooses (nst/plan.h); bench/tiled_step.sh compares it with the untiled step.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>

#include "nn/vgg19.h"
#include "nst/drivers.h"
#include "nst/plan.h"
#include "tensor/aligned_buffer.h"
#include "tensor/blas_runtime.h"
#include "tensor/random.h"

namespace {

nst::Tensor random_image(int height, int width, uint64_t seed) {
  nst::Tensor t(nst::Shape{1, 3, height, width});
  nst::Random(seed).fill_uniform(t.values(), 0.0f, 1.0f);
  return t;
}

nst::nn::Vgg19& random_model() {
  static nst::nn::Vgg19 model;  // 20 M random weights: initialised once for all sizes
  static bool initialised = false;
  if (!initialised) {
    model.init_random(0);
    initialised = true;
  }
  return model;
}

// Adam iterations on a content and a style of height x width, with the default layers
// (relu4_2 and relu1_1..relu5_1) and `settings`' tiles. `warm_up`: one untimed iteration first,
// which pays for the Winograd filters and the first touch of every buffer, as Google
// Benchmark's own first run does for a benchmark that is not limited to one iteration.
void run_steps(benchmark::State& state, const nst::JobSettings& settings, int height, int width,
               bool warm_up = false) {
  const nst::BlockReuseScope reuse_blocks;  // as a job does
  nst::StyleObjective objective(random_model(), random_image(height, width, 1),
                                {random_image(height, width, 2)}, settings);
  nst::AdamDriver driver(objective, random_image(height, width, 3), nst::adam_options(settings));
  if (warm_up) driver.step();
  for (auto _ : state) driver.step();
  state.counters["s/iteration"] = benchmark::Counter(
      1.0, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["s/Mpixel"] = benchmark::Counter(
      double(height) * width / 1e6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["tiles"] = static_cast<double>(objective.tile_count());
}

void style_step(benchmark::State& state) {
  run_steps(state, nst::JobSettings{}, static_cast<int>(state.range(0)),
            static_cast<int>(state.range(1)));
}

// With the tile size the plan picks for a run limited to range(2) MB.
void tiled_style_step(benchmark::State& state) {
  const auto height = static_cast<int>(state.range(0)), width = static_cast<int>(state.range(1));
  nst::JobSettings settings;
  settings.size = std::max(height, width);
  settings.scales = 1;
  settings.max_memory = state.range(2) << 20;
  const nst::ImageSize size{width, height};
  const nst::JobPlan plan = nst::plan(settings, {"content", size}, {{"style", size}});
  settings.tile_size = plan.tile_size;
  settings.keep_deep_tile_state = plan.keep_deep_tile_state;
  state.counters["tile size"] = plan.tile_size;
  state.counters["keeps deep"] = plan.keep_deep_tile_state ? 1 : 0;
  state.counters["estimated MB"] = static_cast<double>(plan.memory.total() >> 20);
  run_steps(state, settings, height, width, /*warm_up=*/true);
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

// 3840x2160 within 2 GB and 7680x4320 (8K UHD) within 4 GB: one warm-up and one timed
// iteration each, minutes at 8K. 3840x2160 within 3 and 4 GB too: what more memory buys.
BENCHMARK(tiled_style_step)
    ->Args({2160, 3840, 2048})
    ->Args({2160, 3840, 3072})
    ->Args({2160, 3840, 4096})
    ->Args({4320, 7680, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

int main(int argc, char** argv) {
  nst::use_best_blas_kernels(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
