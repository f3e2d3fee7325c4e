// Where VGG19 weights are looked for, and how `--weights` is interpreted.
//
// Without --weights, the first of these that exists is used:
//   1. $NST_WEIGHTS
//   2. the nst cache: $XDG_CACHE_HOME/nst/vgg19.safetensors (default ~/.cache/nst), which
//      `nst weights fetch` fills
//   3. PyTorch's own cache: $TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth (TORCH_HOME
//      defaults to $XDG_CACHE_HOME/torch, else ~/.cache/torch), where torchvision downloads it
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "nn/vgg19.h"

namespace nst {

std::string nst_cache_dir();
std::string default_weights_path();    // nst_cache_dir() + "/vgg19.safetensors"
std::string torch_hub_weights_path();  // .../hub/checkpoints/vgg19-dcbb9e9d.pth

// The weights to use when none are given: $NST_WEIGHTS (a file, or random[:SEED]), else the
// first file found above; throws an error that lists the places tried and how to get weights.
std::string locate_weights();

// The seed of "random" (0) or "random:SEED", an untrained network; nothing for any other value
// (a file name). Throws nst::Error for "random:" followed by anything but a seed.
std::optional<uint64_t> random_weights_seed(std::string_view value);

// Builds VGG19 from a --weights value: a file, "random" or "random:SEED" (an untrained
// network, announced as such on `notices`), or empty for the lookup above. `description`
// receives a one-line account of what was loaded.
std::shared_ptr<nn::Vgg19> load_vgg19_model(const std::string& weights_option, nn::Pooling pooling,
                                            std::ostream& notices,
                                            std::string* description = nullptr);

}  // namespace nst
