// nabla's own sgemm (src/ops/kernels/) at every CPU level this machine runs,
// against a double-precision reference and against oneDNN's sgemm, on
// shapes that exercise every edge: transposes, sizes that are no multiple of
// the register tile, several K blocks, row strides wider than the rows,
// alpha and beta.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/cpu_choice.hpp"
#include "nabla/core/cpu.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/threading.hpp"
#include "ops/gemm.hpp"
#include "ops/kernels/float_kernels.hpp"

using namespace nabla;
using nabla::detail::kernels::FloatKernels;

namespace {

struct Case {
    bool ta, tb;
    std::int64_t M, N, K;
    float alpha, beta;
    std::int64_t pad;  // extra elements per row of every operand
};

struct Operands {
    Case c;
    std::int64_t lda, ldb, ldc;
    std::vector<float> A, B, C0;

    explicit Operands(const Case& cs, unsigned seed) : c(cs) {
        std::mt19937 gen(seed);
        std::uniform_real_distribution<float> u(-1, 1);
        const std::int64_t a_rows = c.ta ? c.K : c.M, a_cols = c.ta ? c.M : c.K;
        const std::int64_t b_rows = c.tb ? c.N : c.K, b_cols = c.tb ? c.K : c.N;
        lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
        A.resize(static_cast<std::size_t>(a_rows * lda));
        B.resize(static_cast<std::size_t>(b_rows * ldb));
        C0.resize(static_cast<std::size_t>(c.M * ldc));
        for (float& x : A) x = u(gen);
        for (float& x : B) x = u(gen);
        for (float& x : C0) x = u(gen);
    }
    float a(std::int64_t i, std::int64_t k) const { return c.ta ? A[k * lda + i] : A[i * lda + k]; }
    float b(std::int64_t k, std::int64_t j) const { return c.tb ? B[j * ldb + k] : B[k * ldb + j]; }

    // The product in double, and for each element a bound on float rounding:
    // K + 2 roundings of terms at most Σ|a·b| + |beta·c|.
    void reference(std::vector<double>& want, std::vector<double>& tol) const {
        want.assign(static_cast<std::size_t>(c.M * c.N), 0);
        tol = want;
        for (std::int64_t i = 0; i < c.M; ++i)
            for (std::int64_t j = 0; j < c.N; ++j) {
                double s = 0, mag = 0;
                for (std::int64_t k = 0; k < c.K; ++k) {
                    s += double(a(i, k)) * b(k, j);
                    mag += std::abs(double(a(i, k)) * b(k, j));
                }
                const double cij = c.beta == 0 ? 0 : double(c.beta) * C0[i * ldc + j];
                want[i * c.N + j] = c.alpha * s + cij;
                tol[i * c.N + j] = double(c.K + 2) * 6e-8 * (std::abs(c.alpha) * mag + std::abs(cij)) + 1e-30;
            }
    }
};

std::vector<Case> cases() {
    std::vector<Case> out = {
        {false, false, 1, 1, 1, 1, 0, 0},        {false, false, 7, 13, 5, 1, 0, 0},
        {true, false, 29, 37, 300, 1, 0, 3},     {false, true, 33, 17, 257, 0.5f, 2, 1},
        {true, true, 6, 16, 196, -1, 1, 0},      {false, false, 128, 512, 784, 1, 0, 0},
        {true, false, 784, 512, 128, 1, 0, 0},   {false, true, 128, 512, 10, 1, 0, 0},
        {false, false, 128, 10, 512, 1, 0, 0},   {true, false, 512, 10, 128, 1, 0, 0},
        {false, false, 150, 2100, 3, 2, -0.5f, 5}, {true, true, 145, 40, 520, 1, 0.25f, 2},
    };
    std::mt19937 gen(17);
    std::uniform_int_distribution<int> size(1, 90), flag(0, 1);
    for (int i = 0; i < 12; ++i)
        out.push_back({flag(gen) == 1, flag(gen) == 1, size(gen), size(gen), size(gen) * 4, i % 3 ? 1.0f : 0.75f,
                       i % 2 ? 0.0f : 1.5f, i % 4});
    return out;
}

std::string describe(const Case& c) {
    return std::string(c.ta ? "T" : "N") + (c.tb ? "T" : "N") + " M=" + std::to_string(c.M) +
           " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) + " alpha=" + std::to_string(c.alpha) +
           " beta=" + std::to_string(c.beta) + " pad=" + std::to_string(c.pad);
}

template <typename Product>
std::vector<float> run(const Operands& o, Product&& product) {
    std::vector<float> C = o.C0;
    if (o.c.beta == 0)  // beta 0 must not read C: garbage there cannot leak through
        for (float& x : C) x = std::numeric_limits<float>::quiet_NaN();
    product(o, C.data());
    std::vector<float> out(static_cast<std::size_t>(o.c.M * o.c.N));
    for (std::int64_t i = 0; i < o.c.M; ++i)
        for (std::int64_t j = 0; j < o.c.N; ++j) out[i * o.c.N + j] = C[i * o.ldc + j];
    return out;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& tol,
                  const std::string& what) {
    int bad = 0;
    for (std::size_t i = 0; i < got.size() && bad < 5; ++i)
        if (!(std::abs(got[i] - want[i]) <= tol[i])) {
            ++bad;
            ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", want " << want[i] << " ± " << tol[i];
        }
}

auto own(const FloatKernels* k) {
    return [k](const Operands& o, float* C) {
        const Case& c = o.c;
        detail::sgemm_own(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb, c.beta, C,
                          o.ldc, k);
    };
}

auto onednn() {
    return [](const Operands& o, float* C) {
        const Case& c = o.c;
        detail::sgemm_onednn(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb, c.beta, C,
                             o.ldc);
    };
}

}  // namespace

