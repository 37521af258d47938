#pragma once
// The KernelTable of one SIMD level. Included last by kernels_<isa>.cpp.
#include "handgrad/kernels.h"
#include "kernels/conv_impl.h"
#include "kernels/dense_impl.h"
#include "kernels/pool_impl.h"

namespace handgrad::kernels {

const KernelTable* HG_TABLE_FN() {
  namespace k = HG_NS;
  static const KernelTable t = {
      HG_NAME,       k::VL,          k::conv_fwd,    k::conv_bwd_params, k::conv_bwd_input, k::gemm,
      k::linear_fwd, k::maxpool_fwd, k::maxpool_bwd, k::relu_fwd,        k::relu_bwd,       k::add,
      k::sum,        k::sgd,         k::fma_peak,
  };
  return &t;
}

}  // namespace handgrad::kernels
