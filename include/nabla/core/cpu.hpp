#pragma once
// The instruction-set level nabla's float kernels run at, chosen once from
// cpuid at the first kernel call: the best of baseline x86-64 (SSE2),
// AVX2+FMA and AVX-512F that both the CPU and this build support. The
// environment variable NABLA_CPU=baseline|avx2|avx512 forces a level; an
// unknown level, or one this CPU (or build) cannot run, is a ValueError that
// names it and what is available (docs/deploy.md, "CPU levels").
#include <string>
#include <vector>

namespace nabla {

enum class CpuLevel { baseline, avx2, avx512 };

// The level in use ("baseline", "avx2" or "avx512" by cpu_level_name).
CpuLevel cpu_level();
const char* cpu_level_name(CpuLevel level);
// The levels this CPU can run and this build has kernels for, lowest first.
std::vector<CpuLevel> supported_cpu_levels();
// One line for diagnostics, e.g. "avx2 (supported: baseline avx2)".
std::string cpu_description();

}  // namespace nabla