// Each level the CPU runs, called through the dispatch table directly (not
// only the one NABLA_CPU or cpuid chose), against the reference and oneDNN.
TEST(SgemmLevels, EveryLevelMatchesDoubleReferenceAndOneDNN) {
    const auto levels = supported_cpu_levels();
    ASSERT_FALSE(levels.empty());
    EXPECT_EQ(levels.front(), CpuLevel::baseline);
    unsigned seed = 1;
    for (const Case& c : cases()) {
        const Operands o(c, seed++);
        std::vector<double> want, tol;
        o.reference(want, tol);
        expect_close(run(o, onednn()), want, tol, "oneDNN " + describe(c));
        for (CpuLevel level : levels) {
            const FloatKernels* k = detail::kernels::float_kernels_for(level);
            ASSERT_NE(k, nullptr) << cpu_level_name(level);
            EXPECT_EQ(k->level, level);
            expect_close(run(o, own(k)), want, tol, std::string(cpu_level_name(level)) + " " + describe(c));
        }
    }
}

// Threads split C by whole register tiles: the numbers do not depend on the
// thread count (bit for bit), at every level.
TEST(SgemmLevels, ResultIsTheSameBitForBitOnOneAndTwoThreads) {
    const int before = get_num_threads();
    for (CpuLevel level : supported_cpu_levels()) {
        const FloatKernels* k = detail::kernels::float_kernels_for(level);
        for (const Case& c : {Case{false, false, 128, 512, 784, 1, 0, 0}, Case{true, false, 784, 512, 128, 1, 0, 0},
                              Case{false, true, 128, 512, 10, 1, 0.5f, 0}}) {
            const Operands o(c, 99);
            set_num_threads(1);
            const auto one = run(o, own(k));
            set_num_threads(2);
            const auto two = run(o, own(k));
            EXPECT_EQ(one, two) << cpu_level_name(level) << " " << describe(c);
        }
    }
    set_num_threads(before);
}

TEST(SgemmLevels, KZeroScalesCByBeta) {
    std::vector<float> C = {1, 2, 3, 4};
    detail::sgemm_own(false, false, 2, 2, 0, 1, nullptr, 1, nullptr, 2, 0.5f, C.data(), 2);
    EXPECT_EQ(C, (std::vector<float>{0.5f, 1, 1.5f, 2}));
    C.assign(4, std::numeric_limits<float>::quiet_NaN());
    detail::sgemm_own(false, false, 2, 2, 0, 1, nullptr, 1, nullptr, 2, 0, C.data(), 2);
    EXPECT_EQ(C, (std::vector<float>(4, 0.0f)));
}

TEST(CpuLevel, ChosenLevelIsSupportedAndNamed) {
    const auto levels = supported_cpu_levels();
    const CpuLevel chosen = cpu_level();
    EXPECT_NE(std::find(levels.begin(), levels.end(), chosen), levels.end());
    EXPECT_EQ(&detail::kernels::float_kernels(), detail::kernels::float_kernels_for(chosen));
    EXPECT_NE(cpu_description().find(cpu_level_name(chosen)), std::string::npos);
}

