#pragma once
// The fast float32 kernels behind the training step, one table per SIMD
// level (AVX-512, AVX2+FMA, plain SSE2), picked at run time from the CPU's
// features. The layers' reference passes (src/layers/) stay the definition of
// what each kernel computes; tests/test_fast_kernels.cpp compares the two.
//
// Layout conventions the kernels share:
//  - "wide" image planes: a convolution with stride 1 over an input with
//    row length Wp is computed at every flat position p = y*Wp + x of the
//    input plane, so that each tap (i, j) is one contiguous load at offset
//    i*Wp + j. Columns x >= Wo of a wide plane are garbage (forward) or must
//    be zero (backward). Planes are padded to a multiple of the vector width.
//  - every buffer a kernel reads past its logical end is allocated with
//    kSlack extra zeroed floats.
#include <cstddef>
#include <vector>

#include "handgrad/kernels/path.h"
#include "kernels/update_rules.h"

namespace handgrad {

inline constexpr int kSlack = 64;  // floats of readable zeros after buffers

struct ConvGeom {
  int C, H, W;      // input plane (unpadded)
  int O, K, pad;    // stride is 1 on the fast path
  int Hp, Wp;       // padded input: H + 2 pad, W + 2 pad
  int Ho, Wo;       // output
  int in_plane;     // floats per padded input channel: Hp*Wp
  int wide_plane;   // floats per wide output channel: Ho*Wp rounded up to 64
  int dpad_margin;  // zeros before a backward dout plane: (K-1)*Wp + K-1
  int dpad_plane;   // floats per backward dout plane (margin + wide + slack)
  int din_plane;    // floats per wide din channel: Hp*Wp rounded up to 64
};
ConvGeom conv_geom(int C, int H, int W, int O, int K, int pad);

struct KernelTable {
  const char* name;  // "avx512", "avx2", "generic"
  int vlen;          // floats per vector

  // xp: (n, C, Hp, Wp) padded input, samples x_stride floats apart;
  // wide: (n, O, wide_plane); weight (O, C, K, K), bias (O).
  void (*conv_fwd)(const ConvGeom& g, const float* weight, const float* bias, const float* xp,
                   size_t x_stride, float* wide, int n);
  // dpad: (n, O, dpad_plane), dout placed at margin + y*Wp + x, zeros elsewhere.
  // dweight (O, C, K, K) and dbias (O) are *added to*.
  void (*conv_bwd_params)(const ConvGeom& g, const float* xp, size_t x_stride, const float* dpad,
                          float* dweight, float* dbias, int n);
  // dxw: (n, C, din_plane) assigned dL/d(padded input) in wide layout.
  void (*conv_bwd_input)(const ConvGeom& g, const float* weight, const float* dpad, float* dxw,
                         int n);

  // C (M, N) = [C +] A (M, K) B (K, N) [+ bias (N)]; A[m][k] = a[m*am + k*ak],
  // B rows ldb apart and readable up to a multiple of vlen, C rows ldc apart.
  void (*gemm)(int M, int N, int K, const float* a, int am, int ak, const float* b, int ldb,
               const float* bias, float* c, int ldc, bool accumulate);

  // y (n, O) = x (n, I) w^T + bias, with w (O, I) as stored.
  void (*linear_fwd)(int n, int O, int I, const float* x, const float* w, const float* bias,
                     float* y);

  // planes of H rows, W apart (planes in_stride apart) -> dense (planes, Ho, Wo),
  // window k, stride s; if relu, the result is max(0, pool).
  // arg: (planes, Ho, Wo) offset i*W + j of the winner from its window's
  // first input (oy*s*W + ox*s).
  void (*maxpool_fwd)(const float* in, int planes, int H, int W, int in_stride, int k, int s,
                      bool relu, float* out, int* arg, int Ho, int Wo);
  // dout: planes dout_stride apart, rows Wo apart. din: planes din_stride
  // apart, rows W apart; dout is routed to the winners (zero where a fused
  // relu saw max <= 0). The first H*W floats of each din plane are assigned,
  // except for 2x2 windows with stride 2, where exactly the window positions
  // are assigned and the rest is left as it was: callers keep it zero.
  void (*maxpool_bwd)(const float* dout, int dout_stride, const float* out, const int* arg,
                      int planes, int H, int W, int din_stride, int k, int s, int Ho, int Wo,
                      bool relu, float* din);

  void (*relu_fwd)(const float* in, float* out, size_t m);
  // din = dout * [y > 0] (y the relu output, or its input: same sign test).
  void (*relu_bwd)(const float* y, const float* dout, float* din, size_t m);
  // y += x (summing per-thread gradients).
  void (*add)(float* y, const float* x, size_t m);

  // torch.optim.SGD, exactly the reference's operations (no fused multiply-add).
  void (*sgd)(float* params, const float* grads, float* v, size_t m, float lr, float mu, float wd,
              bool nesterov);
  // torch.optim.Adam / AdamW: m (exp_avg), v (exp_avg_sq), n values each.
  void (*adam)(float* params, const float* grads, float* m, float* v, size_t n,
               const kernels::AdamScalars<float>& s);
  // torch.optim.RMSprop: sq (square_avg), buf (momentum_buffer; null without momentum).
  void (*rmsprop)(float* params, const float* grads, float* sq, float* buf, size_t n,
                  const kernels::RmspropScalars<float>& s);

  // `iters` rounds of independent multiply-add chains, all registers busy;
  // returns the flops done (the bench's measured peak, per thread).
  double (*fma_peak)(long iters);
};

namespace kernels {
const KernelTable* generic_table();
const KernelTable* avx2_table();
const KernelTable* avx512_table();
// Every table this CPU can run, generic first: what the tests compare
// against the reference layers and what the kernel benchmark times.
std::vector<const KernelTable*> runnable_tables();
}  // namespace kernels

}  // namespace handgrad
