#pragma once
// Internal: the rule behind nabla::cpu_level(), testable without the
// process-wide choice: `forced` is NABLA_CPU's value (nullptr or empty: the
// best level supported); an unknown or unsupported level is a ValueError.
#include "nabla/core/cpu.hpp"

namespace nabla::detail {
CpuLevel choose_cpu_level(const char* forced);
}
