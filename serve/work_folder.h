// A worker's scratch folder (for the running job's resume file), "nst-worker-XXXXXX" in the
// system's temporary folder, locked (flock on its file "lock") for as long as it is in use. A
// worker killed with -9 cannot remove its folder; the next one made on the machine removes
// every such folder whose lock nobody holds, so they do not pile up.
#pragma once

#include <string>

namespace nst::serve {

class WorkFolder {
 public:
  // Removes stale folders first; nst::Error if the folder cannot be made.
  explicit WorkFolder(const std::string& parent = temporary_folder());
  ~WorkFolder();  // removes the folder and what is in it
  WorkFolder(const WorkFolder&) = delete;
  WorkFolder& operator=(const WorkFolder&) = delete;

  const std::string& path() const { return path_; }

  // $TMPDIR, or /tmp.
  static std::string temporary_folder();

 private:
  std::string path_;
  int lock_ = -1;
};

// Removes the folders in `parent` of workers that are gone: their lock is free, or they have
// none and are over a minute old (made by a worker killed before it took its lock). Returns
// how many.
int remove_stale_work_folders(const std::string& parent);

}  // namespace nst::serve
