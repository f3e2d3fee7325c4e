// `nst weights fetch`: download pretrained VGG19 weights, check them, convert them.
//
// Sources:
//   torchvision  https://download.pytorch.org/models/vgg19-dcbb9e9d.pth (548 MB, legacy
//                PyTorch format; SHA-256 pinned below, its first 8 hex digits are in the name)
//   hf           https://huggingface.co/timm/vgg19.tv_in1k/resolve/main/model.safetensors
//                (the same torchvision weights in safetensors; the expected SHA-256 is the one
//                the Hugging Face server publishes for the file, X-Linked-Etag)
// The download goes through curl into "<dir>/<name>.part", resumes if interrupted, and is
// checked against the SHA-256 before it is converted to a conv-only safetensors file (about
// 80 MB) at "<dir>/vgg19.safetensors"; the download is then removed unless kept.
#pragma once

#include <ostream>
#include <string>

namespace nst {

struct FetchOptions {
  std::string source = "torchvision";  // or "hf"
  std::string dir;                     // default: nst_cache_dir()
  std::string url;                     // a mirror instead of the source's URL
  std::string sha256;                  // the expected digest for that mirror
  bool keep_download = false;
};

// Returns the path of the converted file. Progress and notes go to `log`.
std::string fetch_weights(const FetchOptions& options, std::ostream& log);

}  // namespace nst
