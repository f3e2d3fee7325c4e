#include "nn/normalize.h"

#include <algorithm>

#include "autograd/op_timing.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst::nn {
namespace {

void validate(const ChannelAffine& map, int64_t channels) {
  NST_CHECK(static_cast<int64_t>(map.scale.size()) == channels &&
                static_cast<int64_t>(map.shift.size()) == channels,
            "channel_affine: ", map.scale.size(), " scales and ", map.shift.size(), " shifts for ",
            channels, " channels");
  if (map.source.empty()) return;
  NST_CHECK(static_cast<int64_t>(map.source.size()) == channels,
            "channel_affine: ", map.source.size(), " source channels for ", channels, " channels");
  std::vector<int> sorted = map.source;
  std::sort(sorted.begin(), sorted.end());
  for (int c = 0; c < channels; ++c) {
    NST_CHECK(sorted[c] == c, "channel_affine: source channels must be a permutation of 0..",
              channels - 1);
  }
}

}  // namespace

ChannelAffine ChannelAffine::mean_std(const std::vector<float>& mean,
                                      const std::vector<float>& std) {
  NST_CHECK(mean.size() == std.size(), "mean_std: ", mean.size(), " means and ", std.size(),
            " deviations");
  ChannelAffine map;
  for (std::size_t c = 0; c < mean.size(); ++c) {
    NST_CHECK(std[c] > 0.0f, "mean_std: standard deviation ", std[c], " of channel ", c,
              " is not positive");
    map.scale.push_back(1.0f / std[c]);
    map.shift.push_back(-mean[c] / std[c]);
  }
  return map;
}

Var channel_affine(const Var& x, const ChannelAffine& map) {
  const OpTimer timer("channel_affine", OpPhase::forward);
  const Shape& s = x.shape();
  NST_CHECK(s.rank() == 4, "channel_affine: input must be [N, C, H, W], got ", s);
  const int64_t N = s[0], C = s[1], plane = s[2] * s[3];
  validate(map, C);
  std::vector<int64_t> source(C);  // the input channel each output channel reads
  for (int64_t c = 0; c < C; ++c) source[c] = map.source.empty() ? c : map.source[c];
  auto plane_of = [plane, C](auto* base, int64_t n, int64_t c) {
    return std::span(base + (n * C + c) * plane, static_cast<std::size_t>(plane));
  };

  Tensor out(s);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      affine(plane_of(x.value().data(), n, source[c]), map.scale[c], map.shift[c],
             plane_of(out.data(), n, c));

  return record_op(
      std::move(out), "channel_affine", {x},
      [scale = map.scale, N, C, source, plane_of](const Tensor& dout, InputGrads& grads) {
        for (int64_t n = 0; n < N; ++n)
          for (int64_t c = 0; c < C; ++c)
            axpy(scale[c], plane_of(dout.data(), n, c), plane_of(grads[0].data(), n, source[c]));
      });
}

}  // namespace nst::nn
