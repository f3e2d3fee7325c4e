// The time left of a run (nst/run_pace.h): a scale's iterations weigh by its pixels, so a run
// of two scales is not estimated at the coarse scale's speed.
#include <gtest/gtest.h>

#include "nst/run_pace.h"

namespace nst {
namespace {

using Clock = RunPace::Clock;

Clock::time_point at(double seconds) {
  return Clock::time_point{} +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// 50 iterations of 100 pixels, then 30 of 400: the fine scale's iteration costs 4 coarse ones.
std::vector<ScaleWork> two_scales() { return {{50, 100.0}, {30, 400.0}}; }

TEST(RunPace, TheTimeLeftWeighsTheFineScaleByItsPixels) {
  RunPace pace(two_scales(), 0);
  for (int i = 1; i <= 10; ++i) pace.update(i, 1, at(i));  // one coarse iteration a second
  EXPECT_DOUBLE_EQ(pace.iterations_per_second(), 1.0);
  // 40 coarse iterations at 1 s and 30 fine ones at 4 s; counting iterations alone says 70 s.
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 40.0 + 30.0 * 4.0);
  EXPECT_EQ(pace.scale(), 1);
  EXPECT_EQ(pace.scale_done(), 10);
  EXPECT_EQ(pace.scale_iterations(), 50);
  EXPECT_EQ(pace.total(), 80);
}

TEST(RunPace, AScaleIsTimedByItsOwnRateOnceItHasAFew) {
  RunPace pace(two_scales(), 0);
  for (int i = 1; i <= 50; ++i) pace.update(i, 1, at(i));
  // The fine scale runs at 5 s an iteration, slower per pixel than the coarse one.
  for (int k = 1; k <= 4; ++k) pace.update(50 + k, 2, at(50 + 5.0 * k));
  EXPECT_EQ(pace.scale(), 2);
  EXPECT_EQ(pace.scale_done(), 4);
  EXPECT_EQ(pace.scale_iterations(), 30);
  // 49 coarse iterations after the first, in 49 s, then 4 fine ones in 20 s.
  EXPECT_DOUBLE_EQ(pace.pixel_iterations_per_second(), (49 * 100.0 + 4 * 400.0) / 69.0);
  EXPECT_DOUBLE_EQ(pace.iterations_per_second(), 0.2);  // 3 iterations after its first, in 15 s
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 26 * 5.0);
}

TEST(RunPace, ANewScaleStartsFromTheRunsRate) {
  RunPace pace(two_scales(), 0);
  for (int i = 1; i <= 50; ++i) pace.update(i, 1, at(i));
  pace.update(51, 2, at(55));  // too few at the new scale to trust its own rate yet
  // Over the run: 49 * 100 + 400 pixel-iterations in 54 s.
  const double rate = (49 * 100.0 + 400.0) / 54.0;
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 29 * 400.0 / rate);
}

TEST(RunPace, AConvergedScaleEndsWhereItConverged) {
  RunPace pace(two_scales(), 0);
  for (int i = 1; i <= 20; ++i) pace.update(i, 1, at(i));
  pace.converged(1, 20);
  EXPECT_EQ(pace.total(), 50);
  EXPECT_EQ(pace.scale_iterations(), 20);
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 30.0 * 4.0);
  pace.update(21, 2, at(25));
  EXPECT_EQ(pace.scale_done(), 1);
}

TEST(RunPace, AContinuedRunStartsInTheScaleItsPastEndedIn) {
  RunPace pace({{12, 100.0}, {30, 400.0}}, 20);  // its first scale converged at 12
  EXPECT_EQ(pace.scale(), 2);
  EXPECT_EQ(pace.scale_done(), 8);
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 0.0);  // nothing timed in this process yet
  for (int k = 1; k <= 5; ++k) pace.update(20 + k, 2, at(2.0 * k));
  EXPECT_DOUBLE_EQ(pace.iterations_per_second(), 0.5);
  EXPECT_DOUBLE_EQ(pace.pixel_iterations_per_second(), 400.0 / 2.0);  // this process's only
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 17 * 2.0);
}

TEST(RunPace, OneScaleIsIterationsOverTheRate) {
  RunPace pace({{100, 1.0}}, 0);
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 0.0);
  for (int i = 1; i <= 11; ++i) pace.update(i, 1, at(0.5 * i));
  EXPECT_DOUBLE_EQ(pace.iterations_per_second(), 2.0);
  EXPECT_DOUBLE_EQ(pace.seconds_left(), 89 * 0.5);
}

}  // namespace
}  // namespace nst
