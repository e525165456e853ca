#pragma once
// Shared helpers of the saving tests: small models and data, bitwise
// comparison, and running Debian's python3 (h5py) on a file.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../models/fit_fixtures.hpp"
#include "nabla/nabla.hpp"

namespace nabla::testing_saving {

inline bool same_bits(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
    const Tensor ca = a.contiguous(), cb = b.contiguous();
    return std::memcmp(ca.raw_data(), cb.raw_data(), ca.nbytes()) == 0;
}

inline void expect_same_weights(models::Sequential& a, models::Sequential& b) {
    const auto wa = a.get_weights(), wb = b.get_weights();
    ASSERT_EQ(wa.size(), wb.size());
    for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(same_bits(wa[i], wb[i])) << "weight " << i;
}

// Runs `python3 -c script path` and returns its exit status and output.
inline std::pair<int, std::string> run_python(const std::string& script, const std::string& arg) {
    const std::string cmd = "/usr/bin/python3 -c '" + script + "' '" + arg + "' 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed"};
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int rc = pclose(p);
    return {WEXITSTATUS(rc), out};
}

inline bool have_h5py() { return run_python("import h5py", "").first == 0; }

}  // namespace nabla::testing_saving
