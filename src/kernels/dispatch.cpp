// Picks the kernel table for this CPU once, or the one HANDGRAD_KERNELS /
// set_kernel_path() forces ("reference" turns the fast kernels off).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "handgrad/core/error.h"
#include "kernels/kernels.h"

namespace handgrad {

namespace {

bool has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
}
bool has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const KernelTable* pick(const std::string& name) {
  if (name.empty() || name == "auto") {
    if (has_avx512()) return kernels::avx512_table();
    if (has_avx2()) return kernels::avx2_table();
    return kernels::generic_table();
  }
  if (name == "reference") return nullptr;
  if (name == "generic") return kernels::generic_table();
  if (name == "avx2") {
    if (!has_avx2()) throw FieldError("kernels", "this CPU has no AVX2+FMA");
    return kernels::avx2_table();
  }
  if (name == "avx512") {
    if (!has_avx512()) throw FieldError("kernels", "this CPU has no AVX-512 (F, VL, DQ, BW)");
    return kernels::avx512_table();
  }
  throw FieldError("kernels", "unknown kernel path '" + name +
                                  "' (known: auto, avx512, avx2, generic, reference)");
}

const KernelTable* from_env() {
  const char* e = std::getenv("HANDGRAD_KERNELS");
  try {
    return pick(e ? e : "");
  } catch (const FieldError& err) {
    throw UsageError(std::string("HANDGRAD_KERNELS: ") + err.what());
  }
}

std::atomic<const KernelTable*>& current() {
  static std::atomic<const KernelTable*> t{from_env()};
  return t;
}

}  // namespace

std::vector<const KernelTable*> kernels::runnable_tables() {
  std::vector<const KernelTable*> t = {kernels::generic_table()};
  if (has_avx2()) t.push_back(kernels::avx2_table());
  if (has_avx512()) t.push_back(kernels::avx512_table());
  return t;
}

const KernelTable* fast_kernels() {
  return current().load(std::memory_order_relaxed);
}

void set_kernel_path(const std::string& name) {
  current().store(pick(name));
}

const char* kernel_path() {
  const KernelTable* k = fast_kernels();
  return k ? k->name : "reference";
}

namespace {
int round_up(int x, int m) {
  return (x + m - 1) / m * m;
}
}  // namespace

ConvGeom conv_geom(int C, int H, int W, int O, int K, int pad) {
  ConvGeom g{};
  g.C = C;
  g.H = H;
  g.W = W;
  g.O = O;
  g.K = K;
  g.pad = pad;
  g.Hp = H + 2 * pad;
  g.Wp = W + 2 * pad;
  g.Ho = g.Hp - K + 1;
  g.Wo = g.Wp - K + 1;
  g.in_plane = g.Hp * g.Wp;
  g.wide_plane = round_up(g.Ho * g.Wp, 64);
  g.dpad_margin = (K - 1) * g.Wp + K - 1;
  g.din_plane = round_up(g.Hp * g.Wp, 64);
  g.dpad_plane = g.dpad_margin + g.din_plane + kSlack;
  return g;
}

}  // namespace handgrad
