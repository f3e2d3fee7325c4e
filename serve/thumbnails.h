// Small pictures of jobs for a gallery (GET /api/jobs/ID/thumbnail): the result, the preview or
// the photo, shrunk to at most kThumbnailSide pixels on the longest side. Made on the HTTP
// thread, so they are kept: a gallery that asks every few seconds decodes each picture once per
// change, not once per request.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace nst::serve {

inline constexpr int kThumbnailSide = 192;  // twice a gallery's 96 CSS pixels, for sharp screens

// A picture (PNG or JPEG bytes; messages call it `name`) as a PNG of at most `longest` pixels
// on its longest side. nst::Error for bytes that are no picture or have over `max_pixels`.
std::string thumbnail_png(const std::string& picture, const std::string& name, int64_t max_pixels,
                          int longest = kThumbnailSide);

// The latest thumbnail of each of the `capacity` jobs asked for last.
class ThumbnailCache {
 public:
  explicit ThumbnailCache(std::size_t capacity = 256) : capacity_(capacity) {}

  // The thumbnail of job `id` made from the picture `version` names ("done", "running-120"):
  // the one kept if it was made from that version, else make()'s, kept in its place (nothing,
  // and nothing kept, when make() has no picture).
  std::optional<std::string> get(const std::string& id, const std::string& version,
                                 const std::function<std::optional<std::string>()>& make);
  void forget(const std::string& id);

 private:
  struct Entry {
    std::string version, png;
    std::list<std::string>::iterator use;  // where the job is in uses_
  };
  std::size_t capacity_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::list<std::string> uses_;  // job ids, the one asked for last first
};

}  // namespace nst::serve
