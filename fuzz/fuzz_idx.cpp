// libFuzzer entry; the harness is in harness_idx.h.
#include "harness_idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  handgrad::fuzz::run_idx(data, size);
  return 0;
}
