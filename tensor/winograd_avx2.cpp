// Built with -mavx2 -mfma: eight tiles per register.
#include "tensor/winograd_simd.h"

namespace nst::kernels {

const WinogradKernels& winograd_avx2() {
  using Floats = float __attribute__((vector_size(32)));
  static const WinogradKernels table = make_winograd_kernels<Floats>(Isa::avx2);
  return table;
}

}  // namespace nst::kernels
