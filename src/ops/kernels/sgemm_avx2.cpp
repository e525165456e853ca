// AVX2 + FMA: 8-wide, 6×16 register tile. Compiled with -mavx2 -mfma
// (CMakeLists.txt); called only where cpuid reports both (core/cpu.cpp).
#include "sgemm_impl.hpp"

#if !defined(__AVX2__) || !defined(__FMA__)
#error "sgemm_avx2.cpp must be compiled with -mavx2 -mfma"
#endif

namespace nabla::detail::kernels {
const FloatKernels kAvx2Kernels = NABLA_FLOAT_KERNELS(CpuLevel::avx2);
}
