#include "lab_http.h"

#include <cctype>

namespace handgrad::lab {

using nlohmann::json;

void reply_json(httplib::Response& res, const json& j, int status) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  // NaN (a loss before the first step) is written as null. The charset
  // keeps httplib from brotli-compressing the body (it compresses exactly
  // "application/json"), which took 0.5 s for a 250 kB view on loopback.
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void reply_error(httplib::Response& res, int status, const std::string& message,
                 const std::string& field) {
  json j = {{"error", message}, {"status", status}};
  if (!field.empty()) j["field"] = field;
  reply_json(res, j, status);
}

json body_json(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  try {
    return json::parse(req.body);
  } catch (const json::exception& e) {
    throw ApiError(400, std::string("the body is not JSON: ") + e.what());
  }
}

int int_param(const httplib::Request& req, const char* name, int dflt, int lo, int hi) {
  if (!req.has_param(name)) return dflt;
  const std::string v = req.get_param_value(name);
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < lo || x > hi) {
    throw ApiError(400,
                   std::string(name) + ": must be an integer in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "], got '" + v + "'",
                   name);
  }
  return static_cast<int>(x);
}

httplib::Server::Handler guarded(Route route) {
  return [route = std::move(route)](const httplib::Request& req, httplib::Response& res) {
    try {
      route(req, res);
    } catch (const ApiError& e) {
      reply_error(res, e.status(), e.what(), e.field());
    } catch (const UsageError& e) {
      const ApiError a = from_usage_error(e);
      reply_error(res, a.status(), a.what(), a.field());
    } catch (const Error& e) {
      reply_error(res, 400, e.what());
    } catch (const json::exception& e) {
      reply_error(res, 400, std::string("bad JSON value: ") + e.what());
    } catch (const std::exception& e) {
      reply_error(res, 500, std::string("internal error: ") + e.what());
    }
  };
}

std::string client_of(const httplib::Request& req) {
  std::string c = req.get_header_value("X-Lab-Client");
  if (c.empty() || c.size() > 64) return "anonymous";
  for (char ch : c) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') return "anonymous";
  }
  return c;
}

}  // namespace handgrad::lab