TEST(CpuLevel, NablaCpuForcesALevelAndRejectsUnknownOrUnsupportedOnes) {
    const auto levels = supported_cpu_levels();
    EXPECT_EQ(detail::choose_cpu_level(nullptr), levels.back());
    EXPECT_EQ(detail::choose_cpu_level(""), levels.back());
    for (CpuLevel l : levels) EXPECT_EQ(detail::choose_cpu_level(cpu_level_name(l)), l);
    try {
        detail::choose_cpu_level("avx1024");
        ADD_FAILURE() << "an unknown level was accepted";
    } catch (const ValueError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("NABLA_CPU=avx1024"), std::string::npos) << m;
        EXPECT_NE(m.find("unknown level"), std::string::npos) << m;
        EXPECT_NE(m.find("supported here: baseline"), std::string::npos) << m;
    }
    for (CpuLevel l : {CpuLevel::avx2, CpuLevel::avx512}) {
        if (std::find(levels.begin(), levels.end(), l) != levels.end()) continue;
        try {
            detail::choose_cpu_level(cpu_level_name(l));
            ADD_FAILURE() << cpu_level_name(l) << " was accepted on a machine that cannot run it";
        } catch (const ValueError& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find(std::string("NABLA_CPU=") + cpu_level_name(l)), std::string::npos) << m;
            EXPECT_NE(m.find("supported here: "), std::string::npos) << m;
        }
    }
}

// RMSprop's float block at every level against the scalar formula, with and
// without momentum and centering, clipping and weight decay: the baseline
// level gives the same bits (no FMA there; sqrt and division are correctly
// rounded), the FMA levels agree within rounding (g++ contracts a·b + c into
// an FMA where the target has one, as the -march=native build always did).
// This file's own reference formula is contracted into FMAs when it is built
// with -march=native (NABLA_NATIVE=ON) on an FMA machine: then only rounding
// agreement can be asked of the baseline level too.
#if defined(__FMA__)
constexpr bool kReferenceHasFma = true;
#else
constexpr bool kReferenceHasFma = false;
#endif

TEST(SgemmLevels, RmspropBlockIsBitIdenticalAtEveryLevel) {
    using detail::kernels::RmspropArgs;
    const std::int64_t n = 1000;  // not a multiple of any vector width
    std::mt19937 gen(5);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> w0(n), g(n), v0(n), a0(n), m0(n);
    for (std::int64_t i = 0; i < n; ++i) {
        w0[i] = u(gen), g[i] = 3 * u(gen), v0[i] = std::abs(u(gen)), a0[i] = 0.1f * u(gen), m0[i] = 0.01f * u(gen);
    }
    for (int variant = 0; variant < 4; ++variant) {
        const bool centered = variant & 1, momentum = variant & 2;
        const RmspropArgs s{0.001f, variant == 3 ? 0.5f : 1.0f, variant == 1 ? 0.7f : 1e30f, variant == 2 ? 0.01f : 0.0f,
                            0.9f, 0.1f, momentum ? 0.5f : 0.0f, 1e-7f};
        // The scalar formula of training/optimizer_kernels.cpp.
        std::vector<float> w = w0, v = v0, a = a0, m = m0;
        for (std::int64_t i = 0; i < n; ++i) {
            float gi = g[i] * s.grad_scale;
            gi = gi < -s.clip ? -s.clip : gi;
            gi = gi > s.clip ? s.clip : gi;
            v[i] = s.rho * v[i] + s.one_minus_rho * (gi * gi);
            float root = v[i] + s.epsilon;
            if (centered) {
                a[i] = s.rho * a[i] + s.one_minus_rho * gi;
                root = v[i] - a[i] * a[i] + s.epsilon;
            }
            root = std::sqrt(root);
            const float wd = w[i] - w[i] * s.decay * s.lr;
            if (momentum) {
                m[i] = s.momentum * m[i] + (s.lr * gi) / root;
                w[i] = wd - m[i];
            } else {
                w[i] = wd - (s.lr * gi) / root;
            }
        }
        for (CpuLevel level : supported_cpu_levels()) {
            std::vector<float> lw = w0, lv = v0, la = a0, lm = m0;
            detail::kernels::float_kernels_for(level)->rmsprop_block(
                lw.data(), g.data(), lv.data(), centered ? la.data() : nullptr, momentum ? lm.data() : nullptr, n, s);
            const std::string what = std::string(cpu_level_name(level)) + " variant " + std::to_string(variant);
            if (level == CpuLevel::baseline && !kReferenceHasFma) {
                EXPECT_EQ(lw, w) << what;
                EXPECT_EQ(lv, v) << what;
                if (centered) {
                    EXPECT_EQ(la, a) << what;
                }
                if (momentum) {
                    EXPECT_EQ(lm, m) << what;
                }
                continue;
            }
            for (std::int64_t i = 0; i < n; ++i) {
                ASSERT_NEAR(lw[i], w[i], 1e-6f * (1 + std::abs(w[i]))) << what << " w[" << i << "]";
                ASSERT_NEAR(lv[i], v[i], 1e-6f * (1 + std::abs(v[i]))) << what << " v[" << i << "]";
                if (momentum) {
                    ASSERT_NEAR(lm[i], m[i], 1e-6f * (1 + std::abs(m[i]))) << what << " m[" << i << "]";
                }
            }
        }
    }
}

