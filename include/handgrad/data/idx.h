#pragma once
// IDX files (MNIST's format), raw or gzip-compressed, and the MNIST /
// Fashion-MNIST locations.
#include <string>

#include "handgrad/data/dataset.h"

namespace handgrad {

// Reads an images file (magic 2051) and a labels file (magic 2049), raw or
// .gz. Validates magic numbers, dimensions, counts, the file size against the
// header's claim (before allocating), and labels < num_classes. Images
// become float32 in [0, 1]. Throws Error naming the file and the problem.
Dataset load_idx(const std::string& images_path, const std::string& labels_path,
                 int num_classes = 10);

// Where --data mnist / fashion-mnist looks: --data-dir DIR, then
// $HANDGRAD_DATA/<name>, then ~/.cache/handgrad/<name> (mnist); for
// fashion-mnist also Debian's dataset-fashion-mnist install folder.
// Returns the first folder holding the four standard files (raw or .gz).
// Throws Error saying exactly how to get them when none does.
std::string find_dataset_dir(const std::string& name, const std::string& data_dir);

// Loads the "train" or "test" split of mnist or fashion-mnist from `dir`.
Dataset load_mnist_split(const std::string& dir, const std::string& split);

}  // namespace handgrad
