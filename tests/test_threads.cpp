// Process-wide state that a server running several jobs must be able to live with: thread
// counts that belong to the job's thread, and a block cache that gives memory back when the
// last job ends.
#include <gtest/gtest.h>
#include <omp.h>

#include <barrier>
#include <thread>

#include "tensor/aligned_buffer.h"
#include "tensor/error.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"

namespace nst {
namespace {

// The team size a parallel region of ours gets on the calling thread.
int team_size() {
  int size = 0;
#pragma omp parallel num_threads(num_threads())
  {
#pragma omp single
    size = omp_get_num_threads();
  }
  return size;
}

TEST(Threads, ScopeSetsTheCountAndRestoresIt) {
  const int outside = num_threads();
  {
    ThreadCountScope one(1);
    EXPECT_EQ(num_threads(), 1);
    EXPECT_EQ(team_size(), 1);
    {
      ThreadCountScope three(3);
      EXPECT_EQ(num_threads(), 3);
      EXPECT_EQ(team_size(), 3);
    }
    EXPECT_EQ(num_threads(), 1);
    {
      ThreadCountScope process_default(0);
      EXPECT_EQ(num_threads(), outside);
    }
  }
  EXPECT_EQ(num_threads(), outside);
  EXPECT_THROW(ThreadCountScope(-1), Error);
}

TEST(Threads, TwoJobsKeepTheirOwnCounts) {
  // Both threads hold their scopes at the same time (the barrier), and each sees its own.
  std::barrier both_scoped(2);
  int seen[2] = {0, 0};
  auto job = [&](int index, int threads) {
    ThreadCountScope scope(threads);
    both_scoped.arrive_and_wait();
    seen[index] = team_size();
    both_scoped.arrive_and_wait();
  };
  std::thread a(job, 0, 1), b(job, 1, 3);
  a.join();
  b.join();
  EXPECT_EQ(seen[0], 1);
  EXPECT_EQ(seen[1], 3);
}

TEST(BlockCache, KeepsLargeBlocksDuringAJobAndReturnsThemAfter) {
  const Shape big{1 << 19};  // 2 MiB
  ASSERT_EQ(BlockReuseScope::cached_bytes(), 0u);
  { Tensor outside_a_job(big); }
  EXPECT_EQ(BlockReuseScope::cached_bytes(), 0u) << "without a job, blocks are freed at once";
  {
    BlockReuseScope job;
    const float* first = nullptr;
    {
      Tensor t(big);
      first = t.data();
    }
    EXPECT_EQ(BlockReuseScope::cached_bytes(), std::size_t{2} << 20);
    Tensor again(big);
    EXPECT_EQ(again.data(), first) << "the same size reuses the kept block";
    EXPECT_EQ(BlockReuseScope::cached_bytes(), 0u);
    {
      BlockReuseScope second_job;  // a concurrent job: the cache lives until both end
    }
    { Tensor freed_at_once(Shape{1 << 20}); }  // 4 MiB
    EXPECT_EQ(BlockReuseScope::cached_bytes(), std::size_t{4} << 20);
  }
  EXPECT_EQ(BlockReuseScope::cached_bytes(), 0u) << "the last job's end empties the cache";
}

}  // namespace
}  // namespace nst
