// Small pieces the service's handlers share: JSON replies and errors.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "serve/request_text.h"

namespace nst::serve {

inline void reply_json(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(json_text(body) + "\n", "application/json");
}

// Every error of the API is {"error": "..."} with its status; the message is bounded, so that
// nothing a client sent comes back to it whole.
inline void reply_error(httplib::Response& response, int status, const std::string& message) {
  reply_json(response, status, {{"error", excerpt(message, kMaxMessageBytes)}});
}

}  // namespace nst::serve
