#pragma once
// The KernelTable of one SIMD level, filled by name. Included last by
// kernels_<isa>.cpp, which defines HG_NS, HG_NAME and HG_TABLE_FN.
#include "kernels/conv_impl.h"
#include "kernels/dense_impl.h"
#include "kernels/kernels.h"
#include "kernels/pool_impl.h"

namespace handgrad::kernels {

const KernelTable* HG_TABLE_FN() {
  namespace k = HG_NS;
  static const KernelTable t = {
      .name = HG_NAME,
      .vlen = k::VL,
      .conv_fwd = k::conv_fwd,
      .conv_bwd_params = k::conv_bwd_params,
      .conv_bwd_input = k::conv_bwd_input,
      .gemm = k::gemm,
      .linear_fwd = k::linear_fwd,
      .maxpool_fwd = k::maxpool_fwd,
      .maxpool_bwd = k::maxpool_bwd,
      .relu_fwd = k::relu_fwd,
      .relu_bwd = k::relu_bwd,
      .add = k::add,
      .sgd = k::sgd,
      .adam = k::adam,
      .rmsprop = k::rmsprop,
      .fma_peak = k::fma_peak,
  };
  return &t;
}

}  // namespace handgrad::kernels
