#include "tensor/threads.h"

#include <omp.h>

#include "tensor/error.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace nst {
namespace {

// Read once, before main() changes anything: OMP_NUM_THREADS, or the cores.
const int kDefaultThreads = omp_get_max_threads();
thread_local int t_threads = 0;  // 0: no scope on this thread

}  // namespace

int num_threads() { return t_threads > 0 ? t_threads : kDefaultThreads; }

ThreadCountScope::ThreadCountScope(int threads)
    : previous_count_(t_threads), previous_openmp_(omp_get_max_threads()) {
  NST_CHECK(threads >= 0, "the number of threads must not be negative, got ", threads);
  t_threads = threads;
  omp_set_num_threads(num_threads());  // affects only this thread's later parallel regions
}

ThreadCountScope::~ThreadCountScope() {
  t_threads = previous_count_;
  omp_set_num_threads(previous_openmp_);
}

void set_blas_threads(int threads) {
  NST_CHECK(threads >= 1, "the number of threads must be at least 1, got ", threads);
  openblas_set_num_threads(threads);
}

}  // namespace nst
