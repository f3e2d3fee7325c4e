// Which Host and Origin headers a server without a token answers to. Without a token, any web
// page its user visits could otherwise call the API: by a cross-site request (the page's
// Origin is another site's), or by DNS rebinding (the page's own host name is made to point at
// 127.0.0.1, so the request is same-origin for the browser, but its Host is the attacker's
// name). So the Host must be an IP address, localhost, or a name the operator allowed (a
// proxy's public name), and an Origin, when a browser sends one, must be the server itself or
// one of those names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nst::serve {

// The name in a Host header, lowercased, without its port: "[::1]:8080" -> "[::1]".
std::string host_name(std::string_view host);
// An IPv4 or bracketed IPv6 address, "localhost", or one of `allowed` (names, no ports); an
// empty name too (HTTP/1.0 sends none: there is no name to rebind).
bool is_allowed_host(const std::string& name, const std::vector<std::string>& allowed);
// "scheme://name[:port]" with a name among `allowed`.
bool is_allowed_origin(std::string_view origin, const std::vector<std::string>& allowed);

}  // namespace nst::serve
