// Small pieces the service's handlers share: JSON replies and errors.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace nst::serve {

inline void reply_json(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump() + "\n", "application/json");
}

// Every error of the API is {"error": "..."} with its status.
inline void reply_error(httplib::Response& response, int status, const std::string& message) {
  reply_json(response, status, {{"error", message}});
}

}  // namespace nst::serve
