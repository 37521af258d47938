#pragma once
// Small helpers every route uses: JSON replies, JSON errors, the request
// body as JSON, query parameters as bounded integers, and a wrapper that
// turns any exception into one JSON error.
#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "lab_error.h"

namespace handgrad::lab {

void reply_json(httplib::Response& res, const nlohmann::json& j, int status = 200);
// {"error": message, "status": status[, "field": field]}
void reply_error(httplib::Response& res, int status, const std::string& message,
                 const std::string& field = {});
nlohmann::json body_json(const httplib::Request& req);  // ApiError(400) on bad JSON
int int_param(const httplib::Request& req, const char* name, int dflt, int lo, int hi);

using Route = std::function<void(const httplib::Request&, httplib::Response&)>;
// ApiError -> its status; UsageError -> 400 naming the field; other
// handgrad errors -> 400; anything else -> 500. Always JSON.
httplib::Server::Handler guarded(Route route);

// The client a request speaks for: its X-Lab-Client header (the page sends
// one per tab), else "anonymous". Caps on runs are per client.
std::string client_of(const httplib::Request& req);

}  // namespace handgrad::lab
