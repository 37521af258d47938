// The generic kernels: one compilation of the shared kernel sources with
// HG_VLEN = 4 (compile flags for this file are set in CMakeLists.txt).
#define HG_NS generic
#define HG_VLEN 4
#define HG_NAME "generic"
#define HG_TABLE_FN generic_table
#include "kernels/conv_impl.h"
#include "kernels/dense_impl.h"
#include "kernels/pool_impl.h"
#include "kernels/simd.h"
#include "kernels/table_impl.h"
