// Where the time of a computation goes, op by op: opt-in timing for profiling (`nst bench`).
//
// While an OpTimingScope is open on a thread, every op that thread runs adds its time to the
// scope: its forward in the op's function (nn/), its backward in backward()'s walk, an
// optimiser's update in step(). Each op gets its own time only: a timer that runs inside
// another (an op built from ops) is taken out of the outer one's. Without an open scope a
// timer costs one thread-local read, so the hooks stay in for good.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <string>

namespace nst {

// fused: a value and its gradient computed in one go (the style-transfer losses do that).
enum class OpPhase { forward, backward, fused, update };
const char* op_phase_name(OpPhase phase);  // "forward", "backward", "fwd+bwd", "update"

struct OpKey {
  std::string op;  // the name the op records: "conv2d_relu", "gram", "adam"
  OpPhase phase;
  auto operator<=>(const OpKey&) const = default;
};

struct OpTime {
  double seconds = 0.0;  // its own time, without the timers nested in it
  int64_t calls = 0;
};

using OpTimes = std::map<OpKey, OpTime>;

// Collects the times of the ops run on this thread while it is open; scopes nest, and the
// innermost one collects.
class OpTimingScope {
 public:
  OpTimingScope();
  ~OpTimingScope();
  OpTimingScope(const OpTimingScope&) = delete;
  OpTimingScope& operator=(const OpTimingScope&) = delete;

  const OpTimes& times() const { return times_; }

 private:
  friend class OpTimer;
  OpTimes times_;
  OpTimingScope* previous_;
};

// Times one op from construction to destruction, into the thread's open scope if any.
// `op` must outlive the timer (the ops pass string literals).
class OpTimer {
 public:
  OpTimer(const char* op, OpPhase phase);
  ~OpTimer();
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  OpTimingScope* scope_;  // null: not timing
  const char* op_;
  OpPhase phase_;
  Clock::time_point start_;
  double nested_seconds_ = 0.0;  // time of the timers that ran inside this one
  OpTimer* outer_ = nullptr;
};

}  // namespace nst
