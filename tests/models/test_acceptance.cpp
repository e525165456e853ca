// Acceptance: the book's network, with the book's settings, on real data.
//   - MNIST: the first 8,000 digits of the real test set for training, the
//     last 2,000 held out (the 60,000-digit training set is not on these
//     machines). PyTorch with the same setup reaches 0.945-0.954.
//   - Fashion-MNIST, full size (60,000 / 10,000) from Debian's
//     dataset-fashion-mnist package: about 0.87 in PyTorch. Its 5-epoch test
//     accuracy swings with the seed (0.827-0.880 over five seeds, see
//     docs/models.md); seed 1 gives 0.8798. The result is bit-for-bit
//     reproducible for a given thread count.
// Each test trains for real (5 epochs, batch 128, RMSprop), a few seconds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "nabla/data/datasets.hpp"
#include "nabla/data/utils.hpp"
#include "nabla/layers.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/ops/elementwise.hpp"
#include "support/requirements.hpp"

using namespace nabla;
namespace fs = std::filesystem;

namespace {

const fs::path kMnist = fs::path(NABLA_SHARED_DATA_DIR) / "mnist";
const fs::path kFashion = "/usr/share/datasets/fashion-mnist";
// Not a chosen seed: seeds 1-12 all pass on MNIST (0.9445-0.9590, see
// docs/models.md); seed 1 gives 0.9545.
constexpr std::uint64_t kSeed = 1;

// The book's network, without input_shape: built on first use.
models::Sequential book_model() {
    models::Sequential model({layers::Dense(512, "relu"), layers::Dense(10, "softmax")});
    model.set_seed(kSeed);
    return model;
}

// The book's preprocessing: (n, 28, 28) uint8 -> (n, 784) float32 in [0, 1].
Tensor preprocess(const Tensor& images) { return images.reshape({images.shape(0), 28 * 28}).astype(float32) / 255; }

bool fashion_present() {
    for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                          "t10k-labels-idx1-ubyte.gz"})
        if (!fs::exists(kFashion / f)) return false;
    return true;
}

void expect_learning_curve(callbacks::History& h) {
    const auto& loss = h.history.at("loss");
    const auto& acc = h.history.at("accuracy");
    ASSERT_EQ(loss.size(), 5u);
    ASSERT_EQ(acc.size(), 5u);
    for (std::size_t e = 1; e < 5; ++e) {
        EXPECT_LT(loss[e], loss[e - 1]) << "epoch " << e + 1;
        EXPECT_GT(acc[e], acc[e - 1]) << "epoch " << e + 1;
    }
}

}  // namespace

TEST(Acceptance, BookModelOnMnistTestSplitReaches094) {
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnist);
    ASSERT_EQ(images.shape(), (Shape{10000, 28, 28}));
    const Tensor x = preprocess(images), y = utils::to_categorical(labels);
    auto model = book_model();
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    auto history = model.fit(x(Slice(0, 8000)), y(Slice(0, 8000)), {.epochs = 5, .batch_size = 128, .verbose = 0});
    expect_learning_curve(history);
    EXPECT_EQ(model.optimizer()->iterations(), 5 * 63);  // ceil(8000 / 128) steps per epoch
    auto [test_loss, test_acc] = model.evaluate(x(Slice(8000, 10000)), y(Slice(8000, 10000)), {.verbose = 0});
    std::cout << "MNIST 8000/2000: train accuracy " << history.history["accuracy"].back() << ", held-out loss "
              << test_loss << ", held-out accuracy " << test_acc << "\n";
    EXPECT_GE(test_acc, 0.94);
    RecordProperty("held_out_accuracy", std::to_string(test_acc));
}

TEST(Acceptance, BookModelSummaryAfterBuildingOnFirstUse) {
    auto model = book_model();
    model.predict(zeros({1, 784}));
    EXPECT_THAT(model.summary_string(), ::testing::HasSubstr("Total params: 407,050\n"));
}

class FashionMnist : public ::testing::TestWithParam<const char*> {};

TEST_P(FashionMnist, BookModelReaches086) {
    if (!fashion_present())
        NABLA_SKIP_OR_FAIL("Fashion-MNIST is not installed at " << kFashion
                     << " (Debian: apt-get install dataset-fashion-mnist)");
    const std::string loss = GetParam();
    const bool sparse = loss == "sparse_categorical_crossentropy";
    auto [train, test] = datasets::fashion_mnist::load_data(kFashion);
    ASSERT_EQ(train.first.shape(0), 60000);
    ASSERT_EQ(test.first.shape(0), 10000);
    const Tensor x_train = preprocess(train.first), x_test = preprocess(test.first);
    const Tensor y_train = sparse ? train.second : utils::to_categorical(train.second);
    const Tensor y_test = sparse ? test.second : utils::to_categorical(test.second);
    auto model = book_model();
    model.compile("rmsprop", loss, {"accuracy"});
    auto history = model.fit(x_train, y_train, {.epochs = 5, .batch_size = 128, .verbose = 0});
    expect_learning_curve(history);
    auto [test_loss, test_acc] = model.evaluate(x_test, y_test, {.verbose = 0});
    std::cout << "Fashion-MNIST (" << loss << "): train accuracy " << history.history["accuracy"].back()
              << ", test loss " << test_loss << ", test accuracy " << test_acc << "\n";
    EXPECT_GE(test_acc, 0.86);
    RecordProperty("test_accuracy", std::to_string(test_acc));
}

INSTANTIATE_TEST_SUITE_P(Losses, FashionMnist,
                         ::testing::Values("categorical_crossentropy", "sparse_categorical_crossentropy"),
                         [](const auto& info) {
                             return std::string(info.param) == "categorical_crossentropy" ? "OneHot" : "Sparse";
                         });
