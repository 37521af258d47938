// The avx2 kernels: one compilation of the shared kernel sources with
// HG_VLEN = 8 (compile flags for this file are set in CMakeLists.txt).
#define HG_NS avx2
#define HG_VLEN 8
#define HG_NAME "avx2"
#define HG_TABLE_FN avx2_table
#include "kernels/conv_impl.h"
#include "kernels/dense_impl.h"
#include "kernels/pool_impl.h"
#include "kernels/simd.h"
#include "kernels/table_impl.h"
