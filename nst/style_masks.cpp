#include "nst/style_masks.h"

#include <algorithm>
#include <cstring>

#include "nst/resize.h"
#include "nst/settings.h"
#include "tensor/error.h"
#include "tensor/pool.h"

namespace nst {

Tensor mask_from_picture(const Tensor& picture) {
  const Shape& s = picture.shape();
  NST_CHECK(s.rank() == 4 && s[0] == 1 && s[1] == 3, "a mask picture must be [1, 3, H, W], got ",
            s);
  const int64_t hw = s[2] * s[3];
  Tensor mask(Shape{1, 1, s[2], s[3]});
  const float *r = picture.data(), *g = r + hw, *b = g + hw;
  for (int64_t p = 0; p < hw; ++p) {
    // Rec. 601 luma, as luminance_image; a grey pixel keeps its value exactly.
    const float grey =
        r[p] == g[p] && g[p] == b[p] ? r[p] : 0.299f * r[p] + 0.587f * g[p] + 0.114f * b[p];
    mask.data()[p] = std::clamp(grey, 0.0f, 1.0f);
  }
  return mask;
}

Tensor resize_mask(const Tensor& mask, ImageSize size) {
  Tensor resized = resize_values(mask, size);
  if (resized.data() == mask.data()) return mask;  // the same size
  for (float& m : resized.values()) {
    // Lanczos rings next to edges and rounds inside a filled area: keep both out of the mask.
    m = m < 1e-6f ? 0.0f : m > 1.0f - 1e-6f ? 1.0f : m;
  }
  return resized;
}

Tensor mask_after_pools(const Tensor& mask, int pools) {
  Tensor level = mask;
  for (int k = 0; k < pools; ++k) {
    const Shape& s = level.shape();
    const PoolGeometry g{
        .planes = 1, .height = static_cast<int>(s[2]), .width = static_cast<int>(s[3])};
    g.validate();
    Tensor pooled(Shape{1, 1, g.out_height(), g.out_width()});
    avg_pool2d_forward(level.data(), g, pooled.data());
    level = std::move(pooled);
  }
  return level;
}

double mask_sum(const Tensor& mask) {
  double sum = 0.0;
  for (const float m : mask.values()) sum += m;
  return sum;
}

std::vector<StyleRegion> style_regions(const std::vector<Tensor>& masks,
                                       const std::vector<double>& raw_blend) {
  const std::vector<double> blend = normalized_blend(raw_blend, masks.size());
  std::vector<StyleRegion> regions;
  for (std::size_t k = 0; k < masks.size(); ++k) {
    auto same_mask = [&](const StyleRegion& region) {
      const Tensor& other = masks[region.mask_of];
      return other.shape() == masks[k].shape() &&
             std::memcmp(other.data(), masks[k].data(), other.values().size_bytes()) == 0;
    };
    auto found = std::find_if(regions.begin(), regions.end(), same_mask);
    if (found == regions.end()) {
      found = regions.emplace(regions.end());
      found->mask_of = k;
    }
    found->styles.push_back(k);
  }
  double largest = 0.0;
  std::vector<double> totals;
  for (StyleRegion& region : regions) {
    // Within a region, its styles' own weights, normalised as the unmasked blend is: one
    // region of every style gets that blend exactly.
    // (A region whose weights are all 0 has no strength; its blend is then any.)
    std::vector<double> raw;
    double total = 0.0;
    for (std::size_t k : region.styles) {
      raw.push_back(raw_blend.empty() ? 1.0 : raw_blend[k]);
      total += blend[k];
    }
    if (regions.size() == 1) {
      region.blend = blend;
    } else {
      region.blend = normalized_blend(total > 0.0 ? raw : std::vector<double>{}, raw.size());
    }
    totals.push_back(total);
    largest = std::max(largest, total);
  }
  for (std::size_t g = 0; g < regions.size(); ++g)
    regions[g].strength = regions.size() == 1 ? 1.0 : totals[g] / largest;
  return regions;
}

}  // namespace nst
