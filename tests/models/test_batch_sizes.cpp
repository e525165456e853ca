// batch_size larger than the data, up to INT64_MAX: one batch of all the
// samples, as Keras does (the step count's ceil-division used to overflow and
// fit trained nothing, logging loss 0.0).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>

#include "fit_fixtures.hpp"
#include "nabla/training.hpp"

using namespace nabla;
using testing_fit::make_blobs;
using testing_fit::small_model;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// Counts the batches each loop runs and keeps the step count it was told.
struct BatchCounter : callbacks::Callback {
    std::int64_t train = 0, test = 0, predict = 0, steps = -1;
    void set_params(const callbacks::Params& p) override {
        Callback::set_params(p);
        steps = p.steps.value_or(-1);
    }
    void on_train_batch_end(std::int64_t, const callbacks::Logs&) override { ++train; }
    void on_test_batch_end(std::int64_t, const callbacks::Logs&) override { ++test; }
    void on_predict_batch_end(std::int64_t, const callbacks::Logs&) override { ++predict; }
};

models::Sequential compiled_model() {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    return model;
}

}  // namespace

class HugeBatchSize : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(HugeBatchSize, FitTrainsOneBatchOfAllSamples) {
    const auto data = make_blobs(50);
    auto reference = compiled_model();
    const auto expected = reference.fit(data.x, data.labels, {.epochs = 2, .batch_size = 50, .verbose = 0});

    auto model = compiled_model();
    auto counter = std::make_shared<BatchCounter>();
    const auto history = model.fit(data.x, data.labels,
                                   {.epochs = 2, .batch_size = GetParam(), .verbose = 0, .callbacks = {counter}});
    EXPECT_EQ(counter->steps, 1);
    EXPECT_EQ(counter->train, 2);  // one batch per epoch
    ASSERT_EQ(history.history.at("loss").size(), 2u);
    EXPECT_GT(history.history.at("loss")[0], 0.1);
    EXPECT_EQ(history.history.at("loss"), expected.history.at("loss"));
    EXPECT_EQ(history.history.at("accuracy"), expected.history.at("accuracy"));
    const auto w = model.get_weights(), w_ref = reference.get_weights();
    for (std::size_t i = 0; i < w.size(); ++i) EXPECT_EQ(w[i].to_vector<float>(), w_ref[i].to_vector<float>()) << "weight " << i;
}

TEST_P(HugeBatchSize, ValidationEvaluateAndPredictUseOneBatch) {
    const auto data = make_blobs(40);
    auto model = compiled_model();
    const auto history =
        model.fit(data.x, data.labels, {.epochs = 1, .batch_size = GetParam(), .verbose = 0, .validation_split = 0.25});
    ASSERT_TRUE(history.history.count("val_loss"));
    EXPECT_GT(history.history.at("val_loss")[0], 0.1);

    auto counter = std::make_shared<BatchCounter>();
    const auto result = model.evaluate(data.x, data.labels, {.batch_size = GetParam(), .verbose = 0, .callbacks = {counter}});
    const auto expected = model.evaluate(data.x, data.labels, {.batch_size = 40, .verbose = 0});
    EXPECT_EQ(counter->test, 1);
    EXPECT_GT(result["loss"], 0.1);
    EXPECT_DOUBLE_EQ(result["loss"], expected["loss"]);
    EXPECT_DOUBLE_EQ(result["accuracy"], expected["accuracy"]);

    const Tensor pred = model.predict(data.x, {.batch_size = GetParam(), .callbacks = {counter}});
    EXPECT_EQ(counter->predict, 1);
    ASSERT_EQ(pred.shape(), (Shape{40, 3}));
    EXPECT_EQ(pred.to_vector<float>(), model.predict(data.x, {.batch_size = 40}).to_vector<float>());
}

INSTANTIATE_TEST_SUITE_P(Sizes, HugeBatchSize, ::testing::Values(51, 1 << 20, kMax / 2 + 1, kMax - 1, kMax));

TEST(HugeBatchSize, BatchSizeNotDividingTheDataLeavesASmallLastBatch) {
    const auto data = make_blobs(10);
    auto model = compiled_model();
    auto counter = std::make_shared<BatchCounter>();
    model.fit(data.x, data.labels, {.epochs = 1, .batch_size = 3, .verbose = 0, .callbacks = {counter}});
    EXPECT_EQ(counter->steps, 4);
    EXPECT_EQ(counter->train, 4);
}
