#include "weights/fetch.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "files/sha256.h"
#include "tensor/error.h"
#include "weights/locate.h"
#include "weights/process.h"
#include "weights/vgg19_weights.h"

namespace nst {
namespace {

struct Source {
  std::string url, file_name, sha256;  // sha256 empty: ask the server
};

Source source_named(const std::string& name) {
  if (name == "torchvision") {
    return {"https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", "vgg19-dcbb9e9d.pth",
            "dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44"};
  }
  if (name == "hf") {
    return {"https://huggingface.co/timm/vgg19.tv_in1k/resolve/main/model.safetensors",
            "vgg19.tv_in1k.safetensors", ""};
  }
  fail("unknown weights source '", name, "' (expected torchvision or hf)");
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_sha256(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// What to tell a user when curl fails, by its exit code (see `man curl`, EXIT CODES).
std::string curl_failure(int code, const std::string& url) {
  std::ostringstream s;
  s << "could not download " << url << ": ";
  switch (code) {
    case -1: s << "curl is not installed (apt-get install curl)"; break;
    case 5:
    case 6: s << "the host name could not be resolved (no network connection?)"; break;
    case 7: s << "could not connect to the server (no network connection?)"; break;
    case 22: s << "the server answered with an HTTP error"; break;
    case 28: s << "the transfer timed out"; break;
    case 35:
    case 60: s << "the TLS connection failed (certificates?)"; break;
    default: s << "curl exited with code " << code;
  }
  s << ".\nWithout network: download the file on another machine, copy it here, and run\n"
       "  nst weights convert FILE ~/.cache/nst/vgg19.safetensors\n"
       "or pass it directly with --weights FILE (torchvision's vgg19-dcbb9e9d.pth also works\n"
       "from ~/.cache/torch/hub/checkpoints/).";
  return s.str();
}

// Hugging Face publishes the SHA-256 of large files as the X-Linked-Etag response header.
std::string published_sha256(const std::string& url) {
  std::string headers;
  const int code =
      run_program({"curl", "--silent", "--fail", "--head", "--location", url}, &headers);
  NST_CHECK(code == 0, curl_failure(code, url));
  std::istringstream lines(headers);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string l = lower(line);
    if (!l.starts_with("x-linked-etag:")) continue;
    std::string value = line.substr(line.find(':') + 1);
    value.erase(std::remove_if(
                    value.begin(), value.end(),
                    [](char c) { return c == '"' || std::isspace(static_cast<unsigned char>(c)); }),
                value.end());
    if (is_sha256(value)) return lower(value);
  }
  fail("the server did not publish a SHA-256 for ", url,
       ", so the download cannot be verified; use --source torchvision (pinned digest) or "
       "--url with --sha256");
}

}  // namespace

std::string fetch_weights(const FetchOptions& options, std::ostream& log) {
  Source source = source_named(options.source);
  if (!options.url.empty()) {
    NST_CHECK(!options.sha256.empty(), "--url needs --sha256: a download is never used unchecked");
    source.url = options.url;
    source.file_name = std::filesystem::path(options.url).filename().string();
    if (source.file_name.empty()) source.file_name = "weights.download";
  }
  if (!options.sha256.empty()) {
    NST_CHECK(is_sha256(options.sha256), "--sha256 ", options.sha256, " is not 64 hex digits");
    source.sha256 = lower(options.sha256);
  }

  const std::string dir = options.dir.empty() ? nst_cache_dir() : options.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  NST_CHECK(std::filesystem::is_directory(dir), dir, ": cannot create the folder: ", ec.message());
  const std::string download = dir + "/" + source.file_name;
  const std::string part = download + ".part";
  const std::string converted = dir + "/vgg19.safetensors";

  if (source.sha256.empty()) {
    log << "Asking " << source.url << " for its SHA-256...\n";
    source.sha256 = published_sha256(source.url);
  }

  if (std::filesystem::exists(download)) {
    log << "Already downloaded: " << download << "\n";
  } else {
    log << "Downloading " << source.url << "\n     to " << part << " (resumes if interrupted)\n";
    const bool terminal = ::isatty(STDERR_FILENO);
    const int code = run_program({"curl", "--fail", "--location", "--retry", "3", "--continue-at",
                                  "-", terminal ? "--progress-bar" : "--silent", "--show-error",
                                  "--output", part, source.url});
    NST_CHECK(code == 0, curl_failure(code, source.url));
    std::filesystem::rename(part, download);
  }

  log << "Checking SHA-256...\n";
  const std::string digest = sha256_file(download);
  if (digest != source.sha256) {
    std::filesystem::remove(download, ec);
    fail(download, ": SHA-256 mismatch: expected ", source.sha256, ", got ", digest,
         ". The corrupt file was removed; run the command again to download it afresh.");
  }

  log << "Converting to " << converted << "\n";
  const Vgg19Weights weights = read_vgg19_weights(download);
  write_vgg19_safetensors(converted, weights, source.url + " sha256:" + digest);
  if (!options.keep_download) {
    std::filesystem::remove(download, ec);
    log << "Removed the download (pass --keep-download to keep it)\n";
  }
  return converted;
}

}  // namespace nst
