// libFuzzer entry; the harness is in harness_safetensors.h.
#include "harness_safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  handgrad::fuzz::run_safetensors(data, size);
  return 0;
}
