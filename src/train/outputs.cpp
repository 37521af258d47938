#include "outputs.h"

#include <cstdio>
#include <filesystem>

#include "handgrad/core/files.h"
#include "handgrad/pictures/plot.h"

namespace handgrad {

namespace {

std::string csv_row(const EvalRow& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%ld,%.6g,%.6g,%.6g,%.6g,%.1f,%.9g\n", r.step, r.epoch,
                r.train_loss, r.test_loss, r.test_accuracy, r.samples_per_second, r.lr);
  return buf;
}

}  // namespace

void write_metrics_csv(const std::string& path, const std::vector<EvalRow>& rows) {
  // lr last: readers of the first six columns keep working.
  std::string s = "step,epoch,train_loss,test_loss,test_accuracy,samples_per_second,lr\n";
  for (const auto& r : rows) s += csv_row(r);
  // state.json holds the history a resume needs: no fsync.
  write_file_atomic(path, s, Durability::rewritable);
}

void MetricsCsv::update(const std::vector<EvalRow>& rows) {
  if (rows.empty()) return;
  if (started_) {
    append_file(path_, csv_row(rows.back()));
    return;
  }
  write_metrics_csv(path_, rows);
  started_ = true;
}

std::string completion_note(const std::string& dir, long steps, bool two_d) {
  std::vector<std::string> plots = {"loss.png", "accuracy.png", "confusion.png"};
  if (two_d) plots.push_back("boundary.png");
  std::string missing;
  for (const auto& p : plots) {
    std::error_code ec;
    if (!std::filesystem::exists(dir + "/" + p, ec)) missing += (missing.empty() ? "" : ", ") + p;
  }
  return dir + " had finished its " + std::to_string(steps) + " steps; redrew its plots (" +
         (missing.empty() ? "none was missing" : "missing: " + missing) +
         "); the model and checkpoint are unchanged";
}

void write_run_plots(const std::string& dir, const TrainResult& r, const std::string& title) {
  Series train_loss{"train loss (running mean)", {}, {}, palette(0), false};
  Series test_loss{"test loss", {}, {}, palette(1)};
  Series acc{"test accuracy", {}, {}, palette(2)};
  for (const auto& h : r.history) {
    test_loss.x.push_back(h.epoch);
    test_loss.y.push_back(h.test_loss);
    acc.x.push_back(h.epoch);
    acc.y.push_back(h.test_accuracy);
  }
  for (const auto& [epoch, value] : r.train_curve) {
    train_loss.x.push_back(epoch);
    train_loss.y.push_back(value);
  }
  LineChart loss{"Loss: " + title, "epoch", r.loss_title + " loss", {train_loss, test_loss}};
  loss.x_from_zero = loss.y_from_zero = true;
  write_line_chart(dir + "/loss.png", loss);
  char t[160];
  std::snprintf(t, sizeof t, "Test accuracy: %s (final %.4f)", title.c_str(), r.test_accuracy);
  LineChart accuracy{t, "epoch", "test accuracy", {acc}};
  accuracy.x_from_zero = true;
  write_line_chart(dir + "/accuracy.png", accuracy);
  long n = 0;
  for (const auto& row : r.confusion) {
    for (long v : row) n += v;
  }
  std::snprintf(t, sizeof t, "Confusion matrix: %ld test samples, accuracy %.4f", n,
                r.test_accuracy);
  write_confusion_png(dir + "/confusion.png", r.confusion, t);
}

}  // namespace handgrad
