#include "tensor/fma_peak.h"

#include <omp.h>

#include <algorithm>
#include <chrono>

#include "tensor/error.h"

namespace nst {
namespace {

// The same chains in 4-float vectors, SSE on any x86-64, for CPUs without AVX2: a multiply and
// an add each, counted as the 2 FLOPs of an FMA.
float fma_chains_baseline(int64_t rounds) {
  using Vec = float __attribute__((vector_size(16)));
  Vec acc[kernels::kFmaChains];
  for (int j = 0; j < kernels::kFmaChains; ++j)
    acc[j] = Vec{} + (1.0f + 0.01f * static_cast<float>(j));
  for (int64_t r = 0; r < rounds; ++r) {
    for (Vec& x : acc) x = x * 0.9999f + 0.0001f;
  }
  Vec sum = acc[0];
  for (int j = 1; j < kernels::kFmaChains; ++j) sum += acc[j];
  return sum[0];
}

struct Loop {
  float (*run)(int64_t rounds);
  int lanes;
};

Loop loop_for(Isa isa) {
  switch (isa) {
    case Isa::avx512: return {kernels::fma_chains_avx512, 16};
    case Isa::avx2: return {kernels::fma_chains_avx2, 8};
    case Isa::scalar: break;
  }
  return {fma_chains_baseline, 4};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Where the compiler cannot see whether anything reads it.
volatile float g_sink = 0.0f;

}  // namespace

float fma_chains(Isa isa, int64_t rounds) { return loop_for(isa).run(rounds); }

FmaPeak measure_fma_peak(int threads, double seconds, Isa isa) {
  NST_CHECK(threads >= 1, "measure_fma_peak: threads must be at least 1, got ", threads);
  NST_CHECK(isa_supported(isa), "measure_fma_peak: this CPU cannot run ", isa_name(isa));
  const Loop loop = loop_for(isa);

  // Calibrate on one thread: rounds for about `seconds`, and no fewer than a million.
  int64_t rounds = 1 << 16;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    g_sink = loop.run(rounds);
    const double took = seconds_since(start);
    if (took > 0.02 || rounds > (int64_t{1} << 34)) {
      rounds = std::max<int64_t>(
          1 << 20, static_cast<int64_t>(static_cast<double>(rounds) * seconds / took));
      break;
    }
    rounds *= 4;
  }

  const auto start = std::chrono::steady_clock::now();
  float sum = 0.0f;
  int ran = 1;  // the threads OpenMP gave: fewer than asked under a thread limit
#pragma omp parallel num_threads(threads) reduction(+ : sum)
  {
#pragma omp master
    ran = omp_get_num_threads();
    sum += loop.run(rounds);
  }
  const double took = seconds_since(start);
  g_sink = sum;
  const double flops = 2.0 * kernels::kFmaChains * loop.lanes * static_cast<double>(rounds) *
                       static_cast<double>(ran);
  return {.gflops = flops / took * 1e-9, .threads = ran, .isa = isa};
}

}  // namespace nst
