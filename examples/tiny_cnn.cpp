// Example: the framework trains weights too, not only pictures. A small CNN learns to tell
// apart three shapes that the program draws itself (circle, square, triangle, at random places
// and sizes, in noise), with Adam, and then classifies shapes it has never seen.
//
//   16x16x1 -> conv 3x3, 8 + ReLU -> max pool -> conv 3x3, 16 + ReLU -> max pool (4x4x16)
//           -> average over the 4x4 positions -> conv 1x1, 3 (a linear layer) -> 3 logits
//           -> softmax cross-entropy (an op written here, with its backward)
//
// Everything but the loss is the framework's own ops (nn/): the same convolution that runs
// VGG19, here with gradients for its weights and biases. Prints the loss and accuracy as it
// trains; exits 0 if the accuracy on the unseen shapes reaches --target (ctest runs it so).
// usage: example_tiny_cnn [--steps 800] [--target 0.9]   (about 6 s on 2 cores; 94% here)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "nn/adam.h"
#include "nn/conv2d.h"
#include "nn/pooling.h"
#include "tensor/random.h"

namespace {

using nst::InputGrads;
using nst::Shape;
using nst::Tensor;
using nst::Var;

constexpr int kSide = 16, kClasses = 3;
const char* const kNames[kClasses] = {"circle", "square", "triangle"};

struct Batch {
  Tensor images;  // [N, 1, 16, 16]
  std::vector<int> labels;
};

// n pictures of random shapes: 1 inside the shape, 0 outside, plus Gaussian noise.
Batch draw_shapes(int n, nst::Random& random) {
  Batch batch{Tensor(Shape{n, 1, kSide, kSide}), std::vector<int>(n)};
  std::vector<float> u(5);
  random.fill_normal(batch.images.values(), 0.0f, 0.3f);  // the noise
  for (int k = 0; k < n; ++k) {
    random.fill_uniform(u, 0.0f, 1.0f);
    const int label = std::min(kClasses - 1, static_cast<int>(u[0] * kClasses));
    const float cx = 5.0f + 6.0f * u[1], cy = 5.0f + 6.0f * u[2], r = 3.0f + 2.0f * u[3];
    batch.labels[k] = label;
    float* p = batch.images.data() + int64_t{k} * kSide * kSide;
    for (int y = 0; y < kSide; ++y) {
      for (int x = 0; x < kSide; ++x) {
        const float dx = static_cast<float>(x) - cx, dy = static_cast<float>(y) - cy;
        bool inside = false;
        if (label == 0) inside = dx * dx + dy * dy <= r * r;
        if (label == 1) inside = std::fabs(dx) <= 0.8f * r && std::fabs(dy) <= 0.8f * r;
        if (label == 2) inside = dy >= -r && dy <= r && std::fabs(dx) <= (dy + r) / 2.0f;
        if (inside) p[y * kSide + x] += 1.0f;
      }
    }
  }
  return batch;
}

// Mean over the batch of -log softmax(z)[label]. Its gradient with respect to the logits is
// (softmax(z) - onehot(label)) / N: the op saves the probabilities for it.
Var softmax_cross_entropy(const Var& logits, const std::vector<int>& labels,
                          std::vector<int>* predictions) {
  const auto n = static_cast<int>(labels.size());
  const float* z = logits.value().data();  // [N, 3, 1, 1]
  Tensor probabilities(Shape{n, kClasses});
  double loss = 0.0;
  for (int i = 0; i < n; ++i) {
    const float* zi = z + i * kClasses;
    float* pi = probabilities.data() + i * kClasses;
    const float top = std::max({zi[0], zi[1], zi[2]});  // subtracted, so exp cannot overflow
    float total = 0.0f;
    for (int c = 0; c < kClasses; ++c) total += pi[c] = std::exp(zi[c] - top);
    for (int c = 0; c < kClasses; ++c) pi[c] /= total;
    loss -= std::log(std::max(pi[labels[i]], 1e-30f));
    if (predictions != nullptr) {
      int best = 0;
      for (int c = 1; c < kClasses; ++c) best = pi[c] > pi[best] ? c : best;
      (*predictions)[i] = best;
    }
  }
  return nst::record_op(
      Tensor::scalar(static_cast<float>(loss / n)), "softmax_cross_entropy", {logits},
      [probabilities, labels, n](const Tensor& grad_out, InputGrads& grads) {
        const float scale = grad_out.item() / static_cast<float>(n);
        float* dz = grads[0].data();
        for (int i = 0; i < n; ++i) {
          for (int c = 0; c < kClasses; ++c) {
            const float onehot = c == labels[i] ? 1.0f : 0.0f;
            dz[i * kClasses + c] += scale * (probabilities.data()[i * kClasses + c] - onehot);
          }
        }
      });
}

// A convolution's weights, He-initialised for the ReLU after it, and zero biases.
struct Layer {
  Var weight, bias;
  Layer(int out, int in, int kernel, nst::Random& random)
      : weight(Tensor(Shape{out, in, kernel, kernel}), true),
        bias(Tensor::zeros(Shape{out}), true) {
    random.fill_normal(weight.value().values(), 0.0f,
                       std::sqrt(2.0f / static_cast<float>(in * kernel * kernel)));
  }
};

struct Network {
  Layer conv1, conv2, linear;
  explicit Network(nst::Random& random)
      : conv1(8, 1, 3, random), conv2(16, 8, 3, random), linear(kClasses, 16, 1, random) {}

