#include "apps/nst/weights_command.h"

#include <filesystem>
#include <iomanip>
#include <iostream>

#include "apps/nst/cli.h"
#include "files/atomic_write.h"
#include "files/sha256.h"
#include "tensor/error.h"
#include "weights/checkpoint.h"
#include "weights/fetch.h"
#include "weights/locate.h"
#include "weights/vgg19_weights.h"

namespace nst::cli {
namespace {

constexpr const char* kUsage =
    "nst weights fetch [--source torchvision|hf] [--dir DIR] [--url URL --sha256 HEX] "
    "[--keep-download]\n"
    "       nst weights convert IN OUT.safetensors\n"
    "       nst weights info FILE\n"
    "       nst weights where";

int fetch(const std::vector<std::string>& args) {
  cxxopts::Options options("nst weights fetch",
                           "Download pretrained VGG19 weights, check their SHA-256 and convert "
                           "them to a conv-only safetensors file.");
  options.add_options()(
      "source",
      "torchvision (download.pytorch.org, pinned SHA-256) or hf (Hugging Face timm/vgg19.tv_in1k)",
      cxxopts::value<std::string>()->default_value("torchvision"))(
      "dir", "folder for the download and the result",
      cxxopts::value<std::string>()->default_value(nst_cache_dir()))(
      "url", "download from this mirror instead (needs --sha256)", cxxopts::value<std::string>())(
      "sha256", "the expected SHA-256 of the download", cxxopts::value<std::string>())(
      "keep-download", "keep the original file after converting it")("h,help", "show this help");
  const auto result = parse(options, args);
  if (result.count("help")) {
    std::cout << options.help() << "\n";
    return kExitOk;
  }
  positionals(result, 0, kUsage);
  FetchOptions fetch;
  fetch.source = result["source"].as<std::string>();
  if (fetch.source != "torchvision" && fetch.source != "hf") {
    throw UsageError("--source must be torchvision or hf, got '" + fetch.source + "'");
  }
  fetch.dir = result["dir"].as<std::string>();
  if (result.count("url")) fetch.url = result["url"].as<std::string>();
  if (result.count("sha256")) fetch.sha256 = result["sha256"].as<std::string>();
  if (!fetch.url.empty() && fetch.sha256.empty()) throw UsageError("--url needs --sha256");
  fetch.keep_download = result.count("keep-download") > 0;
  const std::string path = fetch_weights(fetch, std::cerr);
  std::cout << path << "\n";
  return kExitOk;
}

int convert(const std::vector<std::string>& args) {
  cxxopts::Options options("nst weights convert",
                           "Convert VGG19 weights (safetensors, PyTorch zip or legacy .pth; "
                           "torchvision, timm or Caffe key names) to the conv-only safetensors "
                           "file nst reads fastest.");
  options.add_options()("overwrite", "replace OUT if it exists")("h,help", "show this help");
  options.positional_help("IN OUT.safetensors");
  const auto result = parse(options, args);
  if (result.count("help")) {
    std::cout << options.help() << "\n";
    return kExitOk;
  }
  const auto files = positionals(result, 2, "nst weights convert IN OUT.safetensors");
  NST_CHECK(files[1].ends_with(".safetensors"), files[1],
            ": the output name must end in .safetensors");
  const bool overwrite = result.count("overwrite") > 0;
  std::error_code ec;
  if (std::filesystem::exists(files[1], ec)) {
    if (std::filesystem::equivalent(files[0], files[1], ec))
      throw UsageError(files[1] + " is also the input; choose another name");
    if (!overwrite) throw UsageError(files[1] + " already exists; pass --overwrite to replace it");
  }
  OutputClaim output(files[1], overwrite);  // a second conversion to it now fails at once
  const Vgg19Weights weights = read_vgg19_weights(files[0]);
  write_vgg19_safetensors(files[1], weights, files[0] + " sha256:" + sha256_file(files[0]));
  output.done();
  std::cerr << "Wrote " << files[1] << " (" << weights.key_style << " keys from a "
            << weights.format << " file, " << weights.preprocessing.name << " preprocessing)\n";
  return kExitOk;
}

void print_preprocessing(const nn::Preprocessing& p) {
  std::cout << p.name << ": out[c] = x[" << (p.map.source.empty() ? "c" : "src[c]")
            << "] * scale[c] + shift[c] on RGB in [0,1]; scale =";
  for (float s : p.map.scale) std::cout << " " << s;
  std::cout << "; shift =";
  for (float s : p.map.shift) std::cout << " " << s;
  if (!p.map.source.empty()) std::cout << "; channel order BGR";
  std::cout << "\n";
}

int info(const std::vector<std::string>& args) {
  cxxopts::Options options("nst weights info",
                           "Describe a weights file: format, tensors, "
                           "whether it holds VGG19, its preprocessing and SHA-256.");
  options.add_options()("h,help", "show this help");
  options.positional_help("FILE");
  const auto result = parse(options, args);
  if (result.count("help")) {
    std::cout << options.help() << "\n";
    return kExitOk;
  }
  const std::string path = positionals(result, 1, "nst weights info FILE")[0];
  const Checkpoint checkpoint = read_checkpoint(path);
  std::cout << "file:     " << path << "\nformat:   " << checkpoint.format
            << "\nsha256:   " << sha256_file(path) << "\ntensors:  " << checkpoint.tensors.size()
            << "\n";
  for (const auto& [name, tensor] : checkpoint.tensors) {
    std::cout << "  " << std::left << std::setw(28) << name << " " << tensor.shape() << "\n";
  }
  for (const auto& [key, value] : checkpoint.metadata) {
    std::cout << "metadata: " << key << " = " << value << "\n";
  }
  try {
    const Vgg19Weights weights = read_vgg19_weights(path);
    std::cout << "VGG19:    yes, " << weights.key_style << " key names\npreprocessing: ";
    print_preprocessing(weights.preprocessing);
  } catch (const Error& e) {
    std::cout << "VGG19:    no: " << e.what() << "\n";
  }
  return kExitOk;
}

// Prints the file `stylize` would use without --weights, or fails listing where it looked.
int where(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("nst weights where takes no arguments");
  std::cout << locate_weights() << "\n";
  return kExitOk;
}

}  // namespace

int run_weights_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    std::cout << "usage: " << kUsage << "\n";
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "fetch") return fetch(rest);
  if (args[0] == "convert") return convert(rest);
  if (args[0] == "info") return info(rest);
  if (args[0] == "where") return where(rest);
  throw UsageError("unknown command 'nst weights " + args[0] + "'\nusage: " + kUsage);
}

}  // namespace nst::cli
