// The scalar reference of the Winograd transforms: the shared template with one tile per lane.
#include "tensor/winograd_simd.h"

namespace nst::kernels {

const WinogradKernels& winograd_scalar() {
  static const WinogradKernels table = make_winograd_kernels<float>(Isa::scalar);
  return table;
}

}  // namespace nst::kernels
