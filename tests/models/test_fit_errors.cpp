// What fit/evaluate/predict say when the data does not fit the model, and
// how fit stops on a NaN loss.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fit_fixtures.hpp"
#include "nabla/training.hpp"

using namespace nabla;
using testing_fit::make_blobs;
using testing_fit::small_model;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

models::Sequential book_model() {
    models::Sequential model({layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    return model;
}

}  // namespace

TEST(FitErrors, SampleCountsDiffer) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(10);
    EXPECT_THAT([&] { model.fit(data.x, data.labels(Slice(0, 9)), {.verbose = 0}); },
                ThrowsMessage<ValueError>(AllOf(HasSubstr("fit: x and y have different numbers of samples"),
                                                HasSubstr("x has 10 (shape (10, 4))"),
                                                HasSubstr("y has 9 (shape (9,))"))));
    EXPECT_THAT([&] { model.evaluate(data.x(Slice(0, 3)), data.labels, {.verbose = 0}); },
                ThrowsMessage<ValueError>(HasSubstr("evaluate: x and y have different numbers of samples")));
}

TEST(FitErrors, SparseLabelsOutOfRange) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy");
    auto data = make_blobs(10);
    Tensor labels = data.labels.copy();
    labels(Slice(7, 8)).assign(Tensor::scalar(3, int64));
    EXPECT_THAT([&] { model.fit(data.x, labels, {.verbose = 0}); },
                ThrowsMessage<ValueError>(AllOf(HasSubstr("label y[7] = 3 is out of range"),
                                                HasSubstr("3 output classes (valid ids: 0..2)"))));
    EXPECT_EQ(model.optimizer()->iterations(), 0) << "checked before the first batch";
    // One-hot labels given to the sparse loss.
    EXPECT_THAT([&] { model.fit(data.x, data.one_hot(), {.verbose = 0}); },
                ThrowsMessage<ShapeError>(HasSubstr("compile with loss 'categorical_crossentropy' instead")));
}

TEST(FitErrors, OneHotWidthDiffersFromOutputUnits) {
    auto model = book_model();
    const Tensor x = zeros({6, 784});
    const Tensor y = utils::to_categorical(Tensor(std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}, {6}), 6);
    EXPECT_THAT([&] { model.fit(x, y, {.verbose = 0}); },
                ThrowsMessage<ShapeError>(AllOf(HasSubstr("one-hot labels must have 10 columns"),
                                                HasSubstr("y has shape (6, 6)"))));
    // Integer labels given to the one-hot loss: the fix is named.
    EXPECT_THAT([&] { model.fit(x, arange(6), {.verbose = 0}); },
                ThrowsMessage<ShapeError>(AllOf(HasSubstr("to_categorical(y, 10)"),
                                                HasSubstr("sparse_categorical_crossentropy"))));
}

TEST(FitErrors, FeatureCountMismatchSaysHowToFlatten) {
    auto model = book_model();
    const Tensor images = zeros({128, 28, 28});
    const Tensor y = zeros({128, 10});
    EXPECT_THAT([&] { model.fit(images, y, {.verbose = 0}); },
                ThrowsMessage<ShapeError>(AllOf(HasSubstr("Dense 'dense"), HasSubstr("expects (batch, 784)"),
                                                HasSubstr("got (128, 28, 28)"), HasSubstr("reshape to (128, 784)"),
                                                HasSubstr("Flatten"))));
    EXPECT_THAT([&] { model.predict(zeros({5, 100})); },
                ThrowsMessage<ShapeError>(AllOf(HasSubstr("expects (batch, 784)"), HasSubstr("got (5, 100)"))));
    EXPECT_THAT([&] { model.predict(zeros({4, 784}, uint8)); },
                ThrowsMessage<DTypeError>(HasSubstr("astype(float32) / 255")));
}

TEST(FitErrors, NotCompiled) {
    auto model = small_model();
    auto data = make_blobs(4);
    EXPECT_THAT([&] { model.fit(data.x, data.labels, {.verbose = 0}); },
                ThrowsMessage<ValueError>(HasSubstr("you must compile the model")));
}

TEST(FitErrors, NanLossStopsTrainingNamingEpochAndBatch) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(10);
    Tensor x = data.x.copy();
    x(Slice(9, 10)).assign(Tensor::scalar(std::numeric_limits<double>::quiet_NaN()));
    const auto before = model.get_weights();
    ::testing::internal::CaptureStderr();
    // Batches of 4 unshuffled: the NaN sample is in the third and last batch.
    auto h = model.fit(x, data.labels, {.epochs = 3, .batch_size = 4, .verbose = 0, .shuffle = false});
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, AllOf(HasSubstr("epoch 1/3"), HasSubstr("batch 3/3"), HasSubstr("invalid loss ("), HasSubstr("nan"),
                           HasSubstr("terminating training")));
    ASSERT_EQ(h.history["loss"].size(), 1u);
    EXPECT_TRUE(std::isnan(h.history["loss"][0]));
    EXPECT_EQ(model.optimizer()->iterations(), 2) << "the NaN batch is not applied";
    for (const auto& w : model.get_weights())
        for (float v : w.to_vector<float>()) EXPECT_TRUE(std::isfinite(v));
    EXPECT_NE(model.get_weights()[0].to_vector<float>(), before[0].to_vector<float>());
}

TEST(FitErrors, NanLossInALaterEpochIsNamed) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy");
    auto data = make_blobs(10);
    // After the first epoch a callback poisons the weights.
    auto poison = std::make_shared<callbacks::LambdaCallback>(callbacks::LambdaCallbackFunctions{
        .on_epoch_end =
            [&](int epoch, const callbacks::Logs&) {
                if (epoch != 0) return;
                auto w = model.get_weights();
                w[0].fill(std::numeric_limits<double>::infinity());
                model.set_weights(w);
            },
    });
    ::testing::internal::CaptureStderr();
    auto h = model.fit(data.x, data.labels, {.epochs = 4, .batch_size = 4, .verbose = 0, .callbacks = {poison}});
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, AllOf(HasSubstr("epoch 2/4"), HasSubstr("batch 1/3")));
    EXPECT_EQ(h.history["loss"].size(), 2u);
    EXPECT_FALSE(std::isfinite(h.history["loss"][1]));
}