// The serving path's one-row product at every level against a double
// reference (the FMA levels contract a·b + c, so the levels differ in rounding).
TEST(SgemmLevels, MatvecAtEveryLevelMatchesTheReference) {
    for (const auto& [in, units] : {std::pair<std::int64_t, std::int64_t>{784, 512}, {512, 10}, {7, 33}, {1, 1}}) {
        std::mt19937 gen(static_cast<unsigned>(in * 1000 + units));
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> x(in), W(in * units);
        for (auto& v : x) v = u(gen);
        for (auto& v : W) v = u(gen);
        std::vector<double> want(units, 0.0);
        for (std::int64_t k = 0; k < in; ++k)
            for (std::int64_t j = 0; j < units; ++j) want[j] += double(x[k]) * W[k * units + j];
        for (CpuLevel level : supported_cpu_levels()) {
            std::vector<float> y(units, std::numeric_limits<float>::quiet_NaN());
            detail::kernels::float_kernels_for(level)->matvec(x.data(), W.data(), in, units, y.data());
            for (std::int64_t j = 0; j < units; ++j)
                ASSERT_NEAR(y[j], want[j], 1e-5 * (1 + std::sqrt(double(in))))
                    << cpu_level_name(level) << " " << in << "x" << units << " y[" << j << "]";
        }
    }
}

// The sparse first layer's tile at every level: the same chain of fused
// multiply-adds per output, so every level gives the baseline's bits (full
// 64-wide tiles and the narrower last tile), whatever the vector width.
TEST(SgemmLevels, SparseTileIsBitIdenticalAtEveryLevel) {
    constexpr std::int64_t kRows = 40, kStride = detail::kernels::kSparseTile;
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> base(kRows * kStride);
    for (auto& v : base) v = u(gen);
    std::vector<std::int32_t> index;
    std::vector<float> vals;
    for (std::int32_t r = 0; r < kRows; r += 3) {  // every third row, in order, as the sparse index lists them
        index.push_back(r);
        vals.push_back(u(gen));
    }
    const auto* baseline = detail::kernels::float_kernels_for(CpuLevel::baseline);
    for (std::int64_t n : {std::int64_t{64}, std::int64_t{17}, std::int64_t{1}}) {
        std::vector<float> want(n);
        baseline->sparse_tile(index.data(), vals.data(), 0, std::int64_t(index.size()), base.data(), kStride, n,
                              want.data());
        double ref0 = 0;
        for (std::size_t p = 0; p < index.size(); ++p) ref0 += double(vals[p]) * base[index[p] * kStride];
        EXPECT_NEAR(want[0], ref0, 1e-5);
        for (CpuLevel level : supported_cpu_levels()) {
            std::vector<float> got(n, std::numeric_limits<float>::quiet_NaN());
            detail::kernels::float_kernels_for(level)->sparse_tile(index.data(), vals.data(), 0,
                                                                   std::int64_t(index.size()), base.data(), kStride,
                                                                   n, got.data());
            EXPECT_EQ(got, want) << cpu_level_name(level) << " n=" << n;
        }
    }
}
