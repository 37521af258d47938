#include "boundary_output.h"

#include "handgrad/pictures/boundary_plot.h"
#include "handgrad/train/model_proba.h"

namespace handgrad {

void write_run_boundary(const std::string& dir, const Network<float>& net, const TrainTest& data,
                        const std::string& title) {
  if (net.input_dims() != Dims{2}) return;
  BoundaryPlot p;
  p.title = title;
  p.classes = net.num_classes();
  p.train = &data.train;
  p.test = &data.test;
  write_boundary_plot(dir + "/boundary.png", p, network_proba(net));
}

}  // namespace handgrad
