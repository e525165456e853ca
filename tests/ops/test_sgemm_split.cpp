// sgemm_onednn's split of C over nabla's team (automatic, the default, by
// columns or by rows: NABLA_SGEMM_SPLIT): at 1, 2 and 3 threads each split
// gives the 1-thread product within float rounding, and repeats bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "nabla/core/threading.hpp"
#include "ops/gemm.hpp"
#include "support/sgemm_split_restore.hpp"

using namespace nabla;
using detail::SgemmSplit;

namespace {

struct Product {
    bool ta;
    std::int64_t M, N, K;
};

using Restore = test::RestoreThreadsAndSplit;

struct Operands {
    std::vector<float> A, B, C0;
    explicit Operands(const Product& p) {
        std::mt19937 gen(7);
        std::uniform_real_distribution<float> u(-1, 1);
        A.resize(static_cast<std::size_t>(p.M * p.K));
        B.resize(static_cast<std::size_t>(p.K * p.N));
        C0.resize(static_cast<std::size_t>(p.M * p.N));
        for (float& x : A) x = u(gen);
        for (float& x : B) x = u(gen);
        for (float& x : C0) x = u(gen);
    }
    // C = 0.5·op(A)·B + 0.25·C0 (beta: each chunk must scale only its block).
    std::vector<float> run(const Product& p, int threads, SgemmSplit split) const {
        set_num_threads(threads);
        detail::set_sgemm_split(split);
        std::vector<float> C = C0;
        detail::sgemm_onednn(p.ta, false, p.M, p.N, p.K, 0.5f, A.data(), p.ta ? p.M : p.K, B.data(), p.N, 0.25f,
                             C.data(), p.N);
        return C;
    }
};

// The book's first-layer products (forward, weight gradient) and shapes
// whose blocks do not divide evenly.
const Product kProducts[] = {{false, 128, 512, 784}, {true, 784, 512, 128}, {false, 100, 300, 90},
                             {true, 203, 140, 77}};

TEST(SgemmSplit, EveryThreadCountAndSplitMatchesOneThreadWithinRounding) {
    Restore restore;
    for (const Product& p : kProducts) {
        const Operands ops(p);
        const std::vector<float> want = ops.run(p, 1, SgemmSplit::columns);
        for (SgemmSplit split : {SgemmSplit::automatic, SgemmSplit::columns, SgemmSplit::rows}) {
            for (int threads : {1, 2, 3}) {
                const std::vector<float> got = ops.run(p, threads, split);
                // K + 2 roundings of terms below 1 in magnitude.
                const double tol = 0.5 * double(p.K + 2) * 6e-8 * double(p.K) + 1e-6;
                std::size_t bad = 0;
                for (std::size_t i = 0; i < want.size(); ++i) bad += std::fabs(double(got[i]) - want[i]) > tol;
                EXPECT_EQ(bad, 0u) << "M=" << p.M << " N=" << p.N << " K=" << p.K << " threads=" << threads
                                   << " split=" << static_cast<int>(split);
            }
        }
    }
}

TEST(SgemmSplit, RepeatsBitForBitForAThreadCount) {
    Restore restore;
    for (const Product& p : kProducts) {
        const Operands ops(p);
        for (SgemmSplit split : {SgemmSplit::automatic, SgemmSplit::columns, SgemmSplit::rows})
            for (int threads : {2, 3}) EXPECT_EQ(ops.run(p, threads, split), ops.run(p, threads, split));
    }
}

}  // namespace
