// handgrad boundary: draws a trained 2-input model's decision regions and
// boundary over the train and test points (see boundary_plot.h).
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "handgrad/boundary_plot.h"
#include "handgrad/error.h"
#include "handgrad/model_proba.h"
#include "handgrad/points_source.h"
#include "handgrad/safetensors.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string model, out = "boundary.png", title;
  DataArgs data;
  bool no_train = false;
};

int run(Opts o) {
  if (o.model.empty()) throw UsageError("--model: give the model file (.safetensors)");
  LoadedModel m = load_model(o.model);
  if (m.net.input_dims() != Dims{2}) {
    throw UsageError("--model: " + o.model + " takes input " + dims_str(m.net.input_dims()) +
                     "; boundary pictures need a model with 2 inputs");
  }
  const TrainTest tt = load_points(o.data, m.net.num_classes());
  const InputScaling st = input_scaling_from_metadata(m.metadata, 2, o.model);
  const ProbaFn proba = network_proba(m.net, st.mean, st.std);
  BoundaryPlot p;
  const std::string model_name = std::filesystem::path(o.model).filename().string();
  p.title = o.title.empty() ? model_name + " on " + o.data.data : o.title;
  p.classes = m.net.num_classes();
  p.train = o.no_train ? nullptr : &tt.train;
  p.test = &tt.test;
  const double acc = write_boundary_plot(o.out, p, proba);
  std::printf("test accuracy %.4f on %d points%s\nwrote %s\n", acc, tt.test.size(),
              st.mean.empty() ? "" : " (inputs standardised as stored in the model)",
              o.out.c_str());
  return 0;
}

const Register reg{
    {"boundary", "Draw a 2-input model's decision boundary with the train and test points",
     [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("--model", o->model, "trained model (.safetensors)")->required();
       sub.add_option("--data", o->data.data, "moons, circles, spirals, xor, blobs or FILE.csv")
           ->required();
       sub.add_option("--test-data", o->data.test_data, "separate test set (FILE.csv)");
       sub.add_option("--n", o->data.n, "generators: number of points")->capture_default_str();
       sub.add_option("--noise", o->data.noise, "generators: noise (default per generator)");
       sub.add_option("--seed", o->data.seed, "generators and the split: seed")
           ->capture_default_str();
       sub.add_option("--test-fraction", o->data.test_fraction, "share of points for the test set")
           ->capture_default_str();
       sub.add_option("--out", o->out, "PNG file to write")->capture_default_str();
       sub.add_option("--title", o->title, "title line (default: model and data)");
       sub.add_flag("--no-train-points", o->no_train, "draw only the test points");
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
