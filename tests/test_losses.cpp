// The graph-free loss terms (nst/losses.h, feature_losses_in_place) against the same terms as
// autograd ops: equal values, and the features overwritten with the gradient that backward
// through the ops gives.
#include <gtest/gtest.h>

#include "autograd/backward.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nst/losses.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::random_tensor;

struct TermsCase {
  bool content, style;
  double content_weight, style_weight;
};

class FeatureLossesVsAutograd : public ::testing::TestWithParam<TermsCase> {};

TEST_P(FeatureLossesVsAutograd, SameValuesAndGradient) {
  const TermsCase c = GetParam();
  // C, H, W not multiples of anything; H * W = 300 spans two of the 256-column blocks.
  const Shape shape{1, 5, 12, 25};
  const Tensor features = random_tensor(shape, 1), content_target = random_tensor(shape, 2);
  const Tensor style_target = nn::gram(Var(random_tensor(shape, 3))).value();

  Var f(features.clone(), true);
  Var total = Var(Tensor::scalar(0.0f));
  double content = 0.0, style = 0.0;
  if (c.content) {
    const Var term = content_layer_loss(f, content_target);
    content = term.value().item();
    total = nn::add(total, nn::scale(term, static_cast<float>(c.content_weight)));
  }
  if (c.style) {
    const Var term = style_layer_loss(f, style_target);
    style = term.value().item();
    total = nn::add(total, nn::scale(term, static_cast<float>(c.style_weight)));
  }
  if (total.requires_grad()) backward(total);

  Tensor in_place = features.clone();
  const FeatureLosses losses =
      feature_losses_in_place(in_place, {.content_target = c.content ? &content_target : nullptr,
                                         .content_weight = c.content_weight,
                                         .style_target = c.style ? &style_target : nullptr,
                                         .style_weight = c.style_weight});
  EXPECT_NEAR(losses.content, content, 1e-6 * (1.0 + content));
  EXPECT_NEAR(losses.style, style, 1e-6 * (1.0 + style));
  if (c.content_weight == 0.0 && c.style_weight == 0.0) {
    EXPECT_TRUE(all_close(in_place, features, 0.0, 0.0)) << "no gradient: features untouched";
  } else {
    EXPECT_TRUE(all_close(in_place, f.grad(), 1e-5, 1e-7));
  }
}

INSTANTIATE_TEST_SUITE_P(Terms, FeatureLossesVsAutograd,
                         ::testing::Values(TermsCase{true, false, 1.0, 0.0},
                                           TermsCase{false, true, 0.0, 1e3},
                                           TermsCase{true, true, 2.5, 1e4},
                                           TermsCase{true, true, 1.0, 0.0},
                                           TermsCase{true, true, 0.0, 0.0}));

TEST(FeatureLosses, TargetsOfAnotherShapeAreRefused) {
  Tensor features = random_tensor(Shape{1, 4, 3, 3}, 1);
  const Tensor wrong = random_tensor(Shape{1, 4, 3, 4}, 2);
  EXPECT_NE(testing::error_of([&] {
              feature_losses_in_place(features, {.content_target = &wrong, .content_weight = 1});
            }).find("content term"),
            std::string::npos);
  const Tensor wrong_gram = random_tensor(Shape{1, 3, 3}, 3);
  EXPECT_NE(testing::error_of([&] {
              feature_losses_in_place(features, {.style_target = &wrong_gram, .style_weight = 1});
            }).find("style term"),
            std::string::npos);
}

}  // namespace
}  // namespace nst
