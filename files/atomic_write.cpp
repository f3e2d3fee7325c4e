#include "files/atomic_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tensor/error.h"

namespace nst {
namespace {

// The names of the files being written, for remove_unfinished_files(). A signal handler reads
// the slots, so they are lock-free atomics holding pointers to strings that outlive their slot.
class UnfinishedFiles {
 public:
  int add(const char* path) {
    for (int i = 0; i < kSlots; ++i) {
      const char* empty = nullptr;
      if (slots_[i].compare_exchange_strong(empty, path)) return i;
    }
    return -1;  // more at once than slots: that one is not cleaned up on a hard exit
  }
  void remove(int slot) {
    if (slot >= 0) slots_[slot].store(nullptr);
  }
  void unlink_all() {
    for (auto& slot : slots_) {
      if (const char* path = slot.load(); path != nullptr) ::unlink(path);
    }
  }

 private:
  static constexpr int kSlots = 32;
  std::array<std::atomic<const char*>, kSlots> slots_{};
};
static_assert(std::atomic<const char*>::is_always_lock_free);

UnfinishedFiles& unfinished() {
  static UnfinishedFiles files;
  return files;
}

// Registers a path for as long as it lives.
class Unfinished {
 public:
  explicit Unfinished(const std::string& path) : slot_(unfinished().add(path.c_str())) {}
  ~Unfinished() { unfinished().remove(slot_); }
  Unfinished(const Unfinished&) = delete;
  Unfinished& operator=(const Unfinished&) = delete;

 private:
  int slot_;
};

std::string folder_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

void check_writable_location(const std::string& path) {
  const std::string folder = folder_of(path);
  std::error_code ec;
  NST_CHECK(std::filesystem::is_directory(folder, ec), path, ": the folder ", folder,
            " does not exist");
  NST_CHECK(std::filesystem::is_directory(path, ec) == false, path,
            ": is a directory, not a file name");
  NST_CHECK(::access(folder.c_str(), W_OK) == 0, path, ": cannot write into ", folder, ": ",
            std::strerror(errno));
}

void remove_unfinished_files() { unfinished().unlink_all(); }

OutputClaim::OutputClaim(std::string path, bool replace) : path_(std::move(path)) {
  check_writable_location(path_);
  if (replace) return;
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  NST_CHECK(fd >= 0, path_, errno == EEXIST ? ": already exists" : ": cannot create: ",
            errno == EEXIST ? "" : std::strerror(errno));
  ::close(fd);
  created_ = true;
  slot_ = unfinished().add(path_.c_str());
}

OutputClaim::~OutputClaim() {
  unfinished().remove(slot_);
  if (created_ && !done_) std::remove(path_.c_str());
}

void OutputClaim::done() {
  unfinished().remove(slot_);
  slot_ = -1;
  done_ = true;
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write_body, bool replace) {
  check_writable_location(path);
  std::string temporary = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  NST_CHECK(fd >= 0, path, ": cannot create a temporary file: ", std::strerror(errno));
  ::close(fd);
  const Unfinished registered(temporary);
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      NST_CHECK(out.is_open(), temporary, ": cannot open for writing");
      write_body(out);
      out.flush();
      NST_CHECK(out.good(), path, ": write failed (disk full?)");
    }
    // Make the data durable before the rename makes it visible under the real name.
    const int sync_fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
    if (sync_fd >= 0) {
      ::fsync(sync_fd);
      ::close(sync_fd);
    }
    // mkstemp creates files readable by the owner only; give the file the usual permissions.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    std::filesystem::permissions(temporary, static_cast<std::filesystem::perms>(0666 & ~mask));
    const int renamed = replace ? std::rename(temporary.c_str(), path.c_str())
                                : ::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(),
                                              RENAME_NOREPLACE);
    NST_CHECK(renamed == 0, path,
              errno == EEXIST ? ": appeared while it was being written; not replaced"
                              : ": cannot rename the temporary file into place: ",
              errno == EEXIST ? "" : std::strerror(errno));
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
}

}  // namespace nst
