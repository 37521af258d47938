// The lab's HTTP server: the guards every request passes (Host, path,
// token), the embedded page, and start/stop.
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>
#include <thread>

#include "handgrad/core/files.h"
#include "lab.h"
#include "lab_assets.h"
#include "lab_http.h"
#include "lab_routes.h"

namespace handgrad::lab {

using httplib::Request;
using httplib::Response;
using HR = httplib::Server::HandlerResponse;

namespace {

std::string random_token() {
  std::random_device rd;  // /dev/urandom
  std::string t;
  for (int i = 0; i < 4; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    t += buf;
  }
  return t;
}

// "192.168.1.5:8765": an IPv4 literal (which DNS rebinding cannot fake) and the port.
bool ipv4_host(const std::string& host, const std::string& port) {
  const size_t colon = host.rfind(':');
  if (colon == std::string::npos || host.substr(colon) != port) return false;
  int dots = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (host[i] == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(host[i]))) {
      return false;
    }
  }
  return dots == 3;
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

// Same length and bytes, in time that does not depend on where they differ.
bool same_token(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

// A path naming a parent folder, however it was spelled (httplib has
// already decoded %2e%2e into "..").
bool traverses(const std::string& path) {
  return path.find("..") != std::string::npos || path.find('\\') != std::string::npos ||
         path.find('\0') != std::string::npos;
}

// Debian's cpp-httplib 0.11 listens with a backlog of 5 (compiled into the
// library): 20 clients connecting at once overflow it, and the kernel drops
// their handshakes until TCP retries. A second listen() on the bound socket
// raises the backlog (Linux allows it); the socket is the one listening on
// `port`.
void widen_backlog(int port) {
  for (int fd = 3; fd < 4096; ++fd) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) {
      continue;
    }
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int p = -1;
    if (addr.ss_family == AF_INET) p = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) p = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (p == port) ::listen(fd, 256);
  }
}

}  // namespace

struct LabServer::Impl {
  LabOptions o;
  std::unique_ptr<LabState> state;
  httplib::Server svr;
  std::thread listener;
  std::vector<std::string> hosts;  // accepted Host header values
  std::atomic<bool> stopped{false};
  int port = 0;

  HR guard(const Request& req, Response& res);
  void serve_asset(const Request& req, Response& res);
};

HR LabServer::Impl::guard(const Request& req, Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  const std::string host = req.get_header_value("Host");
  const bool any = o.host == "0.0.0.0" && ipv4_host(host, ":" + std::to_string(port));
  if (!any && std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
    reply_error(res, 403,
                "Host '" + host + "' is not this lab's address (" + hosts.front() +
                    "); refused against DNS rebinding");
    return HR::Handled;
  }
  if (traverses(req.path) || traverses(req.target)) {
    reply_error(res, 404, "not found");
    return HR::Handled;
  }
  if (req.path.rfind("/api/", 0) != 0) return HR::Unhandled;
  std::string token;
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) {
    token = auth.substr(7);
  } else if (req.has_param("token")) {
    token = req.get_param_value("token");
  }
  if (token.empty()) {
    res.set_header("WWW-Authenticate", "Bearer");
    reply_error(res, 401, "the API needs the lab's token (?token= or Authorization: Bearer)");
    return HR::Handled;
  }
  if (!same_token(token, o.token)) {
    reply_error(res, 403, "wrong token");
    return HR::Handled;
  }
  return HR::Unhandled;
}

void LabServer::Impl::serve_asset(const Request& req, Response& res) {
  std::string path = req.path == "/" ? "index.html" : req.path.substr(1);
  for (const Asset& a : assets()) {
    if (path == a.path) {
      res.set_content(reinterpret_cast<const char*>(a.data), a.size, a.mime);
      res.set_header("Cache-Control", "no-cache");
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                     "connect-src 'self'; frame-ancestors 'none'");
      return;
    }
  }
  reply_error(res, 404, "not found");
}

