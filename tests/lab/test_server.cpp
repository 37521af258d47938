// The lab server's guards, through its HTTP API: token, Host, traversal,
// body size, runs per client, and many clients and streams at once.
#include <atomic>
#include <future>
#include <vector>

#include "support/lab_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h, support/lab_util.h)

namespace handgrad {
namespace {

using nlohmann::json;

TEST(LabApi, TokenMissingIs401WrongIs403) {
  LabFixture lab("token");
  httplib::Client c("127.0.0.1", lab.port());
  auto r = c.Get("/api/layers");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(json::parse(r->body).contains("error"));
  r = c.Get("/api/layers", {{"Authorization", "Bearer not-the-token"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = c.Get("/api/layers?token=wrong");
  EXPECT_EQ(r->status, 403);
  r = c.Get(std::string("/api/layers?token=") + test::kLabToken);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/api/layers", {{"Authorization", std::string("Bearer ") + test::kLabToken}});
  ASSERT_EQ(r->status, 200);
  const json j = json::parse(r->body);
  bool relu = false;
  for (const auto& l : j["layers"]) relu |= l["name"] == "relu" && l["category"] == "activation";
  EXPECT_TRUE(relu) << r->body;
  // The page itself is public (it carries no data); the API is not.
  r = c.Get("/");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<html"), std::string::npos);
}

TEST(LabApi, ForeignHostIsRefused) {
  LabFixture lab("host");
  const std::string p = ":" + std::to_string(lab.port());
  std::string body;
  EXPECT_EQ(raw_status(lab.port(), get_request("/api/layers", "evil.example" + p), &body), 403);
  EXPECT_NE(body.find("DNS rebinding"), std::string::npos) << body;
  EXPECT_EQ(raw_status(lab.port(), get_request("/", "attacker.test")), 403);
  EXPECT_EQ(raw_status(lab.port(), get_request("/api/layers", "127.0.0.1:1")), 403);
  EXPECT_EQ(raw_status(lab.port(), get_request("/api/layers", "127.0.0.1" + p)), 200);
  EXPECT_EQ(raw_status(lab.port(), get_request("/api/layers", "localhost" + p)), 200);
}

TEST(LabApi, PathTraversalIs404) {
  LabFixture lab("traversal");
  const std::string host = "127.0.0.1:" + std::to_string(lab.port());
  for (const char* target :
       {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/CMakeLists.txt",
        "/js/..%2f..%2fCMakeLists.txt", "/api/runs/..%2f..%2fetc/model.safetensors",
        "/api/../api/layers", "/..\\..\\etc\\passwd", "/index.html/../../secret"}) {
    std::string body;
    EXPECT_EQ(raw_status(lab.port(), get_request(target, host), &body), 404) << target;
    EXPECT_NE(body.find("\"error\""), std::string::npos) << target << ": " << body;
  }
}

TEST(LabApi, OversizedBodyIs413) {
  lab::LabOptions o;
  o.max_body = 1 << 20;
  LabFixture lab("body", o);
  const std::string big(3u << 20, ' ');
  const std::string req =
      "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(lab.port()) +
      "\r\nAuthorization: Bearer " + test::kLabToken +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(big.size()) +
      "\r\nConnection: close\r\n\r\n" + big;
  std::string body;
  EXPECT_EQ(raw_status(lab.port(), req, &body), 413);
  EXPECT_NE(body.find("\"error\""), std::string::npos) << body;
  // Too many points inside an accepted body: 413 naming the field.
  auto c = lab.client();
  json pts = json::array();
  for (int i = 0; i < 20001; ++i) pts.push_back({0.1 * (i % 7), 0.2, i % 2});
  auto r = c->Post("/api/runs", json{{"points", {{"train", pts}, {"test", {{0, 0, 1}}}}}}.dump(),
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_EQ(json::parse(r->body)["field"], "points.train");
  EXPECT_EQ(lab.client()->Get("/api/layers")->status, 200);  // still up
}

TEST(LabApi, RunsPerClientAreCapped) {
  lab::LabOptions o;
  o.max_runs_per_client = 2;
  LabFixture lab("cap", o);
  auto c = lab.client("tab-a");
  const std::string s = json{{"preset", "seed-2d"}, {"n", 100}}.dump();
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto r = c->Post("/api/runs", s, "application/json");
    ASSERT_EQ(r->status, 201) << r->body;
    ids.push_back(json::parse(r->body)["id"]);
  }
  auto r = c->Post("/api/runs", s, "application/json");
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(lab.client("tab-b")->Post("/api/runs", s, "application/json")->status, 201);
  EXPECT_EQ(c->Delete("/api/runs/" + ids[0])->status, 200);
  EXPECT_EQ(c->Post("/api/runs", s, "application/json")->status, 201);
  EXPECT_EQ(c->Get("/api/runs/" + ids[0])->status, 404);
}

// 50 event streams open at once and 20 clients creating runs at the same
// time: every stream gets its first event, every run is created, and the
// server still answers afterwards. Bounded: every wait below has a deadline.
TEST(LabApi, FiftyStreamsAndTwentyClientsAtOnce) {
  lab::LabOptions o;
  o.max_streams = 60;
  LabFixture lab("load", o);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = lab.client()->Post("/api/runs", json{{"preset", "seed-2d"}, {"n", 200}}.dump(),
                              "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string id = json::parse(r->body)["id"];
  std::atomic<bool> release{false};
  std::atomic<int> opened{0};
  std::vector<std::future<bool>> streams;
  for (int i = 0; i < 50; ++i) {
    streams.push_back(std::async(std::launch::async, [&] {
      auto c = lab.client();
      bool got = false;
      c->Get("/api/runs/" + id + "/events", [&](const char* data, size_t n) {
        if (!got && std::string(data, n).find("data: ") != std::string::npos) {
          got = true;
          ++opened;
        }
        // Hold the stream open until every stream has its first event.
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!release && std::chrono::steady_clock::now() < end) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
      });
      return got;
    }));
  }
  std::vector<std::future<int>> creators;
  for (int i = 0; i < 20; ++i) {
    creators.push_back(std::async(std::launch::async, [&, i] {
      auto c = lab.client("client-" + std::to_string(i));
      auto res = c->Post("/api/runs", json{{"preset", "seed-2d"}, {"n", 100}, {"seed", i}}.dump(),
                         "application/json");
      if (!res) ADD_FAILURE() << "client " << i << ": " << httplib::to_string(res.error());
      return res ? res->status : -1;
    }));
  }
  for (auto& f : creators) EXPECT_EQ(f.get(), 201);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (opened < 50 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(opened.load(), 50);
  // With 50 streams held open, the API still answers.
  auto list = lab.client()->Get("/api/runs");
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body)["runs"].size(), 21u);
  release = true;
  for (auto& f : streams) EXPECT_TRUE(f.get());
  EXPECT_EQ(lab.client()->Get("/api/layers")->status, 200);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 60) << "took " << secs << " s";
}

TEST(LabApi, StreamsAreCapped) {
  lab::LabOptions o;
  o.max_streams = 3;
  LabFixture lab("streamcap", o);
  auto r = lab.client()->Post("/api/runs", json{{"preset", "seed-2d"}, {"n", 100}}.dump(),
                              "application/json");
  const std::string id = json::parse(r->body)["id"];
  std::atomic<bool> release{false};
  std::atomic<int> opened{0};
  std::vector<std::future<void>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::async(std::launch::async, [&] {
      lab.client()->Get("/api/runs/" + id + "/events", [&](const char*, size_t) {
        ++opened;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return false;
      });
    }));
  }
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (opened < 3 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto fourth = lab.client()->Get("/api/runs/" + id + "/events");
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->status, 429) << fourth->body;
  release = true;
  for (auto& f : held) f.get();
}

}  // namespace
}  // namespace handgrad
