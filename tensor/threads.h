// How many threads a job's parallel work uses.
//
// The count belongs to the thread that runs the job, not to the process, so that a server can
// run two jobs side by side with their own counts: a ThreadCountScope on the job's thread sets
// it, and every parallel loop of ours asks num_threads() (`#pragma omp parallel
// num_threads(nst::num_threads())`) on the thread that reaches it. Without a scope, the count
// is the process's default: OMP_NUM_THREADS if set, else all cores.
//
// OpenBLAS keeps a single count for the whole process (its OpenMP build also adjusts it to the
// calling thread's OpenMP count when a call starts), so GEMMs cannot be given per-job counts.
// The process owner sets it once with set_blas_threads(): the CLI runs one job and gives BLAS
// that job's count; a process that runs several jobs at once calls it at start with the count
// it gives every job, choosing jobs x threads <= cores.
#pragma once

namespace nst {

int num_threads();  // the calling thread's count: its innermost ThreadCountScope, or the default

// Sets the calling thread's count (and its OpenMP default, which OpenBLAS reads) until the
// scope ends; scopes nest.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads);  // threads >= 1, or 0 for the process's default
  ~ThreadCountScope();
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int previous_count_, previous_openmp_;
};

void set_blas_threads(int threads);  // process-wide; threads >= 1

}  // namespace nst
