// Baseline x86-64 (SSE2, no FMA) or, elsewhere, the portable vectors.
// Compiled with -march=x86-64 where the build tunes for a newer CPU
// (CMakeLists.txt), so that this level runs on any x86-64.
#include "sgemm_impl.hpp"

namespace nabla::detail::kernels {
const FloatKernels kBaselineKernels = NABLA_FLOAT_KERNELS(CpuLevel::baseline);
}
