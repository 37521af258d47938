// handgrad boundary: draws a trained 2-input model's decision regions and
// boundary over the train and test points (see boundary_plot.h). Without
// --data it redraws the data the model was trained on (from its metadata).
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "data_flags.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/data/points_source.h"
#include "handgrad/model/model_file.h"
#include "handgrad/pictures/boundary_plot.h"
#include "handgrad/train/model_proba.h"
#include "handgrad/train/trainer.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string model, out = "boundary.png", title;
  DataArgs data;
  bool no_train = false;
};

int run(Opts o, const CLI::App& sub, bool data_given) {
  refuse_overwriting_inputs(
      {{"--model", o.model}, {"--data", o.data.data}, {"--test-data", o.data.test_data}},
      {{"--out", o.out}});
  LoadedModel m = load_model(o.model);
  if (m.net.input_dims() != Dims{2}) {
    throw UsageError("--model: " + o.model + " takes input " + dims_str(m.net.input_dims()) +
                     "; boundary pictures need a model with 2 inputs");
  }
  if (data_given) {
    o.data = resolve_data_flags(sub, o.data, DataFrom::kFlags);
  } else {
    o.data = resolve_data_flags(sub, o.data, DataFrom::kModel, data_args_from_metadata(m.metadata));
    if (!is_points_data(o.data.data)) {
      throw UsageError("--data: " + o.model +
                       " does not record 2-D training data; give --data NAME or FILE.csv");
    }
  }
  const TrainTest tt = load_points(o.data, m.net.num_classes());
  const ProbaFn proba = network_proba(m.net);
  BoundaryPlot p;
  const std::string model_name = std::filesystem::path(o.model).filename().string();
  p.title = o.title.empty() ? model_name + " on " + o.data.data : o.title;
  p.classes = m.net.num_classes();
  p.train = o.no_train ? nullptr : &tt.train;
  p.test = &tt.test;
  const double acc = write_boundary_plot(o.out, p, proba);
  std::printf("test accuracy %.4f on %d points%s\nwrote %s\n", acc, tt.test.size(),
              m.net.input_norm().empty() ? "" : " (inputs standardised as stored in the model)",
              o.out.c_str());
  return 0;
}

const Register reg{
    {"boundary", "Draw a 2-input model's decision boundary with the train and test points",
     [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("--model", o->model, "trained model (.safetensors)")->required();
       CLI::Option* data = add_data_flags(sub, o->data);
       data->description(
           "moons, circles, spirals, xor, blobs or FILE.csv (default: the data "
           "the model was trained on)");
       sub.add_option("--out", o->out, "PNG file to write")->capture_default_str();
       sub.add_option("--title", o->title, "title line (default: model and data)");
       sub.add_flag("--no-train-points", o->no_train, "draw only the test points");
       return [o, data, &sub] { return run(*o, sub, data->count() > 0); };
     }}};

}  // namespace
}  // namespace handgrad::cli