LabServer::LabServer(LabOptions o) : impl_(std::make_unique<Impl>()) {
  if (o.port < 0 || o.port > 65535) throw FieldError("port", "must be in [0, 65535]");
  if (o.token.empty()) o.token = random_token();
  if (o.token.size() < 8) throw FieldError("token", "at least 8 characters");
  if (o.out_dir.empty()) o.out_dir = "runs/lab-" + utc_stamp();
  o.out_dir = std::filesystem::absolute(o.out_dir).lexically_normal().string();
  if (!o.data_dir.empty() && !std::filesystem::is_directory(o.data_dir)) {
    throw FieldError("data_dir", "'" + o.data_dir + "' is not a folder");
  }
  impl_->o = o;
  impl_->state = std::make_unique<LabState>(impl_->o);
  if (!o.model.empty()) {
    // A run folder stands for its model.safetensors.
    std::string file = o.model;
    if (std::filesystem::is_directory(file)) file += "/model.safetensors";
    try {
      impl_->state->open_model_file(file, "model", std::filesystem::path(o.model).filename());
    } catch (const Error& e) {
      throw FieldError("model", e.what());
    }
  }
}

LabServer::~LabServer() {
  stop();
}

void LabServer::start() {
  Impl& m = *impl_;
  make_dirs(m.o.out_dir);
  // One thread per open stream, and room for the other requests beside them.
  const size_t pool = static_cast<size_t>(m.o.max_streams) + 32;
  m.svr.new_task_queue = [pool] { return new httplib::ThreadPool(pool); };
  m.svr.set_payload_max_length(m.o.max_body);
  m.svr.set_keep_alive_timeout(3);
  m.svr.set_read_timeout(10);
  m.svr.set_write_timeout(10);
  m.svr.set_pre_routing_handler(
      [&m](const Request& req, Response& res) { return m.guard(req, res); });
  m.svr.set_error_handler(httplib::Server::HandlerWithResponse([](const Request&, Response& res) {
    if (!res.body.empty()) return HR::Unhandled;
    const int s = res.status;
    reply_error(res, s,
                s == 413   ? "the request body is larger than the lab accepts"
                : s == 404 ? "not found"
                           : "HTTP error " + std::to_string(s));
    return HR::Handled;
  }));
  add_run_routes(m.svr, *m.state);
  add_model_routes(m.svr, *m.state);
  m.svr.Get(R"(/[A-Za-z0-9_./-]*)",
            [&m](const Request& req, Response& res) { m.serve_asset(req, res); });
  if (m.o.port == 0) {
    m.port = m.svr.bind_to_any_port(m.o.host);
    if (m.port <= 0) throw Error("--host: cannot listen on " + m.o.host);
  } else {
    if (!m.svr.bind_to_port(m.o.host, m.o.port)) {
      throw Error("--port: cannot listen on " + m.o.host + ":" + std::to_string(m.o.port) +
                  " (in use? try --port 0 for any free port)");
    }
    m.port = m.o.port;
  }
  const std::string p = ":" + std::to_string(m.port);
  const std::string h = m.o.host.find(':') != std::string::npos ? "[" + m.o.host + "]" : m.o.host;
  m.hosts = {h + p};
  if (is_loopback(m.o.host) || m.o.host == "0.0.0.0") {
    for (const char* alias : {"127.0.0.1", "localhost", "[::1]"}) m.hosts.push_back(alias + p);
  }
  widen_backlog(m.port);
  m.listener = std::thread([&m] { m.svr.listen_after_bind(); });
  // stop() before the loop runs would not reach it: wait until it does.
  for (int i = 0; i < 2000 && !m.svr.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int LabServer::port() const {
  return impl_->port;
}
const std::string& LabServer::token() const {
  return impl_->o.token;
}
const std::string& LabServer::out_dir() const {
  return impl_->o.out_dir;
}

std::string LabServer::url() const {
  const std::string h = impl_->o.host == "0.0.0.0" ? "127.0.0.1" : impl_->hosts.front();
  return "http://" + (impl_->o.host == "0.0.0.0" ? h + ":" + std::to_string(impl_->port) : h) +
         "/?token=" + impl_->o.token;
}

bool LabServer::running() const {
  return impl_->svr.is_running() && !impl_->stopped;
}

void LabServer::stop() {
  Impl& m = *impl_;
  if (m.stopped.exchange(true)) return;
  m.state->stopping = true;
  m.state->stop_all();  // each run stops at its next step; files being written are finished
  m.svr.stop();         // streams see `stopping` within one poll and end
  if (m.listener.joinable()) m.listener.join();
}

}  // namespace handgrad::lab
