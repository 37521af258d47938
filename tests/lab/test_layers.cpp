// What the page's network editor offers: the layer table.
#include "handgrad/layers/layer.h"
#include "support/lab_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h, support/lab_util.h)

namespace handgrad {
namespace {

using nlohmann::json;

// GET /api/layers lists exactly the layer table, with each layer's category
// (the activation dropdown) and its arguments' defaults, as the CLI does.
TEST(LabApi, LayersAreTheLayerTable) {
  LabFixture lab("layers");
  const json j = json_of(lab.client()->Get("/api/layers"));
  ASSERT_EQ(j["layers"].size(), layer_table().size()) << j["layers"].dump();
  for (size_t i = 0; i < layer_table().size(); ++i) {
    const LayerDef& d = *layer_table()[i];
    const json& l = j["layers"][i];
    EXPECT_EQ(l["name"], d.name);
    EXPECT_EQ(l["category"], d.category);
    EXPECT_EQ(l["summary"], d.summary);
    ASSERT_EQ(l["args"].size(), d.args.size()) << d.name;
    for (size_t a = 0; a < d.args.size(); ++a) {
      EXPECT_EQ(l["args"][a]["name"], d.args[a].name);
      EXPECT_EQ(l["args"][a]["required"], !d.args[a].dflt && d.args[a].same_as < 0);
      if (d.args[a].dflt) {
        EXPECT_EQ(l["args"][a]["default"].get<double>(), *d.args[a].dflt);
      }
    }
  }
  // The same table, field for field, as `handgrad layers --json` prints it.
  const CliResult cli = run_cli("layers --json");
  ASSERT_EQ(cli.code, 0) << cli.err;
  EXPECT_EQ(j["layers"], json::parse(cli.out)["layers"]);
  bool relu = false;
  for (const json& l : j["layers"])
    relu = relu || (l["name"] == "relu" && l["category"] == "activation");
  EXPECT_TRUE(relu) << "the playground's default activation";
}

}  // namespace
}  // namespace handgrad
