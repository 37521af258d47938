#pragma once
// The lab tests' helpers (namespace handgrad::test, beside test_util.h): a
// lab server on a free loopback port, the two ways the tests talk to it
// (httplib's client, and raw bytes for requests a client library would
// clean up: foreign Host headers, "/../" in the path), and runs created,
// stepped and waited for through the API.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "lab.h"
#include "support/test_util.h"

namespace handgrad::test {

inline constexpr const char* kLabToken = "lab-test-token-0123";

struct LabFixture {
  std::string dir;
  std::unique_ptr<lab::LabServer> server;

  explicit LabFixture(const std::string& name, lab::LabOptions o = {}) {
    dir = temp_dir("lab_" + name);
    o.port = 0;
    o.token = kLabToken;
    o.out_dir = dir + "/runs";
    server = std::make_unique<lab::LabServer>(o);
    server->start();
  }
  ~LabFixture() {
    server->stop();
    std::filesystem::remove_all(dir);
  }
  int port() const { return server->port(); }
  std::unique_ptr<httplib::Client> client(const std::string& lab_client = "") const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kLabToken}};
    if (!lab_client.empty()) h.emplace("X-Lab-Client", lab_client);
    c->set_default_headers(h);
    c->set_read_timeout(30);
    return c;
  }
};

// Sends `request` as it is and returns the status code of the answer (-1: none).
inline int raw_status(int port, const std::string& request, std::string* body = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
    const size_t head = got.find("\r\n\r\n");
    if (head != std::string::npos) {
      const size_t cl = got.find("Content-Length: ");
      if (cl != std::string::npos && cl < head) {
        const size_t len = std::stoul(got.substr(cl + 16));
        if (got.size() >= head + 4 + len) break;
      }
    }
  }
  ::close(fd);
  if (got.rfind("HTTP/1.1 ", 0) != 0) return -1;
  if (body) *body = got.substr(std::min(got.size(), got.find("\r\n\r\n") + 4));
  return std::stoi(got.substr(9, 3));
}

inline std::string get_request(const std::string& target, const std::string& host,
                               const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + kLabToken +
         "\r\n" + extra + "Connection: close\r\n\r\n";
}

inline nlohmann::json json_of(const httplib::Result& r) {
  EXPECT_TRUE(r) << "no answer";
  if (!r) return {};
  return nlohmann::json::parse(r->body);
}

// Polls GET /api/runs/ID until its state is `state` (or 60 s pass).
inline nlohmann::json wait_state(httplib::Client& c, const std::string& id,
                                 const std::string& state) {
  nlohmann::json j;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < end) {
    auto r = c.Get("/api/runs/" + id);
    if (r && r->status == 200) {
      j = nlohmann::json::parse(r->body);
      if (j["state"] == state) return j;
      if (j["state"] == "error") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "run " << id << " did not reach '" << state << "': " << j.dump();
  return j;
}

// POST /api/runs; the new run's id ("" after a failure, which is reported).
inline std::string create(httplib::Client& c, const nlohmann::json& settings) {
  auto r = c.Post("/api/runs", settings.dump(), "application/json");
  EXPECT_TRUE(r);
  if (!r) return "";
  EXPECT_EQ(r->status, 201) << r->body;
  return nlohmann::json::parse(r->body).value("id", "");
}

inline nlohmann::json control(httplib::Client& c, const std::string& id,
                              const nlohmann::json& body) {
  auto r = c.Post("/api/runs/" + id + "/control", body.dump(), "application/json");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  return r ? nlohmann::json::parse(r->body) : nlohmann::json();
}

// Polls until the run is paused at `step` (or 30 s pass).
inline nlohmann::json wait_step(httplib::Client& c, const std::string& id, long step) {
  nlohmann::json j;
  for (int i = 0; i < 3000; ++i) {
    j = nlohmann::json::parse(c.Get("/api/runs/" + id)->body);
    if (j["step"] == step && j["state"] == "paused") return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "run did not stop at step " << step << ": " << j.dump();
  return j;
}

}  // namespace handgrad::test
