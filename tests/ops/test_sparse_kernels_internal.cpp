// The zero-skipping first-layer products (src/ops/sparse_kernels.hpp) and
// their use in the fused training step: equal to the dense products within
// float rounding, chosen per batch from the density, and a fit on real
// MNIST digits close to the dense path's.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <ostream>
#include <random>
#include <vector>

#include "nabla/core/threading.hpp"
#include "nabla/data/datasets.hpp"
#include "nabla/data/utils.hpp"
#include "nabla/layers.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/dense_kernels.hpp"
#include "ops/kernels/float_kernels.hpp"
#include "ops/sparse_kernels.hpp"

namespace {

using namespace nabla;
namespace sparse = nabla::detail::sparse;

// Restores the automatic choice after a test forced one.
struct ForcedMode {
    explicit ForcedMode(sparse::Mode m) { sparse::set_mode(m); }
    ~ForcedMode() { sparse::set_mode(sparse::Mode::automatic); }
};

// rows × cols with the given fraction of nonzeros (some negative).
std::vector<float> random_matrix(std::int64_t rows, std::int64_t cols, double density, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::bernoulli_distribution keep(density);
    std::vector<float> m(static_cast<std::size_t>(rows * cols));
    for (float& v : m) v = keep(gen) ? value(gen) : 0.0f;
    return m;
}

// |a - b| within float rounding of a sum of `terms` products of magnitude <= 1.
void expect_close(const std::vector<float>& a, const std::vector<float>& b, std::int64_t terms) {
    ASSERT_EQ(a.size(), b.size());
    const float tol = 4e-7f * static_cast<float>(terms);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << "element " << i;
}

struct Shape3 {
    std::int64_t rows, K, N;
    double density;
};

// ctest lists the case by its shape, not as bytes.
void PrintTo(const Shape3& s, std::ostream* os) {
    *os << s.rows << "x" << s.K << "x" << s.N << " density " << s.density;
}

class SparseProducts : public ::testing::TestWithParam<Shape3> {};

TEST_P(SparseProducts, EqualTheDenseProductsWithinRounding) {
    const auto [rows, K, N, density] = GetParam();
    for (int threads : {1, 2, 3}) {
        set_num_threads(threads);
        const auto X = random_matrix(rows, K, density, 1), W = random_matrix(K, N, 1.0, 2),
                   dY = random_matrix(rows, N, 1.0, 3);
        sparse::SparseInput in;
        ForcedMode forced(sparse::Mode::sparse);
        ASSERT_TRUE(in.prepare(X.data(), rows, K));
        std::vector<float> z(static_cast<std::size_t>(rows * N), NAN), z_dense(z.size());
        in.forward(W.data(), N, z.data());
        detail::dense::product<float>(false, false, rows, N, K, X.data(), W.data(), z_dense.data());
        expect_close(z, z_dense, K);
        std::vector<float> dw(static_cast<std::size_t>(K * N), NAN), dw_dense(dw.size());
        in.weight_gradient(dY.data(), N, dw.data());
        detail::dense::product<float>(true, false, K, N, rows, X.data(), dY.data(), dw_dense.data());
        expect_close(dw, dw_dense, rows);
    }
    set_num_threads(2);
}

// Tiles of 64 columns and a narrower last one; all-zero rows and columns;
// the book's first-layer shape; dense data on the sparse path.
INSTANTIATE_TEST_SUITE_P(Shapes, SparseProducts,
                         ::testing::Values(Shape3{5, 7, 3, 0.5}, Shape3{33, 100, 64, 0.1}, Shape3{64, 784, 512, 0.19},
                                           Shape3{17, 50, 130, 0.0}, Shape3{40, 60, 200, 1.0},
                                           Shape3{128, 784, 70, 0.5}));

// The automatic choice takes the sparse path only at a CPU level with
// hardware FMA (NABLA_CPU=baseline stays dense: its multiply-adds would be
// libm calls, 30 times slower than the dense product).
bool automatic_goes_sparse() { return detail::kernels::float_kernels().has_fma; }

TEST(SparseInput, ChoosesByMeasuredDensity) {
    sparse::SparseInput in;
    const auto sparse_x = random_matrix(32, 784, 0.15, 4), dense_x = random_matrix(32, 784, 0.6, 5);
    EXPECT_EQ(in.prepare(sparse_x.data(), 32, 784), automatic_goes_sparse());
    if (automatic_goes_sparse()) EXPECT_NEAR(in.density(), 0.15, 0.02);
    EXPECT_FALSE(in.prepare(dense_x.data(), 32, 784));
    EXPECT_FALSE(in.active());
    {
        ForcedMode forced(sparse::Mode::dense);
        EXPECT_FALSE(in.prepare(sparse_x.data(), 32, 784));
    }
    {
        ForcedMode forced(sparse::Mode::sparse);
        EXPECT_TRUE(in.prepare(dense_x.data(), 32, 784));
    }
    EXPECT_EQ(sparse::count_nonzeros(sparse_x.data(), 32, 784),
              std::count_if(sparse_x.begin(), sparse_x.end(), [](float v) { return v != 0.0f; }));
}

// The book's model, a few epochs' worth of steps; returns the weights.
std::vector<Tensor> fit_weights(const Tensor& x, const Tensor& y, int epochs = 1) {
    models::Sequential model({layers::Dense(512, "relu"), layers::Dense(10, "softmax")});
    model.set_seed(3);
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    model.fit(x, y, {.epochs = epochs, .batch_size = 128, .verbose = 0, .shuffle = false});
    return model.get_weights();
}

void expect_weights_close(const std::vector<Tensor>& a, const std::vector<Tensor>& b, float tol) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const float* p = a[i].data<float>();
        const float* q = b[i].data<float>();
        float worst = 0;
        for (std::int64_t j = 0; j < a[i].size(); ++j) worst = std::max(worst, std::abs(p[j] - q[j]));
        EXPECT_LT(worst, tol) << "weight " << i;
    }
}

