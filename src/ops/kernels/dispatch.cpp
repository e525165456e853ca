#include "float_kernels.hpp"

namespace nabla::detail::kernels {

const FloatKernels* float_kernels_for(CpuLevel level) {
    switch (level) {
        case CpuLevel::baseline: return &kBaselineKernels;
#if defined(NABLA_HAVE_AVX2)
        case CpuLevel::avx2: return &kAvx2Kernels;
#endif
#if defined(NABLA_HAVE_AVX512)
        case CpuLevel::avx512: return &kAvx512Kernels;
#endif
        default: return nullptr;
    }
}

const FloatKernels& float_kernels() {
    static const FloatKernels& chosen = *float_kernels_for(cpu_level());
    return chosen;
}

}  // namespace nabla::detail::kernels
