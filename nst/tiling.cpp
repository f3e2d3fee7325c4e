#include "nst/tiling.h"

#include <algorithm>
#include <cstring>

#include "nn/vgg19.h"
#include "tensor/error.h"

namespace nst {

namespace {

using Kind = nn::Vgg19Layer::Kind;

int layer_index(const std::string& layer) {
  const int index = nn::vgg19_layer_index(layer);
  NST_CHECK(index >= 0, "tiling: unknown VGG19 layer '", layer, "'");
  return index;
}

// Core edges along one side, for cores of at most `most` (a multiple of the alignment a): as
// few cores as that allows, as equal as the alignment lets them be, so that no row or column
// of tiles is a sliver that costs a whole border for a few pixels (2160 in cores of at most
// 768: 720, 720, 720, not 768, 768, 624).
std::vector<int> core_edges(int length, int most, int a) {
  const int count = (length + most - 1) / most;
  const int step = ((length + count - 1) / count + a - 1) / a * a;
  std::vector<int> edges;
  for (int at = 0; at < length; at += step) edges.push_back(at);
  edges.push_back(length);
  return edges;
}

// A span [first, last) of an image side at a layer with 2^pools = factor: floor division at
// both ends (the last edge is the image's, whose floored size the layer has).
std::pair<int, int> at_layer(int first, int last, int factor) {
  return {first / factor, last / factor};
}

void check_rect(const Tensor& t, const Rect& r, const char* what) {
  const Shape& s = t.shape();
  NST_CHECK(s.rank() == 4 && s[0] == 1, what, ": expected [1, C, H, W], got ", s);
  NST_CHECK(r.y >= 0 && r.x >= 0 && r.height >= 0 && r.width >= 0 && r.y + r.height <= s[2] &&
                r.x + r.width <= s[3],
            what, ": rectangle ", r.height, "x", r.width, " at (", r.y, ", ", r.x, ") outside ", s);
}

}  // namespace

int pools_before(const std::string& layer) {
  const int index = layer_index(layer);
  int pools = 0;
  for (int i = 0; i < index; ++i) pools += nn::vgg19_layers()[i].kind == Kind::pool;
  return pools;
}

TileGeometry tile_geometry(const std::vector<std::string>& layers) {
  int deepest = 0;
  for (const std::string& layer : layers) deepest = std::max(deepest, layer_index(layer));
  // The band of wrong positions next to a tile edge, in positions of the current level.
  int band = 0, pools = 0;
  for (int i = 0; i <= deepest; ++i) {
    switch (nn::vgg19_layers()[i].kind) {
      case Kind::conv: band += 1; break;  // 3x3, padding 1
      case Kind::pool:                    // 2x2, stride 2, aligned
        band = (band + 1) / 2;
        ++pools;
        break;
      case Kind::relu: break;
    }
  }
  TileGeometry geometry;
  geometry.alignment = 1 << pools;
  const int pixels = band << pools;
  geometry.border = (pixels + geometry.alignment - 1) / geometry.alignment * geometry.alignment;
  return geometry;
}

std::vector<Tile> plan_tiles(ImageSize image, int core_size, const TileGeometry& geometry) {
  NST_CHECK(image.width > 0 && image.height > 0 && core_size > 0 && geometry.alignment > 0,
            "plan_tiles: empty image or tile");
  const int a = geometry.alignment;
  // A core as large as the image is one tile; clamping first keeps the rounding from overflowing.
  const int covering = std::max(image.width, image.height);
  const int most = (std::min(core_size, covering) + a - 1) / a * a;
  const std::vector<int> rows = core_edges(image.height, most, a);
  const std::vector<int> cols = core_edges(image.width, most, a);
  std::vector<Tile> tiles;
  for (std::size_t r = 0; r + 1 < rows.size(); ++r) {
    for (std::size_t c = 0; c + 1 < cols.size(); ++c) {
      Tile tile;
      tile.core = {rows[r], cols[c], rows[r + 1] - rows[r], cols[c + 1] - cols[c]};
      const int y0 = std::max(0, rows[r] - geometry.border);
      const int x0 = std::max(0, cols[c] - geometry.border);
      const int y1 = std::min(image.height, rows[r + 1] + geometry.border);
      const int x1 = std::min(image.width, cols[c + 1] + geometry.border);
      tile.region = {y0, x0, y1 - y0, x1 - x0};
      tiles.push_back(tile);
    }
  }
  return tiles;
}

Rect core_in_image_features(const Tile& tile, int pools) {
  const int factor = 1 << pools;
  const auto [y0, y1] = at_layer(tile.core.y, tile.core.y + tile.core.height, factor);
  const auto [x0, x1] = at_layer(tile.core.x, tile.core.x + tile.core.width, factor);
  return {y0, x0, y1 - y0, x1 - x0};
}

TileTrim trim_tile(const Tile& tile, ImageSize image, const std::vector<std::string>& layers) {
  int deepest = 0;
  for (const std::string& layer : layers) deepest = std::max(deepest, layer_index(layer));
  const auto& vgg = nn::vgg19_layers();
  // margin[i]: how far past the core layer i's output is read; `read`, then, its input's.
  std::vector<int> margin(deepest + 1);
  int read = 0;
  for (int i = deepest; i >= 0; --i) {
    margin[i] = read;
    if (vgg[i].kind == Kind::conv) read = margin[i] + 1;
    if (vgg[i].kind == Kind::pool) read = 2 * margin[i];
  }
  auto within = [](const Rect& r, const Rect& bounds) {
    const int y0 = std::max(r.y, bounds.y), x0 = std::max(r.x, bounds.x);
    const int y1 = std::min(r.y + r.height, bounds.y + bounds.height);
    const int x1 = std::min(r.x + r.width, bounds.x + bounds.width);
    return Rect{y0, x0, std::max(0, y1 - y0), std::max(0, x1 - x0)};
  };
  // In the image's positions at a layer's level: the core grown by a margin, within [0, size).
  auto grown = [&](const Rect& core, int by, int height, int width) {
    return within({core.y - by, core.x - by, core.height + 2 * by, core.width + 2 * by},
                  {0, 0, height, width});
  };
  TileTrim trim;
  // Within the tile's region: a border narrower than the margin is the caller's choice (and
  // inexact, as tests show).
  trim.input = within(grown(tile.core, read, image.height, image.width), tile.region);
  Rect map = trim.input;  // the map a layer computes, in the image's positions at its level
  int pools = 0;
  for (int i = 0; i <= deepest; ++i) {
    if (vgg[i].kind == Kind::pool) {
      ++pools;
      map = pooled(map);
    }
    const Rect core = core_in_image_features(tile, pools);
    // Cut at pools only: their outputs are a quarter of the map before them, so the copy is
    // cheap, and each cut spares every convolution up to the next pool. (Cutting after every
    // layer copied about as much as it saved.)
    const Rect kept =
        vgg[i].kind == Kind::pool
            ? within(grown(core, margin[i], image.height >> pools, image.width >> pools), map)
            : map;
    trim.kept.push_back(kept);
    trim.core.push_back({core.y - kept.y, core.x - kept.x, core.height, core.width});
    map = kept;
  }
  return trim;
}

Rect pooled(const Rect& map) {
  NST_CHECK(map.y % 2 == 0 && map.x % 2 == 0, "tiling: a pool would read a cut at odd (", map.y,
            ", ", map.x, ")");
  return {map.y / 2, map.x / 2, map.height / 2, map.width / 2};
}

Tensor crop(const Tensor& image, const Rect& rect) {
  check_rect(image, rect, "crop");
  Tensor out(Shape{1, image.shape()[1], rect.height, rect.width});
  copy_rect(image, rect, out, {0, 0, rect.height, rect.width});
  return out;
}

Var crop(const Var& x, const Rect& rect) {
  return record_op(crop(x.value(), rect), "crop", {x},
                   [rect](const Tensor& grad_out, InputGrads& grads) {
                     if (grads.needed(0)) add_rect(grads[0], rect, grad_out);
                   });
}

void copy_rect(const Tensor& from, const Rect& from_rect, Tensor& to, const Rect& to_rect) {
  check_rect(from, from_rect, "copy_rect");
  check_rect(to, to_rect, "copy_rect");
  NST_CHECK(from.shape()[1] == to.shape()[1] && from_rect.height == to_rect.height &&
                from_rect.width == to_rect.width,
            "copy_rect: ", from.shape(), " and ", to.shape(), " or their rectangles differ");
  if (from_rect.height == 0 || from_rect.width == 0) return;  // a core thinner than 2^pools
  const int64_t channels = from.shape()[1];
  const int64_t from_h = from.shape()[2], from_w = from.shape()[3];
  const int64_t to_h = to.shape()[2], to_w = to.shape()[3];
  const float* src = from.data();
  float* dst = to.data();
  for (int64_t c = 0; c < channels; ++c) {
    for (int y = 0; y < from_rect.height; ++y) {
      const float* s = src + (c * from_h + from_rect.y + y) * from_w + from_rect.x;
      float* d = dst + (c * to_h + to_rect.y + y) * to_w + to_rect.x;
      std::memcpy(d, s, sizeof(float) * from_rect.width);
    }
  }
}

void zero_outside(Tensor& x, const Rect& rect) {
  check_rect(x, rect, "zero_outside");
  const int64_t channels = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  for (int64_t c = 0; c < channels; ++c) {
    float* plane = x.data() + c * h * w;
    std::fill(plane, plane + rect.y * w, 0.0f);  // the rows above
    for (int y = rect.y; y < rect.y + rect.height; ++y) {
      std::fill(plane + y * w, plane + y * w + rect.x, 0.0f);
      std::fill(plane + y * w + rect.x + rect.width, plane + (y + 1) * w, 0.0f);
    }
    std::fill(plane + (rect.y + rect.height) * w, plane + h * w, 0.0f);  // and below
  }
}

void add_rect(Tensor& whole, const Rect& rect, const Tensor& part) {
  check_rect(whole, rect, "add_rect");
  NST_CHECK(part.shape() == Shape({1, whole.shape()[1], rect.height, rect.width}),
            "add_rect: a part ", part.shape(), " for a ", rect.height, "x", rect.width,
            " rectangle of ", whole.shape());
  const int64_t channels = whole.shape()[1], h = whole.shape()[2], w = whole.shape()[3];
  const float* src = part.data();
  float* dst = whole.data();
  for (int64_t c = 0; c < channels; ++c) {
    for (int y = 0; y < rect.height; ++y) {
      const float* s = src + (c * rect.height + y) * rect.width;
      float* d = dst + (c * h + rect.y + y) * w + rect.x;
      for (int x = 0; x < rect.width; ++x) d[x] += s[x];
    }
  }
}

}  // namespace nst
