// The pictures a job is sent, and the one way their stored copies are named: after the form's
// parts, with paintings counted from 0: "content", "style-0", "style-1", "style-mask-0",
// "style-source-mask-1". Files on disk (serve/job_files.h) and keys in Redis
// (serve/redis_jobs.h) are named from these.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nst::serve {

struct JobRecord;

struct Upload {
  std::string filename;  // as the client named it, for display only
  std::string bytes;
};

// Masks (nst/style_masks.h) come per painting: none at all, or one entry per painting, where
// nothing means that painting has none (it acts everywhere; its whole picture counts).
struct JobUploads {
  Upload content;
  std::vector<Upload> styles;
  std::vector<std::optional<Upload>> style_masks;
  std::vector<std::optional<Upload>> style_source_masks;
};

// The form parts of masks, followed by the painting's index from 0.
inline constexpr std::string_view kStyleMaskPart = "style-mask-";
inline constexpr std::string_view kStyleSourceMaskPart = "style-source-mask-";

std::string style_upload_name(std::size_t index);                        // "style-2"
std::string mask_upload_name(std::string_view part, std::size_t index);  // "style-mask-2"

// Every upload there is, with its name: the photo, the paintings, then the masks there are.
std::vector<std::pair<std::string, const Upload*>> named_uploads(const JobUploads& uploads);

// The names of a stored job's uploads, from its record (the same list, without the bytes).
std::vector<std::string> upload_names(const JobRecord& record);

// Whether a stored job has the upload called `name` (one of upload_names()).
bool has_upload(const JobRecord& record, const std::string& name);

// A stored job's uploads, each read through `read` (its name to its bytes), with the file
// names its record keeps.
JobUploads read_uploads(const JobRecord& record,
                        const std::function<std::string(const std::string& name)>& read);

// The record's names of masks: nothing when there are none, else one per painting, "" where
// that painting has none. A mask sent without a file name is named after its part, so that ""
// always means none.
std::vector<std::string> mask_names(const std::vector<std::optional<Upload>>& masks,
                                    std::string_view part);

}  // namespace nst::serve
