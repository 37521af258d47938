#include "boundary_output.h"

#include "handgrad/pictures/boundary_plot.h"
#include "handgrad/train/model_proba.h"

namespace handgrad {
namespace {

// Undoes (x - mean) / std on a copy, for drawing in the data's own units.
Dataset original_units(const Dataset& d, const Standardizer& s) {
  Dataset out = d;
  if (s.empty()) return out;
  const size_t f = s.mean.size();
  for (size_t i = 0; i < out.x.size(); ++i) out.x[i] = out.x[i] * s.std[i % f] + s.mean[i % f];
  return out;
}

}  // namespace

void write_run_boundary(const std::string& dir, const Network<float>& net, const Standardizer& stdz,
                        const TrainTest& data, const std::string& title) {
  if (net.input_dims() != Dims{2}) return;
  const Dataset train = original_units(data.train, stdz), test = original_units(data.test, stdz);
  BoundaryPlot p;
  p.title = title;
  p.classes = net.num_classes();
  p.train = &train;
  p.test = &test;
  write_boundary_plot(dir + "/boundary.png", p, network_proba(net, stdz));
}

}  // namespace handgrad
