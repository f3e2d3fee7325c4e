// Built with -mavx512f: sixteen floats per register.
#include "tensor/simd_kernels.h"

namespace nst::kernels {

const ElementwiseKernels& avx512() {
  using Floats = float __attribute__((vector_size(64)));
  using Doubles = double __attribute__((vector_size(128)));
  static const ElementwiseKernels table = make_simd_kernels<Floats, Doubles>(Isa::avx512);
  return table;
}

}  // namespace nst::kernels
