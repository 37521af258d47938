// A run's JSON settings: every bad one is a 400 (or 413) naming its field.
#include "support/lab_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h, support/lab_util.h)

namespace handgrad {
namespace {

using nlohmann::json;

TEST(LabApi, BadSettingsNameTheField) {
  LabFixture lab("settings");
  auto c = lab.client();
  const auto field_of = [&](const json& settings, int status) {
    auto r = c->Post("/api/runs", settings.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return std::string();
    EXPECT_EQ(r->status, status) << settings.dump() << " -> " << r->body;
    const json j = json::parse(r->body);
    EXPECT_TRUE(j.contains("error")) << r->body;
    return j.value("field", std::string());
  };
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"lr", -1}}, 400), "lr");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"batch_size", 0}}, 400), "batch_size");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"momentum", -0.5}}, 400), "momentum");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"clip_grad_norm", -1}}, 400), "clip_grad_norm");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"normalize", true}}, 400), "normalize");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"test_fraction", 1.5}}, 400), "test_fraction");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"seed_settings", true}, {"arch", "linear(2)"}}, 400),
            "seed_settings");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"data_dir", "/etc"}}, 400), "data_dir");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"init", "/etc/passwd"}}, 400), "init");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"data", "/etc/passwd.csv"}}, 400), "data");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"bogus", 1}}, 400), "bogus");
  EXPECT_EQ(
      field_of({{"arch", "linear(4096) relu linear(4096) relu linear(2)"}, {"data", "moons"}}, 413),
      "arch");
  EXPECT_EQ(field_of({{"arch", "linear(8) relu linear("}, {"data", "moons"}}, 400), "arch");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"epochs", 2}, {"iterations", 3}}, 400), "iterations");
  // The optimizers, losses and schedules of the tables, as train's flags.
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"optimizer", "adagrad"}}, 400), "optimizer");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"optimizer", "adam"}, {"momentum", 0.5}}, 400),
            "momentum");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"optimizer", "adam"}, {"beta2", 1.5}}, 400), "beta2");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"loss", "hinge"}}, 400), "loss");
  EXPECT_EQ(field_of({{"preset", "seed-2d"}, {"lr_schedule", "linear"}}, 400), "lr_schedule");
  auto r = c->Post("/api/runs", "{not json", "application/json");
  EXPECT_EQ(r->status, 400);
  r = c->Post("/api/runs/nope-1/control", R"({"action":"play"})", "application/json");
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace handgrad
