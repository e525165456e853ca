#include "nabla/core/cpu.hpp"

#include <cstdlib>
#include <string>

#include "cpu_choice.hpp"
#include "nabla/core/error.hpp"

namespace nabla {

namespace {

constexpr CpuLevel kLevels[] = {CpuLevel::baseline, CpuLevel::avx2, CpuLevel::avx512};

// Whether this build compiled kernels for `level` (src/ops/kernels/):
// NABLA_HAVE_AVX2 / NABLA_HAVE_AVX512 come from CMake, which sets them when
// the compiler accepts the flags.
bool built_for(CpuLevel level) {
    switch (level) {
        case CpuLevel::baseline: return true;
#if defined(NABLA_HAVE_AVX2)
        case CpuLevel::avx2: return true;
#endif
#if defined(NABLA_HAVE_AVX512)
        case CpuLevel::avx512: return true;
#endif
        default: return false;
    }
}

bool cpu_runs(CpuLevel level) {
#if defined(__x86_64__) || defined(__i386__)
    switch (level) {
        case CpuLevel::baseline: return true;
        case CpuLevel::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case CpuLevel::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
                   __builtin_cpu_supports("fma");
    }
    return false;
#else
    return level == CpuLevel::baseline;  // other architectures: the portable kernels only
#endif
}

std::string supported_names() {
    std::string s;
    for (CpuLevel l : supported_cpu_levels()) s += (s.empty() ? "" : " ") + std::string(cpu_level_name(l));
    return s;
}

}  // namespace

namespace detail {
CpuLevel choose_cpu_level(const char* forced) {
    if (forced == nullptr || *forced == '\0') return supported_cpu_levels().back();
    for (CpuLevel l : kLevels) {
        if (std::string(forced) != cpu_level_name(l)) continue;
        if (!cpu_runs(l) || !built_for(l))
            throw ValueError(std::string("NABLA_CPU=") + forced + ": " +
                             (cpu_runs(l) ? "this build has no kernels for that level"
                                          : "this CPU does not support that level") +
                             "; supported here: " + supported_names() + " (unset NABLA_CPU to use the best)");
        return l;
    }
    throw ValueError(std::string("NABLA_CPU=") + forced +
                     ": unknown level; use one of baseline, avx2, avx512 (supported here: " + supported_names() +
                     ")");
}
}  // namespace detail

const char* cpu_level_name(CpuLevel level) {
    switch (level) {
        case CpuLevel::baseline: return "baseline";
        case CpuLevel::avx2: return "avx2";
        case CpuLevel::avx512: return "avx512";
    }
    return "unknown";
}

std::vector<CpuLevel> supported_cpu_levels() {
    std::vector<CpuLevel> out;
    for (CpuLevel l : kLevels)
        if (cpu_runs(l) && built_for(l)) out.push_back(l);
    return out;
}

CpuLevel cpu_level() {
    // Once; a bad NABLA_CPU throws again at the next call.
    static const CpuLevel level = detail::choose_cpu_level(std::getenv("NABLA_CPU"));
    return level;
}

std::string cpu_description() {
    return std::string(cpu_level_name(cpu_level())) + " (supported: " + supported_names() + ")";
}

}  // namespace nabla
