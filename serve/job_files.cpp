#include "serve/job_files.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "files/atomic_write.h"
#include "tensor/error.h"

namespace nst::serve {
namespace fs = std::filesystem;
namespace {

constexpr const char* kIncoming = ".incoming";
// Room left for running jobs' results and resume files when uploads are taken.
constexpr int64_t kReserveBytes = int64_t{16} << 20;

// Makes a rename in `folder` durable: the new name is on disk once this returns.
void sync_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  NST_CHECK(fd >= 0, folder, ": cannot open the folder to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  NST_CHECK(rc == 0, folder, ": cannot sync the folder to disk");
}

}  // namespace

JobFiles::JobFiles(std::string root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  NST_CHECK(!ec, root_, ": cannot create the jobs folder: ", ec.message());
}

std::string JobFiles::folder(const std::string& id) const { return root_ + "/" + id; }
std::string JobFiles::upload(const std::string& id, const std::string& name) const {
  return folder(id) + "/" + name;
}
std::string JobFiles::resume(const std::string& id) const { return folder(id) + "/run.nstresume"; }
std::string JobFiles::losses(const std::string& id) const { return folder(id) + "/losses.csv"; }
std::string JobFiles::result(const std::string& id) const { return folder(id) + "/result.png"; }

void JobFiles::store_uploads(const std::string& id, const JobUploads& uploads) const {
  const std::vector<std::pair<std::string, const Upload*>> named = named_uploads(uploads);
  int64_t bytes = 0;
  for (const auto& [name, upload] : named) bytes += static_cast<int64_t>(upload->bytes.size());
  check_room(bytes);
  const std::string incoming = folder(id) + kIncoming;
  std::error_code ec;
  fs::remove_all(incoming, ec);
  NST_CHECK(fs::create_directory(incoming, ec) && !ec, incoming,
            ": cannot create the job's folder: ", ec.message());
  try {
    for (const auto& [name, upload] : named)
      write_bytes_atomically(incoming + "/" + name, upload->bytes);
    fs::rename(incoming, folder(id));  // the job's folder appears whole
    sync_folder(root_);                // and the rename is on disk before the job is recorded
  } catch (const Error&) {
    fs::remove_all(incoming, ec);
    check_room(bytes);  // a write that failed for want of room is a full disk, not a bug
    throw;
  } catch (...) {
    fs::remove_all(incoming, ec);
    throw;
  }
}

void JobFiles::check_room(int64_t bytes) const {
  struct statvfs disk {};
  if (::statvfs(root_.c_str(), &disk) != 0) return;  // unknown: the writes will tell
  const auto available = static_cast<int64_t>(disk.f_bavail) * static_cast<int64_t>(disk.f_frsize);
  if (available < bytes + kReserveBytes) {
    throw StorageFull(root_ + ": the disk is full (" + std::to_string(available >> 20) +
                      " MiB free; a new job needs " + std::to_string(bytes >> 20) +
                      " MiB and running jobs keep " + std::to_string(kReserveBytes >> 20) +
                      " MiB for their results)");
  }
}

void JobFiles::remove(const std::string& id) const {
  std::error_code ec;
  fs::remove_all(folder(id), ec);
}

void JobFiles::remove_orphans(const std::vector<std::string>& known) const {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (std::find(known.begin(), known.end(), name) == known.end())
      fs::remove_all(entry.path(), ec);
  }
}

void write_bytes_atomically(const std::string& path, const std::string& bytes) {
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NST_CHECK(in.is_open(), path, ": cannot open for reading");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace nst::serve
