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

std::string blas_core_name();  // the kernel set OpenBLAS chose, e.g. "SkylakeX"

// The OPENBLAS_CORETYPE that fits this CPU, or "" when OpenBLAS's own choice should stand
// (it chose an AVX2-or-better core, the CPU has neither AVX2 nor AVX-512, or the user set
// OPENBLAS_CORETYPE).
std::string better_blas_coretype();

// Call first thing in main(). If better_blas_coretype() is not empty, sets OPENBLAS_CORETYPE
// and replaces the process with a fresh run of the same program and arguments; returns only
// if nothing needed doing or the re-execution failed (then OpenBLAS keeps its choice).
// NST_BLAS_REEXEC=0 turns this off.
void use_best_blas_kernels(char** argv);

}  // namespace nst
