// Multiply-adds per second of one core in AVX-512 FMAs (VFMADD231PS, 16 per instruction) and
// in AVX512_BF16 dot products (VDPBF16PS, 32 per instruction), each over 24 independent
// accumulators so that neither waits on its latency: whether bf16 without AMX would speed up
// the Winograd products (tensor/winograd_precision.h says what it measured).
//   build/bin/bench_bf16_rate
#include <immintrin.h>

#include <chrono>
#include <cstdio>

#include "tensor/cpu_features.h"

namespace {

constexpr int kAccumulators = 24;
constexpr long kSteps = 50'000'000;

template <class F>
double seconds_of(F f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// What the loop computed, so that the compiler keeps it. (Not _mm512_reduce_add_ps: GCC 12's
// header warns about it.)
__attribute__((target("avx512f"))) float first_lane(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  return lanes[0];
}

__attribute__((target("avx512f"))) float fma_loop() {
  __m512 acc[kAccumulators];
  const __m512 b = _mm512_set1_ps(1.0001f), c = _mm512_set1_ps(0.999f);
  for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long step = 0; step < kSteps; ++step) {
#pragma GCC unroll 24
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return first_lane(sum);
}

__attribute__((target("avx512f,avx512bf16"))) float dot_loop() {
  __m512 acc[kAccumulators];
  const auto ones = (__m512bh)_mm512_set1_epi32(0x3f803f80);  // bf16 1.0 pairs
  for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long step = 0; step < kSteps; ++step) {
#pragma GCC unroll 24
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], ones, ones);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return first_lane(sum);
}

}  // namespace

int main() {
  const nst::CpuFeatures& cpu = nst::cpu_features();
  std::printf("CPU: %s (%s)\n", cpu.model.c_str(), cpu.summary().c_str());
  if (!cpu.avx512_bf16) {
    std::printf("no AVX512_BF16 on this CPU: nothing to compare\n");
    return 0;
  }
  volatile float sink = 0.0f;
  const double instructions = static_cast<double>(kSteps) * kAccumulators;
  const double fma_s = seconds_of([&] { sink = fma_loop(); });
  const double dot_s = seconds_of([&] { sink = dot_loop(); });
  std::printf("VFMADD231PS zmm: %.2e instructions/s, %.1f GFLOP/s\n", instructions / fma_s,
              instructions * 16 * 2 / fma_s * 1e-9);
  std::printf("VDPBF16PS zmm:   %.2e instructions/s, %.1f GFLOP/s\n", instructions / dot_s,
              instructions * 32 * 2 / dot_s * 1e-9);
  std::printf("bf16 / fp32 multiply-adds per second: %.2f\n", (32 / dot_s) / (16 / fma_s));
  return 0;
}
