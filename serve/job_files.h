// Where the service keeps each job's files, one folder per job under DATA/jobs/ID:
//   content, style-0, style-1, ...   the uploads, byte for byte as sent, each named as
//   style-mask-0, ...                serve/job_uploads.h names it
//   run.nstresume                    the run's last checkpoint (nst/resume.h), while it runs
//   losses.csv                       the loss log, as `nst stylize --loss-log` writes it
//   result.png                       the picture, once done
// Uploads arrive in a folder ID.incoming that is renamed to ID only when all of them are on disk,
// so a job folder is always whole; a crash midway leaves an .incoming folder, which
// remove_orphans() deletes at the next start. Every file is written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "serve/job_uploads.h"
#include "tensor/error.h"

namespace nst::serve {

// The disk has no room for a new job: the API answers 507.
class StorageFull : public Error {
 public:
  using Error::Error;
};

class JobFiles {
 public:
  explicit JobFiles(std::string root);  // DATA/jobs, created if missing

  std::string folder(const std::string& id) const;
  // The upload called `name` (serve/job_uploads.h): "content", "style-0", "style-mask-0", ...
  std::string upload(const std::string& id, const std::string& name) const;
  std::string resume(const std::string& id) const;
  std::string losses(const std::string& id) const;
  std::string result(const std::string& id) const;

  // Writes a new job's uploads (its folder must not exist yet); StorageFull when the disk has
  // no room for them.
  void store_uploads(const std::string& id, const JobUploads& uploads) const;
  void remove(const std::string& id) const;  // the job's folder and everything in it
  // Removes the folders of jobs that are not in `known` (half-stored uploads, deleted jobs).
  void remove_orphans(const std::vector<std::string>& known) const;

 private:
  void check_room(int64_t bytes) const;
  std::string root_;
};

std::string read_file_bytes(const std::string& path);  // nst::Error naming it if unreadable
void write_bytes_atomically(const std::string& path, const std::string& bytes);

}  // namespace nst::serve
