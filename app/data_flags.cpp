// Which data flags apply to which data source (see data_flags.h): a flag
// the data would not read is refused, so that no run silently differs from
// what its command line says.
#include "data_flags.h"

#include "handgrad/core/error.h"
#include "handgrad/data/generators.h"
#include "handgrad/data/points_source.h"

namespace handgrad::cli {
namespace {

constexpr const char* kDataFlags[] = {"--data",  "--data-dir",  "--test-data",    "--n",
                                      "--noise", "--data-seed", "--test-fraction"};

// "" when `flag` is read for data `a`, else why not. Unknown data names
// are left to load_data(), which lists the known ones.
std::string why_unused(const std::string& flag, const DataArgs& a) {
  const bool idx = a.data == "mnist" || a.data == "fashion-mnist";
  const bool gen = is_generator(a.data);
  const bool csv = !gen && is_points_data(a.data);
  if (!idx && !gen && !csv) return "";
  const std::string name = a.data.substr(0, 200);
  if (flag == "--data-dir" && !idx) return "only for mnist and fashion-mnist, not " + name;
  if (flag == "--test-data" && !csv) {
    return "only for CSV data; " + name +
           (idx ? " has its own test split" : " is split by --test-fraction");
  }
  if ((flag == "--n" || flag == "--noise") && !gen) {
    return "only for the 2-D generators (moons, circles, spirals, xor, blobs), not " + name;
  }
  const bool split = gen || (csv && a.test_data.empty());
  if ((flag == "--test-fraction" || flag == "--data-seed") && !split) {
    return idx ? "not used with " + name + ", which has its own test split"
               : "not used with --test-data (the test set is that file)";
  }
  return "";
}

// The flags given laid over the model's data (the flags win).
DataArgs over_model(const CLI::App& sub, const DataArgs& typed, const DataArgs& model) {
  if (model.data.empty()) return typed;  // the model records none: the flags' defaults
  DataArgs a = model;
  const auto given = [&](const char* f) { return sub.count(f) > 0; };
  if (given("--data-dir")) a.data_dir = typed.data_dir;
  if (given("--test-data")) a.test_data = typed.test_data;
  if (given("--n")) a.n = typed.n;
  if (given("--noise")) a.noise = typed.noise;
  if (given("--data-seed")) a.seed = typed.seed;
  if (given("--test-fraction")) a.test_fraction = typed.test_fraction;
  return a;
}

}  // namespace

DataArgs resolve_data_flags(const CLI::App& sub, const DataArgs& typed, DataFrom from,
                            const DataArgs& model) {
  for (const char* f : kDataFlags) {
    if (from == DataFrom::kResume && sub.count(f) > 0) {
      throw UsageError(std::string(f) +
                       ": not used with --resume (the run's data is fixed in state.json)");
    }
  }
  // < 0 is the "generator's default" sentinel of DataArgs, not a level.
  if (sub.count("--noise") > 0 && !(typed.noise >= 0)) {
    throw UsageError(
        "--noise: must be >= 0 (0: no noise; leave it out for the generator's "
        "default), got " +
        sub.get_option("--noise")->results().front());
  }
  const DataArgs a = from == DataFrom::kModel ? over_model(sub, typed, model) : typed;
  for (const char* f : kDataFlags) {
    if (sub.count(f) == 0) continue;
    if (const std::string why = why_unused(f, a); !why.empty()) {
      throw UsageError(std::string(f) + ": " + why);
    }
  }
  return a;
}

}  // namespace handgrad::cli
