#include "serve/job_uploads.h"

#include <algorithm>

#include "serve/job_record.h"

namespace nst::serve {

std::string style_upload_name(std::size_t index) { return "style-" + std::to_string(index); }

std::string mask_upload_name(std::string_view part, std::size_t index) {
  return std::string(part) + std::to_string(index);
}

std::vector<std::pair<std::string, const Upload*>> named_uploads(const JobUploads& uploads) {
  std::vector<std::pair<std::string, const Upload*>> named{{"content", &uploads.content}};
  for (std::size_t i = 0; i < uploads.styles.size(); ++i)
    named.emplace_back(style_upload_name(i), &uploads.styles[i]);
  for (const auto& [part, masks] : {std::pair{kStyleMaskPart, &uploads.style_masks},
                                    std::pair{kStyleSourceMaskPart, &uploads.style_source_masks}}) {
    for (std::size_t i = 0; i < masks->size(); ++i) {
      if ((*masks)[i]) named.emplace_back(mask_upload_name(part, i), &*(*masks)[i]);
    }
  }
  return named;
}

std::vector<std::string> upload_names(const JobRecord& record) {
  std::vector<std::string> names{"content"};
  for (std::size_t i = 0; i < record.style_names.size(); ++i) names.push_back(style_upload_name(i));
  for (const auto& [part, masks] :
       {std::pair{kStyleMaskPart, &record.style_mask_names},
        std::pair{kStyleSourceMaskPart, &record.style_source_mask_names}}) {
    for (std::size_t i = 0; i < masks->size(); ++i) {
      if (!(*masks)[i].empty()) names.push_back(mask_upload_name(part, i));
    }
  }
  return names;
}

bool has_upload(const JobRecord& record, const std::string& name) {
  const std::vector<std::string> names = upload_names(record);
  return std::find(names.begin(), names.end(), name) != names.end();
}

JobUploads read_uploads(const JobRecord& record,
                        const std::function<std::string(const std::string& name)>& read) {
  JobUploads uploads;
  uploads.content = {record.content_name, read("content")};
  for (std::size_t i = 0; i < record.style_names.size(); ++i)
    uploads.styles.push_back({record.style_names[i], read(style_upload_name(i))});
  const auto read_masks = [&](const std::vector<std::string>& names, std::string_view part) {
    std::vector<std::optional<Upload>> masks(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!names[i].empty()) masks[i] = Upload{names[i], read(mask_upload_name(part, i))};
    }
    return masks;
  };
  uploads.style_masks = read_masks(record.style_mask_names, kStyleMaskPart);
  uploads.style_source_masks = read_masks(record.style_source_mask_names, kStyleSourceMaskPart);
  return uploads;
}

std::vector<std::string> mask_names(const std::vector<std::optional<Upload>>& masks,
                                    std::string_view part) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < masks.size(); ++i) {
    if (!masks[i]) {
      names.emplace_back();
    } else {
      names.push_back(masks[i]->filename.empty() ? mask_upload_name(part, i) : masks[i]->filename);
    }
  }
  return names;
}

}  // namespace nst::serve
