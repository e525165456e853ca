#pragma once
// Restores the thread count and sgemm_onednn's split of C that a test changed.
#include "nabla/core/threading.hpp"
#include "ops/gemm.hpp"

namespace nabla::test {

struct RestoreThreadsAndSplit {
    int threads = get_num_threads();
    detail::SgemmSplit split = detail::sgemm_split();
    ~RestoreThreadsAndSplit() {
        set_num_threads(threads);
        detail::set_sgemm_split(split);
    }
};

}  // namespace nabla::test
