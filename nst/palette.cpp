#include "nst/palette.h"

#include <algorithm>
#include <limits>

#include "tensor/error.h"

namespace nst {
namespace {

constexpr int kBits = 6;  // per channel in the histogram
constexpr int kCells = 1 << (3 * kBits);
constexpr int kRefinements = 4;

int cell_of(const uint8_t* p) {
  constexpr int shift = 8 - kBits;
  return ((p[0] >> shift) << (2 * kBits)) | ((p[1] >> shift) << kBits) | (p[2] >> shift);
}

// The colours that fall into one histogram cell: their mean and count.
struct Cell {
  std::array<float, 3> mean;
  double count;
  int id;  // the cell's place in the histogram
};

// A run of cells (after sorting) that becomes one palette colour.
struct Box {
  std::size_t begin, end;
  double count;
  int widest;    // the channel along which the cells spread most
  float spread;  // that channel's range
  double priority() const { return spread * count; }  // split big, spread-out boxes first
};

Box make_box(const std::vector<Cell>& cells, std::size_t begin, std::size_t end) {
  std::array<float, 3> low{255, 255, 255}, high{0, 0, 0};
  double count = 0;
  for (std::size_t i = begin; i < end; ++i) {
    count += cells[i].count;
    for (int c = 0; c < 3; ++c) {
      low[c] = std::min(low[c], cells[i].mean[c]);
      high[c] = std::max(high[c], cells[i].mean[c]);
    }
  }
  int widest = 0;
  for (int c = 1; c < 3; ++c) {
    if (high[c] - low[c] > high[widest] - low[widest]) widest = c;
  }
  return {begin, end, count, widest, high[widest] - low[widest]};
}

std::array<float, 3> mean_of(const std::vector<Cell>& cells, std::size_t begin, std::size_t end) {
  std::array<double, 3> sum{};
  double count = 0;
  for (std::size_t i = begin; i < end; ++i) {
    for (int c = 0; c < 3; ++c) sum[c] += cells[i].mean[c] * cells[i].count;
    count += cells[i].count;
  }
  return {static_cast<float>(sum[0] / count), static_cast<float>(sum[1] / count),
          static_cast<float>(sum[2] / count)};
}

int nearest(const std::vector<std::array<float, 3>>& palette, const std::array<float, 3>& color) {
  int best = 0;
  float best_distance = std::numeric_limits<float>::max();
  for (std::size_t i = 0; i < palette.size(); ++i) {
    float d = 0;
    for (int c = 0; c < 3; ++c) d += (palette[i][c] - color[c]) * (palette[i][c] - color[c]);
    if (d < best_distance) best_distance = d, best = static_cast<int>(i);
  }
  return best;
}

}  // namespace

IndexedPicture quantize_colors(const uint8_t* rgb, int64_t pixels, int max_colors) {
  NST_CHECK(pixels > 0 && max_colors >= 1 && max_colors <= 256, "quantize_colors: ", pixels,
            " pixels to ", max_colors, " colours");
  // The histogram: each occupied cell's colour sum and count.
  std::vector<std::array<double, 4>> histogram(kCells);
  for (int64_t p = 0; p < pixels; ++p) {
    std::array<double, 4>& h = histogram[cell_of(rgb + 3 * p)];
    for (int c = 0; c < 3; ++c) h[c] += rgb[3 * p + c];
    h[3] += 1;
  }
  std::vector<Cell> cells;
  for (int i = 0; i < kCells; ++i) {
    const auto& h = histogram[i];
    if (h[3] == 0) continue;
    cells.push_back({{static_cast<float>(h[0] / h[3]), static_cast<float>(h[1] / h[3]),
                      static_cast<float>(h[2] / h[3])},
                     h[3],
                     i});
  }

  // Median cut: split the box of the largest spread x count at its median along its widest
  // channel, until there are enough boxes or none can be split.
  std::vector<Box> boxes{make_box(cells, 0, cells.size())};
  while (static_cast<int>(boxes.size()) < max_colors) {
    const auto it = std::max_element(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) {
      return a.priority() < b.priority();
    });
    if (it->end - it->begin < 2 || it->spread <= 0) break;
    const Box box = *it;
    std::sort(cells.begin() + box.begin, cells.begin() + box.end,
              [c = box.widest](const Cell& a, const Cell& b) { return a.mean[c] < b.mean[c]; });
    double below = 0;
    std::size_t split = box.begin + 1;
    for (std::size_t i = box.begin; i + 1 < box.end; ++i) {
      below += cells[i].count;
      split = i + 1;
      if (below >= box.count / 2) break;
    }
    *it = make_box(cells, box.begin, split);
    boxes.push_back(make_box(cells, split, box.end));
  }
  std::vector<std::array<float, 3>> palette;
  for (const Box& box : boxes) palette.push_back(mean_of(cells, box.begin, box.end));

  // k-means on the cells: each palette colour moves to the mean of the cells nearest it.
  std::vector<int> assignment(cells.size());
  for (int round = 0; round <= kRefinements; ++round) {
    for (std::size_t i = 0; i < cells.size(); ++i) assignment[i] = nearest(palette, cells[i].mean);
    if (round == kRefinements) break;
    std::vector<std::array<double, 4>> sums(palette.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
      for (int c = 0; c < 3; ++c) sums[assignment[i]][c] += cells[i].mean[c] * cells[i].count;
      sums[assignment[i]][3] += cells[i].count;
    }
    for (std::size_t k = 0; k < palette.size(); ++k) {
      if (sums[k][3] == 0) continue;  // nothing nearest: keep the colour
      for (int c = 0; c < 3; ++c) palette[k][c] = static_cast<float>(sums[k][c] / sums[k][3]);
    }
  }

  IndexedPicture out;
  for (const auto& color : palette) {
    out.palette.push_back({static_cast<uint8_t>(std::clamp(color[0] + 0.5f, 0.0f, 255.0f)),
                           static_cast<uint8_t>(std::clamp(color[1] + 0.5f, 0.0f, 255.0f)),
                           static_cast<uint8_t>(std::clamp(color[2] + 0.5f, 0.0f, 255.0f))});
  }
  std::vector<uint8_t> index_of_cell(kCells);
  for (std::size_t i = 0; i < cells.size(); ++i)
    index_of_cell[cells[i].id] = static_cast<uint8_t>(assignment[i]);
  out.indices.resize(static_cast<std::size_t>(pixels));
  for (int64_t p = 0; p < pixels; ++p) out.indices[p] = index_of_cell[cell_of(rgb + 3 * p)];
  return out;
}

}  // namespace nst