const std::filesystem::path kMnist = std::filesystem::path(NABLA_SHARED_DATA_DIR) / "mnist";

TEST(SparseFirstLayer, FitOnMnistDigitsIsCloseToTheDensePath) {
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnist);
    const Tensor x = images.reshape({images.shape(0), 784}).astype(float32)(Slice(0, 2048)) / 255;
    const Tensor y = utils::to_categorical(labels(Slice(0, 2048)));
    std::vector<Tensor> dense, sparse_w;
    {
        ForcedMode forced(sparse::Mode::dense);
        dense = fit_weights(x, y);
    }
    const auto before = sparse::sparse_batches();
    sparse_w = fit_weights(x, y);  // automatic: digits are ~19% nonzero
    EXPECT_EQ(sparse::sparse_batches() - before, automatic_goes_sparse() ? 16 : 0);
    // RMSprop's first steps amplify rounding differences of the gradient a
    // little; the weights start at ~0.05 and move by ~0.01 per epoch.
    expect_weights_close(dense, sparse_w, 2e-3f);
}

// Batches alternate between sparse digits and dense noise: the step switches
// paths mid-epoch, and the result stays close to the all-dense run.
TEST(SparseFirstLayer, SwitchingPathsMidEpochMatchesTheDensePath) {
    const std::int64_t rows = 128 * 6;
    const auto sparse_x = random_matrix(rows, 784, 0.12, 6), dense_x = random_matrix(rows, 784, 0.9, 7);
    Tensor x = Tensor::uninitialized({rows, 784}, float32);
    float* p = x.data<float>();
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto& src = (r / 128) % 2 == 0 ? sparse_x : dense_x;
        for (std::int64_t k = 0; k < 784; ++k) p[r * 784 + k] = std::abs(src[static_cast<std::size_t>(r * 784 + k)]);
    }
    Tensor ids = Tensor::uninitialized({rows}, int64);
    for (std::int64_t r = 0; r < rows; ++r) ids.data<std::int64_t>()[r] = r % 10;
    const Tensor y = utils::to_categorical(ids);
    std::vector<Tensor> dense;
    {
        ForcedMode forced(sparse::Mode::dense);
        dense = fit_weights(x, y, 2);
    }
    const auto before = sparse::sparse_batches();
    const auto mixed = fit_weights(x, y, 2);
    EXPECT_EQ(sparse::sparse_batches() - before, automatic_goes_sparse() ? 6 : 0);  // 3 of 6 batches per epoch
    expect_weights_close(dense, mixed, 2e-3f);
}

}  // namespace
