// libFuzzer entry; the harness is in harness_csv.h.
#include "harness_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  handgrad::fuzz::run_csv(data, size);
  return 0;
}
