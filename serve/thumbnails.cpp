#include "serve/thumbnails.h"

#include "nst/image.h"
#include "nst/resize.h"

namespace nst::serve {

std::string thumbnail_png(const std::string& picture, const std::string& name, int64_t max_pixels,
                          int longest) {
  const Tensor image = decode_image(
      {reinterpret_cast<const uint8_t*>(picture.data()), picture.size()}, name, max_pixels);
  const std::vector<uint8_t> png = encode_image(shrink_to_fit(image, longest), ImageFormat::png);
  return std::string(png.begin(), png.end());
}

std::optional<std::string> ThumbnailCache::get(
    const std::string& id, const std::string& version,
    const std::function<std::optional<std::string>()>& make) {
  {
    const std::lock_guard lock(mutex_);
    const auto kept = entries_.find(id);
    if (kept != entries_.end() && kept->second.version == version) {
      uses_.splice(uses_.begin(), uses_, kept->second.use);
      return kept->second.png;
    }
  }
  std::optional<std::string> png = make();  // unlocked: other jobs' need not wait for this one
  if (!png) return std::nullopt;
  const std::lock_guard lock(mutex_);
  const auto kept = entries_.find(id);
  if (kept != entries_.end()) {
    uses_.erase(kept->second.use);
    entries_.erase(kept);
  }
  uses_.push_front(id);
  entries_[id] = {version, *png, uses_.begin()};
  if (entries_.size() > capacity_) {
    entries_.erase(uses_.back());
    uses_.pop_back();
  }
  return png;
}

void ThumbnailCache::forget(const std::string& id) {
  const std::lock_guard lock(mutex_);
  const auto kept = entries_.find(id);
  if (kept == entries_.end()) return;
  uses_.erase(kept->second.use);
  entries_.erase(kept);
}

}  // namespace nst::serve
