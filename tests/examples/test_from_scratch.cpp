// The from-scratch MNIST example (examples/from_scratch.hpp): its pieces, and
// that training with the example's settings learns on real digits.
#include <gtest/gtest.h>

#include "../../examples/from_scratch.hpp"
#include "support/requirements.hpp"

using namespace nabla;
namespace fs = std::filesystem;

namespace {
const fs::path kMnist = fs::path(NABLA_SHARED_DATA_DIR) / "mnist";
}

TEST(FromScratch, BatchGeneratorCoversTheDataOnce) {
    Tensor images = arange(0.0, 20.0).reshape({10, 2}), labels = arange(10);
    from_scratch::BatchGenerator batches(images, labels, 4);
    ASSERT_EQ(batches.num_batches(), 3);
    std::vector<std::int64_t> seen;
    for (int i = 0; i < 3; ++i) {
        auto [x, y] = batches.next();
        EXPECT_EQ(x.shape(0), y.shape(0));
        EXPECT_EQ(x.shape(0), i < 2 ? 4 : 2);
        for (auto v : y.to_vector<std::int64_t>()) seen.push_back(v);
        EXPECT_EQ(x.at<double>({0, 0}), 2.0 * y.at<double>({0}));
    }
    EXPECT_EQ(seen, arange(10).to_vector<std::int64_t>());
    EXPECT_THROW(from_scratch::BatchGenerator(images, arange(9)), ShapeError);
    EXPECT_THROW(from_scratch::BatchGenerator(images, labels, 0), ValueError);
}

TEST(FromScratch, UpdateWeightsIsPlainSgd) {
    std::vector<Variable> w{Variable(Tensor{1., 2.}), Variable(Tensor{3.})};
    from_scratch::update_weights({Tensor{10., 20.}, Tensor{-5.}}, w, 0.1);
    EXPECT_EQ(w[0].value().to_vector<float>(), (std::vector<float>{0, 0}));
    EXPECT_EQ(w[1].value().to_vector<float>(), (std::vector<float>{3.5f}));
}

TEST(FromScratch, WeightsAreSharedHandles) {
    random::Generator gen(0);
    from_scratch::NaiveDense layer(3, 2, [](const Tensor& x) { return x; }, gen);
    auto w = layer.weights();
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0].shape(), (Shape{3, 2}));
    // The book's initialisation: W in [0, 0.1), b = 0.
    for (double v : w[0].value().to_vector<double>()) EXPECT_TRUE(v >= 0 && v < 0.1) << v;
    EXPECT_EQ(sum(abs(w[1].value())).item<double>(), 0.0);
    w[1].assign(Tensor{1., 1.});  // through a copy of the handle...
    EXPECT_EQ(layer(zeros({1, 3})).to_vector<float>(), (std::vector<float>{1, 1}));  // ...the layer sees it
}

TEST(FromScratch, LearnsMnistDigits) {
    if (!fs::exists(kMnist / "t10k-images-idx3-ubyte.gz")) NABLA_SKIP_OR_FAIL("MNIST not found in " << kMnist);
    using namespace from_scratch;
    const auto [train, test] = split_8000_2000(load_digits(kMnist, "t10k"));
    ASSERT_EQ(train.images.shape(), (Shape{8000, 784}));
    ASSERT_EQ(test.labels.shape(), (Shape{2000}));
    random::Generator gen(0);
    const NaiveSequential model = make_model(gen, kInitLow, kInitHigh);
    const double before = accuracy(model, test.images, test.labels);
    FitOptions options;
    options.epochs = kEpochs;
    options.learning_rate = kLearningRate;
    options.verbose = false;
    const std::vector<double> history = fit(model, train.images, train.labels, options);
    ASSERT_EQ(history.size(), static_cast<std::size_t>(kEpochs));
    for (std::size_t e = 1; e < history.size(); ++e) EXPECT_LT(history[e], history[e - 1]) << "epoch " << e;
    EXPECT_LT(history.back(), 0.5 * history.front());
    const double after = accuracy(model, test.images, test.labels);
    EXPECT_LT(before, 0.3);
    EXPECT_GT(after, 0.8) << "held-out accuracy after " << kEpochs << " epochs";
}
