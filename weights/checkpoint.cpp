#include "weights/checkpoint.h"

#include "files/mapped_file.h"
#include "tensor/error.h"

namespace nst {
Checkpoint read_checkpoint(const std::string& path, const NameFilter& wanted) {
  Checkpoint checkpoint;
  {
    const MappedFile file(path);  // a clear error for a missing file or a directory
    NST_CHECK(file.size() > 0, path, ": the file is empty");
    if (is_torch_checkpoint(file.bytes())) {
      checkpoint.tensors = read_torch_checkpoint(file, wanted, &checkpoint.format);
      return checkpoint;
    }
    NST_CHECK(may_be_safetensors(file.bytes()), path,
              ": neither a safetensors file nor a PyTorch checkpoint", apparent_kind(file.bytes()));
  }
  // Anything else must be safetensors; its validation says precisely what is wrong if not.
  const SafetensorsFile file(path);
  checkpoint.format = "safetensors";
  checkpoint.metadata = file.metadata();
  for (const SafetensorsEntry& e : file.entries()) {
    if (wanted && !wanted(e.name)) continue;
    checkpoint.tensors.emplace_back(e.name, file.load(e));
  }
  return checkpoint;
}

}  // namespace nst
