// AVX-512F: 16-wide, 6×32 register tile. Compiled with -mavx512f -mavx2
// -mfma (CMakeLists.txt); called only where cpuid reports AVX-512F.
#include "sgemm_impl.hpp"

#if !defined(__AVX512F__)
#error "sgemm_avx512.cpp must be compiled with -mavx512f"
#endif

namespace nabla::detail::kernels {
const FloatKernels kAvx512Kernels = NABLA_FLOAT_KERNELS(CpuLevel::avx512);
}
