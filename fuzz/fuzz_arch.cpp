// libFuzzer entry; the harness is in harness_arch.h.
#include "harness_arch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  handgrad::fuzz::run_arch(data, size);
  return 0;
}
