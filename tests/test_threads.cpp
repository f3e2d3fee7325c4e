// Process-wide state that a server running several jobs must be able to live with: thread
// counts that belong to the job's thread, and a block cache that gives memory back when the
// last job ends.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <barrier>
#include <thread>
#include <vector>

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

// Blocks are matched by the size they take from the system: whole 2 MiB pages from 2 MiB up.
TEST(BlockCache, ReusesABlockOfTheSameMappedSize) {
  BlockReuseScope job;
  const float* first = nullptr;
  {
    Tensor three_and_a_bit(Shape{(3 << 18) + 16});  // 3 MiB + 64 bytes: maps 4 MiB
    first = three_and_a_bit.data();
  }
  Tensor four(Shape{1 << 20});  // 4 MiB
  EXPECT_EQ(four.data(), first);
}

// Without a kept block of the size asked for, a larger mapped one is split: the request takes
// its head, the rest stays kept and serves the next request; freed halves join again.
TEST(BlockCache, SplitsALargerBlockAndJoinsTheHalves) {
  constexpr int64_t kMiB = int64_t{1} << 18;  // floats
  BlockReuseScope job;
  const float* start = nullptr;
  {
    Tensor eight(Shape{8 * kMiB});
    start = eight.data();
  }
  ASSERT_EQ(BlockReuseScope::cached_bytes(), std::size_t{8} << 20);
  {
    Tensor two(Shape{2 * kMiB});
    EXPECT_EQ(two.data(), start) << "the head of the kept 8 MiB";
    EXPECT_EQ(BlockReuseScope::cached_bytes(), std::size_t{6} << 20);
    Tensor six(Shape{6 * kMiB});
    EXPECT_EQ(six.data(), start + 2 * kMiB) << "the rest, kept as a block of its own";
    EXPECT_EQ(BlockReuseScope::cached_bytes(), 0u);
  }
  EXPECT_EQ(BlockReuseScope::cached_bytes(), std::size_t{8} << 20);
  Tensor whole(Shape{8 * kMiB});
  EXPECT_EQ(whole.data(), start) << "the freed halves joined into the 8 MiB again";
  EXPECT_EQ(BlockReuseScope::cached_bytes(), 0u);
}

// Kept blocks never take the process past the most it had in use, plus 64 MiB: a sequence of
// allocations of changing sizes (multiples of 2 MiB, so requested and mapped sizes agree).
TEST(BlockCache, NeverHoldsMoreThanThePeakInUsePlus64MiB) {
  constexpr std::size_t kMiB = std::size_t{1} << 20, kSlack = 64 * kMiB;
  BlockReuseScope job;
  std::size_t peak_in_use = TensorMemory::live_bytes();
  auto check = [&](const char* when) {
    peak_in_use = std::max(peak_in_use, TensorMemory::live_bytes());
    EXPECT_LE(TensorMemory::live_bytes() + BlockReuseScope::cached_bytes(), peak_in_use + kSlack)
        << when;
  };
  std::vector<Tensor> held;
  for (int round = 0; round < 3; ++round) {
    for (int mib : {8, 32, 2, 16, 48, 8, 4}) {
      held.emplace_back(Shape{static_cast<int64_t>(mib) * static_cast<int64_t>(kMiB / 4)});
      check("after an allocation");
    }
    while (held.size() > 2) {  // free most, oldest first, then allocate other sizes
      held.erase(held.begin());
      check("after a free");
    }
    { Tensor big(Shape{static_cast<int64_t>(96 * kMiB / 4)}); }
    check("after a large block came and went");
  }
  EXPECT_GT(BlockReuseScope::cached_bytes(), 0u);
}

}  // namespace
}  // namespace nst
