#include "serve/work_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "tensor/error.h"

namespace nst::serve {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kPrefix = "nst-worker-";
constexpr auto kLockGrace = std::chrono::minutes(1);

// Whether the folder's lock is held by a live process (flock locks end with their holder).
bool in_use(const fs::path& folder) {
  const int fd = ::open((folder / "lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::error_code ec;
    const auto changed = fs::last_write_time(folder, ec);
    return !ec && fs::file_time_type::clock::now() - changed < kLockGrace;
  }
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

}  // namespace

std::string WorkFolder::temporary_folder() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

int remove_stale_work_folders(const std::string& parent) {
  int removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || !entry.is_directory(ec) || in_use(entry.path())) continue;
    if (fs::remove_all(entry.path(), ec) > 0 && !ec) ++removed;
  }
  return removed;
}

WorkFolder::WorkFolder(const std::string& parent) {
  remove_stale_work_folders(parent);
  std::string name = parent + "/" + std::string(kPrefix) + "XXXXXX";
  NST_CHECK(::mkdtemp(name.data()) != nullptr, parent, ": cannot make a temporary folder");
  path_ = name;
  lock_ = ::open((path_ + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_ < 0 || ::flock(lock_, LOCK_EX) != 0) {
    std::error_code ec;
    fs::remove_all(path_, ec);
    fail(path_, ": cannot lock the temporary folder");
  }
}

WorkFolder::~WorkFolder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  ::close(lock_);
}

}  // namespace nst::serve
