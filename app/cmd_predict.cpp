// handgrad predict: the top classes, with probabilities, for image files.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"
#include "handgrad/model/model_file.h"
#include "handgrad/pictures/image.h"
#include "handgrad/train/step_runner.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string model;
  std::vector<std::string> images;
  bool invert = false, json = false;
  int top = 3;
  std::string fit = "auto";
};

// auto: MNIST's framing for models trained on MNIST (their metadata says
// so), the whole picture for anything else (Fashion-MNIST fills its field).
Fit choose_fit(const Opts& o, const LoadedModel& m) {
  if (o.fit == "stretch") return Fit::stretch;
  if (o.fit == "mnist") return Fit::mnist;
  const auto d = m.metadata.find("data");
  return d != m.metadata.end() && d->second == "mnist" ? Fit::mnist : Fit::stretch;
}

int run(const Opts& o) {
  if (o.top < 1) throw UsageError("--top: must be >= 1");
  if (o.fit != "auto" && o.fit != "mnist" && o.fit != "stretch") {
    throw UsageError("--fit: '" + o.fit + "' is not auto, mnist or stretch");
  }
  LoadedModel m = load_model(o.model);
  const Fit fit = choose_fit(o, m);
  const Dims in = m.net.input_dims();
  if (in.size() != 3 || in[0] != 1) {
    throw UsageError(o.model + ": the model takes inputs of shape " + dims_str(in) +
                     ", not 1xHxW grayscale images");
  }
  const int k = m.net.num_classes(), top = std::min(o.top, k);
  StepRunner runner(m.net, 1);
  nlohmann::json all = nlohmann::json::array();
  std::vector<float> logits(static_cast<size_t>(k)), probs(static_cast<size_t>(k));
  for (const auto& path : o.images) {
    const GrayImage img = read_gray_image(path);
    // A blank or one-colour picture got a confident digit before.
    const std::vector<float> seen = composite(img, o.invert);
    if (std::all_of(seen.begin(), seen.end(), [&](float v) { return v == seen[0]; })) {
      throw Error(path +
                  ": the image is empty (every pixel has the same value); nothing to classify");
    }
    std::vector<float> x = to_model_input(img, in[1], in[2], o.invert, fit);  // (1, H, W)
    runner.predict(x.data(), 1, logits.data());
    softmax<float>(logits.data(), 1, k, probs.data());
    std::vector<int> order(static_cast<size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probs[a] > probs[b]; });
    std::printf("%s:", path.c_str());
    nlohmann::json tops = nlohmann::json::array();
    for (int i = 0; i < top; ++i) {
      const int c = order[static_cast<size_t>(i)];
      std::printf("%s %d (%.3f)", i ? "," : "", c, probs[static_cast<size_t>(c)]);
      tops.push_back({{"class", c}, {"probability", probs[static_cast<size_t>(c)]}});
    }
    std::printf("\n");
    all.push_back({{"image", path}, {"prediction", order[0]}, {"top", tops}});
  }
  if (o.json)
    std::printf("%s\n", nlohmann::json{{"model", o.model},
                                       {"fit", fit == Fit::mnist ? "mnist" : "stretch"},
                                       {"predictions", all}}
                            .dump()
                            .c_str());
  return 0;
}

const Register reg{
    {"predict", "Classify image files (PNG or PGM) with a saved model", [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("--model", o->model, "model.safetensors")->required();
       sub.add_option("images", o->images, "PNG or PGM files")->required();
       sub.add_flag("--invert", o->invert, "black-on-white drawings (MNIST is white on black)");
       sub.add_option("--fit", o->fit,
                      "mnist: crop to the drawing, 20x20 box, centred by mass, as MNIST's "
                      "digits; stretch: the whole picture; auto: mnist for MNIST models")
           ->capture_default_str();
       sub.add_option("--top", o->top, "classes listed per image")->capture_default_str();
       sub.add_flag("--json", o->json, "JSON summary as the last line");
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
