// The machine's arithmetic ceiling, measured rather than looked up: independent fused
// multiply-adds in the widest registers this CPU runs, on every thread at once, with no memory
// traffic. Turbo, power limits and a virtual machine's share of a core all move the real
// figure away from a datasheet's, so `nst bench` states each kernel's rate as a share of this.
#pragma once

#include <cstdint>

#include "tensor/elementwise_kernels.h"

namespace nst {

struct FmaPeak {
  double gflops = 0.0;  // all threads together, an FMA counted as 2 FLOPs
  int threads = 0;      // that ran the loop: as asked, unless OpenMP limits them
  Isa isa = Isa::scalar;
};

// Runs the loop on `threads` threads at once for about `seconds`, in `isa`'s registers (SSE's
// for scalar: every x86-64 has them).
FmaPeak measure_fma_peak(int threads, double seconds = 0.2, Isa isa = active_isa());

// `rounds` rounds of the loop on this thread, for tests: kFmaChains chains, each starting at
// 1 + 0.01 j and stepping x -> 0.9999 x + 0.0001; returns their sum in one lane.
float fma_chains(Isa isa, int64_t rounds);

namespace kernels {
// Independent FMA chains, each in its own register, so that the FMA units never wait for a
// result: latency 4 cycles x 2 units needs 8 in flight, and 12 leaves room for wider cores.
constexpr int kFmaChains = 12;
// `rounds` rounds of kFmaChains vector FMAs; returns a value that depends on every one of them,
// so that the compiler cannot drop the loop.
float fma_chains_avx2(int64_t rounds);    // fma_peak_avx2.cpp, 8 floats per FMA
float fma_chains_avx512(int64_t rounds);  // fma_peak_avx512.cpp, 16 floats per FMA
}  // namespace kernels

}  // namespace nst