  Var logits(const Tensor& images) {
    Var x = nst::nn::conv2d(Var(images), conv1.weight, conv1.bias, {.padding = 1, .relu = true});
    x = nst::nn::max_pool2d(x);  // 8x8
    x = nst::nn::conv2d(x, conv2.weight, conv2.bias, {.padding = 1, .relu = true});
    x = nst::nn::max_pool2d(x);                                 // 4x4
    x = nst::nn::avg_pool2d(x, {.kernel = 4, .stride = 4});     // 1x1: one value per channel
    return nst::nn::conv2d(x, linear.weight, linear.bias, {});  // [N, 3, 1, 1]
  }
  std::vector<Var> parameters() const {
    return {conv1.weight, conv1.bias, conv2.weight, conv2.bias, linear.weight, linear.bias};
  }
};

double accuracy(const std::vector<int>& predictions, const std::vector<int>& labels) {
  int right = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) right += predictions[i] == labels[i];
  return static_cast<double>(right) / static_cast<double>(labels.size());
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 800;
  double target = 0.9;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--steps")
      steps = std::stoi(argv[i + 1]);
    else if (flag == "--target")
      target = std::stod(argv[i + 1]);
  }
  nst::Random random(2024);
  Network network(random);
  nst::nn::Adam adam(network.parameters(), {.lr = 0.01});
  constexpr int kBatch = 32;
  for (int step = 1; step <= steps; ++step) {
    const Batch batch = draw_shapes(kBatch, random);  // fresh shapes every step
    std::vector<int> predicted(kBatch);
    adam.zero_grad();
    const Var loss = softmax_cross_entropy(network.logits(batch.images), batch.labels, &predicted);
    nst::backward(loss);
    adam.step();
    if (step % 50 == 0 || step == 1) {
      std::printf("step %4d  loss %.4f  batch accuracy %.2f\n", step, loss.value().item(),
                  accuracy(predicted, batch.labels));
    }
  }
  // Shapes it has never seen.
  nst::Random unseen(7);
  const Batch test = draw_shapes(600, unseen);
  std::vector<int> predicted(test.labels.size());
  const nst::NoGradGuard no_graph;
  const Var loss = softmax_cross_entropy(network.logits(test.images), test.labels, &predicted);
  const double result = accuracy(predicted, test.labels);
  int confusion[kClasses][kClasses] = {};
  for (std::size_t i = 0; i < test.labels.size(); ++i) ++confusion[test.labels[i]][predicted[i]];
  std::printf("unseen shapes: loss %.4f, accuracy %.3f (target %.2f)\n", loss.value().item(),
              result, target);
  for (int c = 0; c < kClasses; ++c) {
    std::printf("  %-8s -> circle %3d, square %3d, triangle %3d\n", kNames[c], confusion[c][0],
                confusion[c][1], confusion[c][2]);
  }
  return result >= target ? 0 : 1;
}
