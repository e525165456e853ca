#pragma once
// Tests that need something outside the build — Debian's Fashion-MNIST,
// python3 with NumPy/PyTorch, the shared MNIST test files — skip without it
// when run by hand, but fail when NABLA_REQUIRE_ALL is set. scripts/test.sh
// (and so CI) installs everything and sets it, so a CI run never passes by
// skipping a test.
#include <gtest/gtest.h>

#include <cstdlib>

#define NABLA_SKIP_OR_FAIL(message)                                                        \
    do {                                                                                   \
        if (std::getenv("NABLA_REQUIRE_ALL"))                                              \
            GTEST_FAIL() << message << " (NABLA_REQUIRE_ALL is set: scripts/install_deps.sh " \
                                       "installs it)";                                     \
        GTEST_SKIP() << message;                                                           \
    } while (0)
