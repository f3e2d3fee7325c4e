// What this CPU can run, read once at run time from CPUID and the OS-enabled register state
// (XGETBV): a binary built for generic x86-64 still uses AVX2 or AVX-512 where it may.
#pragma once

#include <string>

namespace nst {

struct CpuFeatures {
  std::string model;      // the brand string, "AMD EPYC 7B13", or "unknown CPU"
  bool avx2_fma = false;  // AVX2 and FMA3, with YMM state enabled by the OS
  bool avx512f = false;   // AVX-512 Foundation, with ZMM state enabled by the OS
  bool avx512_bf16 = false;
  bool amx_bf16 = false;  // AMX tiles with bf16 products, with the tile state enabled by the OS
  std::string summary() const;  // "avx2+fma avx512f avx512_bf16 amx_bf16"
};

const CpuFeatures& cpu_features();

}  // namespace nst
