#include "tensor/blas_runtime.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string_view>

#include "tensor/cpu_features.h"

extern "C" char* openblas_get_corename(void);

namespace nst {

std::string blas_core_name() { return openblas_get_corename(); }

std::string blas_coretype_for(const std::string& chosen, const CpuFeatures& cpu) {
  // Kernel sets older than AVX2, which OpenBLAS falls back to for CPUs it does not recognise.
  constexpr std::array<std::string_view, 12> kPreAvx2{
      "Prescott", "Core2",      "Penryn",    "Dunnington", "Nehalem",     "Atom",
      "Katmai",   "Coppermine", "Northwood", "Banias",     "Sandybridge", "Unknown"};
  bool outdated = false;
  for (std::string_view name : kPreAvx2) outdated = outdated || chosen == name;
  if (!outdated) return "";
  if (cpu.avx512f) return cpu.avx512_bf16 ? "Cooperlake" : "SkylakeX";
  if (cpu.avx2_fma) return "Haswell";
  return "";
}

std::string better_blas_coretype() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";
  return blas_coretype_for(blas_core_name(), cpu_features());
}

void use_best_blas_kernels(char** argv) {
  const char* opt_out = std::getenv("NST_BLAS_REEXEC");
  if (opt_out != nullptr && std::string_view(opt_out) == "0") return;
  const std::string coretype = better_blas_coretype();
  if (coretype.empty()) return;
  setenv("OPENBLAS_CORETYPE", coretype.c_str(), 1);  // also stops the new process re-executing
  execv("/proc/self/exe", argv);
  // Only reached if execv failed (no /proc, say): carry on with OpenBLAS's own choice.
}

}  // namespace nst
