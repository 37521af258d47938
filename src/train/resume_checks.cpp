#include "resume_checks.h"

#include <filesystem>

#include "handgrad/core/error.h"
#include "handgrad/data/dataset.h"
#include "handgrad/kernels/path.h"

namespace handgrad {

namespace {
std::string absolute(const std::string& p) {
  std::error_code ec;
  const auto a = std::filesystem::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

void check_one(const std::string& what, const std::string& recorded, const Dataset& d,
               const std::string& dir) {
  if (recorded.empty()) return;
  const std::string now = content_hash(d);
  if (now == recorded) return;
  throw Error(dir + "/state.json: the " + what + " data " + d.name + " (" +
              std::to_string(d.size()) + " samples, content hash " + now +
              ") is not the data the run started with (content hash " + recorded +
              "); resume with the same data, or start a new run");
}
}  // namespace

void absolutize_data_paths(DataArgs& d) {
  if (d.data.size() > 4 && d.data.ends_with(".csv")) d.data = absolute(d.data);
  if (!d.test_data.empty()) d.test_data = absolute(d.test_data);
  if (!d.data_dir.empty()) d.data_dir = absolute(d.data_dir);
}

void check_resumed_data(const TrainState& st, const TrainTest& data, const std::string& dir) {
  check_one("training", st.train_hash, data.train, dir);
  check_one("test", st.test_hash, data.test, dir);
}

std::string note_kernel_path(TrainState& st, bool resuming) {
  const std::string now = kernel_path();
  if (!resuming || st.kernels.empty()) {
    st.kernels = now;
    return "";
  }
  if (st.kernels == now) return "";
  const std::string before = st.kernels;
  st.kernels = before + "+" + now;  // a mixed run stays marked as one
  return "resumed on the " + now + " kernel path but the run ran on " + before +
         ": the result is no longer bit-identical to an uninterrupted run";
}

}  // namespace handgrad
