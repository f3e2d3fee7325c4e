// Gradient recording can be switched off for a scope, e.g. to compute the fixed content and
// style targets of a style transfer without building a graph.
#pragma once

namespace nst {

bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace nst
