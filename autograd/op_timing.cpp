#include "autograd/op_timing.h"

namespace nst {
namespace {

thread_local OpTimingScope* open_scope = nullptr;
thread_local OpTimer* running_timer = nullptr;  // the innermost timer of the open scope

}  // namespace

const char* op_phase_name(OpPhase phase) {
  switch (phase) {
    case OpPhase::forward: return "forward";
    case OpPhase::backward: return "backward";
    case OpPhase::fused: return "fwd+bwd";
    case OpPhase::update: return "update";
  }
  return "?";
}

OpTimingScope::OpTimingScope() : previous_(open_scope) { open_scope = this; }

OpTimingScope::~OpTimingScope() { open_scope = previous_; }

OpTimer::OpTimer(const char* op, OpPhase phase) : scope_(open_scope), op_(op), phase_(phase) {
  if (scope_ == nullptr) return;
  outer_ = running_timer;
  running_timer = this;
  start_ = Clock::now();
}

OpTimer::~OpTimer() {
  if (scope_ == nullptr) return;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  running_timer = outer_;
  if (outer_ != nullptr) outer_->nested_seconds_ += elapsed;
  OpTime& time = scope_->times_[OpKey{op_, phase_}];
  time.seconds += elapsed - nested_seconds_;
  ++time.calls;
}

}  // namespace nst
