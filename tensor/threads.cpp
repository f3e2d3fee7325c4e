#include "tensor/threads.h"

#include <omp.h>

#include "tensor/error.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace nst {

void set_num_threads(int threads) {
  NST_CHECK(threads >= 1, "the number of threads must be at least 1, got ", threads);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace nst
