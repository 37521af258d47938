// The avx512 kernels: one compilation of the shared kernel sources with
// HG_VLEN = 16 (compile flags for this file are set in CMakeLists.txt).
#define HG_NS avx512
#define HG_VLEN 16
#define HG_NAME "avx512"
#define HG_TABLE_FN avx512_table
#include "kernels/conv_impl.h"
#include "kernels/dense_impl.h"
#include "kernels/pool_impl.h"
#include "kernels/simd.h"
#include "kernels/table_impl.h"
