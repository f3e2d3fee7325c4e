// Making sure OpenBLAS runs the kernels this CPU deserves.
//
// Debian's OpenBLAS is built with DYNAMIC_ARCH: when it loads, it reads the CPU model and
// picks a kernel set. A CPU model it does not know (new server parts, many virtual machines
// that report a generic "Intel Xeon Processor") makes it fall back to "Prescott", SSE3-era
// kernels about 4x slower than its AVX-512 ones. OpenBLAS reads the documented variable
// OPENBLAS_CORETYPE only at load time, before main() runs; so a program that finds the
// fallback on a CPU with AVX2 or AVX-512 (from our own CPUID check) sets the variable and
// re-executes itself once, before doing any work.
#pragma once

#include <string>

namespace nst {

struct CpuFeatures;

std::string blas_core_name();  // the kernel set OpenBLAS chose, e.g. "SkylakeX"

// The kernel set to ask for when OpenBLAS chose `chosen` on a CPU with these features, or ""
// when its choice should stand: replaces only the pre-AVX2 fallbacks, by an AVX-512 set on an
// AVX-512 CPU and by Haswell on an AVX2 one.
std::string blas_coretype_for(const std::string& chosen, const CpuFeatures& cpu);

// blas_coretype_for() on this process's OpenBLAS and CPU, or "" when the user set
// OPENBLAS_CORETYPE.
std::string better_blas_coretype();

// Call first thing in main(). If better_blas_coretype() is not empty, sets OPENBLAS_CORETYPE
// and replaces the process with a fresh run of the same program and arguments; returns only
// if nothing needed doing or the re-execution failed (then OpenBLAS keeps its choice).
// NST_BLAS_REEXEC=0 turns this off.
void use_best_blas_kernels(char** argv);

}  // namespace nst
