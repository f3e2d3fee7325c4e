// Built with -mavx512f: sixteen tiles per register.
#include "tensor/winograd_simd.h"

namespace nst::kernels {

const WinogradKernels& winograd_avx512() {
  using Floats = float __attribute__((vector_size(64)));
  static const WinogradKernels table = make_winograd_kernels<Floats>(Isa::avx512);
  return table;
}

}  // namespace nst::kernels
