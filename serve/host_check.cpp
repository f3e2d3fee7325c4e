#include "serve/host_check.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace nst::serve {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_ip_address(const std::string& name) {
  unsigned char address[16];
  if (::inet_pton(AF_INET, name.c_str(), address) == 1) return true;
  return name.size() > 2 && name.front() == '[' && name.back() == ']' &&
         ::inet_pton(AF_INET6, name.substr(1, name.size() - 2).c_str(), address) == 1;
}

bool is_listed(const std::string& name, const std::vector<std::string>& allowed) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return lowercase(a) == name; });
}

}  // namespace

std::string host_name(std::string_view host) {
  const std::size_t bracket = host.find(']');
  const std::size_t colon = host.find(':', bracket == std::string_view::npos ? 0 : bracket);
  return lowercase(host.substr(0, colon));
}

bool is_allowed_host(const std::string& name, const std::vector<std::string>& allowed) {
  return name.empty() || name == "localhost" || is_ip_address(name) || is_listed(name, allowed);
}

bool is_allowed_origin(std::string_view origin, const std::vector<std::string>& allowed) {
  const std::size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return false;  // "null", or not an origin
  const std::string name = host_name(origin.substr(scheme + 3));
  return !name.empty() && is_listed(name, allowed);
}

}  // namespace nst::serve
