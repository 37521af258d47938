// libFuzzer entry; the harness is in harness_image.h.
#include "harness_image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  handgrad::fuzz::run_image(data, size);
  return 0;
}
