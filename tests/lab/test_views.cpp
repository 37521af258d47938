// What the playground draws, against the model file's own numbers.
#include <fstream>

#include "handgrad/data/data_source.h"
#include "handgrad/layers/loss.h"
#include "handgrad/model/model_file.h"
#include "support/lab_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h, support/lab_util.h)

namespace handgrad {
namespace {

using nlohmann::json;

// The playground's views and the exported model see the same raw inputs:
// the network carries its input step (seed-2d standardises), so the heat
// map is the model file's own probabilities at the grid's cell centres, and
// the points are the generator's, unstandardised.
TEST(LabRuns, ViewsSeeRawInputsAsTheModelFileDoes) {
  LabFixture lab("raw");
  auto c = lab.client();
  const std::string id = create(
      *c, {{"preset", "seed-2d"}, {"data", "moons"}, {"n", 200}, {"epochs", 5}, {"play", true}});
  wait_state(*c, id, "finished");
  auto model = c->Get("/api/runs/" + id + "/model.safetensors");
  ASSERT_TRUE(model && model->status == 200);
  const std::string file = lab.dir + "/raw-model.safetensors";
  std::ofstream(file, std::ios::binary) << model->body;
  const LoadedModel m = load_model(file);
  ASSERT_FALSE(m.net.input_norm().empty()) << "seed-2d standardises its inputs";

  const int res = 9;
  const json b = json::parse(c->Get("/api/runs/" + id + "/boundary?res=9")->body);
  ASSERT_EQ(b["probs"].size(), static_cast<size_t>(res * res * 2)) << b.dump();
  const double x0 = b["x0"], x1 = b["x1"], y0 = b["y0"], y1 = b["y1"];
  std::vector<float> grid;
  for (int r = 0; r < res; ++r) {
    for (int col = 0; col < res; ++col) {
      grid.push_back(static_cast<float>(x0 + (col + 0.5) * (x1 - x0) / res));
      grid.push_back(static_cast<float>(y1 - (r + 0.5) * (y1 - y0) / res));
    }
  }
  Workspace<float> ws;
  const float* logits = m.net.forward(grid.data(), res * res, ws);
  std::vector<float> probs(grid.size());
  softmax(logits, res * res, 2, probs.data());
  for (size_t i = 0; i < probs.size(); ++i) {
    ASSERT_NEAR(b["probs"][i].get<double>(), probs[i], 1e-4) << "grid value " << i;
  }

  DataArgs a;
  a.data = "moons";
  a.n = 200;
  const TrainTest data = load_data(a);
  const json pts = json::parse(c->Get("/api/runs/" + id + "/points")->body);
  ASSERT_EQ(pts["train"].size(), static_cast<size_t>(data.train.size()));
  for (int i = 0; i < data.train.size(); ++i) {
    ASSERT_EQ(pts["train"][i][0].get<float>(), data.train.sample(i)[0]) << "point " << i;
    ASSERT_EQ(pts["train"][i][1].get<float>(), data.train.sample(i)[1]) << "point " << i;
  }
}

}  // namespace
}  // namespace handgrad
