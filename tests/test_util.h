// Helpers shared by the tests: seeded random tensors, comparisons that report the worst
// element, so a failure says where and by how much, and scoped environment variables.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "tensor/error.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nst::testing {

// What error_of says when nothing was thrown.
inline const std::string kNoError = "(no error)";

// The message of the nst::Error that f throws, kNoError if it throws none; any other exception
// is reported as such, so a test that expects a message fails saying what happened instead.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("unexpected exception type: ") + e.what();
  }
  return kNoError;
}

// Sets (or, with null, unsets) an environment variable for one scope and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

inline Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(shape);
  Random random(seed);
  random.fill_uniform(t.values(), lo, hi);
  return t;
}

// Passes when every |actual - expected| <= atol + rtol * |expected|.
inline ::testing::AssertionResult all_close(std::span<const float> actual,
                                            std::span<const float> expected, double rtol,
                                            double atol) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: " << actual.size() << " vs " << expected.size();
  }
  std::size_t worst = 0;
  double worst_excess = -1.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double diff = std::abs(static_cast<double>(actual[i]) - expected[i]);
    const double excess = diff - (atol + rtol * std::abs(static_cast<double>(expected[i])));
    if (excess > worst_excess || std::isnan(diff)) {
      worst_excess = std::isnan(diff) ? INFINITY : excess;
      worst = i;
    }
  }
  if (worst_excess <= 0.0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "element " << worst << " of " << actual.size() << ": actual " << actual[worst]
         << ", expected " << expected[worst] << " (rtol " << rtol << ", atol " << atol << ")";
}

inline ::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected,
                                            double rtol, double atol) {
  if (!(actual.shape() == expected.shape())) {
    return ::testing::AssertionFailure()
           << "shapes differ: " << actual.shape() << " vs " << expected.shape();
  }
  return all_close(actual.values(), expected.values(), rtol, atol);
}

}  // namespace nst::testing
