// Built with -mavx2 -mfma: eight floats per register.
#include "tensor/simd_kernels.h"

namespace nst::kernels {

const ElementwiseKernels& avx2() {
  using Floats = float __attribute__((vector_size(32)));
  using Doubles = double __attribute__((vector_size(64)));
  static const ElementwiseKernels table = make_simd_kernels<Floats, Doubles>(Isa::avx2);
  return table;
}

}  // namespace nst::kernels
