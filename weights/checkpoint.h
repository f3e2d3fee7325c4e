// Reading the tensors of a checkpoint file, whatever its format, recognised from its bytes:
//   safetensors                       (8-byte header size, then a JSON header)
//   PyTorch zip, torch.save >= 1.6    ("PK\3\4"; e.g. Hugging Face pytorch_model.bin)
//   PyTorch legacy                    (pickles back to back, then raw storages; e.g.
//                                      torchvision's vgg19-dcbb9e9d.pth)
// Every tensor comes out as float32 (half, bfloat16, double and integer types are converted).
#pragma once

#include <functional>
#include <string>

#include "files/mapped_file.h"
#include "weights/safetensors.h"

namespace nst {

struct Checkpoint {
  std::string format;    // "safetensors", "pytorch-zip" or "pytorch-legacy"
  NamedTensors tensors;  // in the file's order
  Metadata metadata;     // safetensors __metadata__; empty for PyTorch files
};

// Only tensors whose name `wanted` accepts are read (all when it is empty): converting a
// full VGG19 checkpoint needs its 80 MB of convolutions, not its 470 MB classifier.
using NameFilter = std::function<bool(const std::string&)>;

Checkpoint read_checkpoint(const std::string& path, const NameFilter& wanted = {});

// The PyTorch formats (torch_checkpoint.cpp): recognised by their first bytes (a zip
// signature, the legacy magic number, or an old tar header, which is refused with advice).
bool is_torch_checkpoint(std::span<const uint8_t> bytes);
NamedTensors read_torch_checkpoint(const MappedFile& file, const NameFilter& wanted,
                                   std::string* format);

}  // namespace nst
