// Modules: layers that own named parameters, composed into networks.
//
// Parameter names follow PyTorch's state_dict keys: a child registered as "features" that holds
// a Sequential whose layer 0 is a Conv2d gives "features.0.weight" and "features.0.bias", so
// checkpoints can be matched by name.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.h"
#include "nn/conv2d.h"
#include "nn/elementwise_ops.h"
#include "nn/pooling.h"

namespace nst::nn {

class Module {
 public:
  virtual ~Module() = default;
  virtual Var forward(const Var& x) = 0;

  // Every parameter of this module and its children, depth first, with dotted names.
  std::vector<std::pair<std::string, Var>> named_parameters() const;
  std::vector<Var> parameters() const;
  // Freezes (false) or unfreezes every parameter.
  void set_requires_grad(bool enabled);

 protected:
  void register_parameter(std::string name, Var parameter);
  void register_child(std::string name, std::shared_ptr<Module> child);

 private:
  std::vector<std::pair<std::string, Var>> parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

struct Conv2dParams {
  int in_channels = 0;
  int out_channels = 0;
  int kernel = 3;
  int stride = 1;
  int padding = 0;
  bool bias = true;
};

// weight [out, in, k, k] and bias [out], zero-initialised: load or initialise them explicitly.
class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dParams& params);
  Var forward(const Var& x) override;
  // With relu, max(conv(x), 0) in one op: the ReLU that follows a convolution costs no pass of
  // its own and keeps a bit per element for backward (nn/conv2d.h).
  Var forward(const Var& x, bool relu);

  const Conv2dParams& params() const { return params_; }
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }  // undefined when params().bias is false

 private:
  Conv2dParams params_;
  Var weight_, bias_;  // the same variables as the registered parameters (Var is a handle)
  WinogradFilterCache winograd_cache_;
};

class ReLU : public Module {
 public:
  Var forward(const Var& x) override { return relu(x); }
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const PoolOptions& options = {}) : options_(options) {}
  Var forward(const Var& x) override { return max_pool2d(x, options_); }

 private:
  PoolOptions options_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const PoolOptions& options = {}) : options_(options) {}
  Var forward(const Var& x) override { return avg_pool2d(x, options_); }

 private:
  PoolOptions options_;
};

// Layers applied in order, named "0", "1", ... like torch.nn.Sequential.
class Sequential : public Module {
 public:
  Sequential& append(std::shared_ptr<Module> layer);
  std::size_t size() const { return layers_.size(); }
  Module& operator[](std::size_t i) { return *layers_.at(i); }

  Var forward(const Var& x) override;
  // Runs layers [begin, end) only: lets a caller stop at the deepest layer it needs.
  Var forward_range(const Var& x, std::size_t begin, std::size_t end);

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace nst::nn
