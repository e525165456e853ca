// Sequential.compile / fit: what compile accepts, the History fit returns,
// and Keras's epoch semantics (weighted running means, the partial last
// batch, validation_split taking the last samples, initial_epoch, seeds).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "fit_fixtures.hpp"
#include "nabla/training.hpp"

using namespace nabla;
using testing_fit::make_blobs;
using testing_fit::small_model;
using ::testing::ElementsAre;

namespace {

// Records the logs fit hands to on_train_batch_end / on_epoch_end.
struct Recorder {
    std::vector<std::int64_t> batches;
    std::vector<callbacks::Logs> batch_logs;
    std::vector<int> epochs_begun;
    std::shared_ptr<callbacks::LambdaCallback> callback() {
        return std::make_shared<callbacks::LambdaCallback>(callbacks::LambdaCallbackFunctions{
            .on_epoch_begin = [this](int e, const callbacks::Logs&) { epochs_begun.push_back(e); },
            .on_train_batch_end =
                [this](std::int64_t b, const callbacks::Logs& logs) {
                    batches.push_back(b);
                    batch_logs.push_back(logs);
                },
        });
    }
};

// The mean loss of the model over (x, y), computed in one call outside fit.
double direct_loss(models::Sequential& model, const Tensor& x, const Tensor& y) {
    return model.loss()->call(y, model.predict(x, x.shape(0))).item<double>();
}

}  // namespace

TEST(Compile, TakesKerasNames) {
    auto model = small_model();
    EXPECT_FALSE(model.compiled());
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    ASSERT_TRUE(model.compiled());
    EXPECT_EQ(model.optimizer()->name(), "RMSprop");
    EXPECT_DOUBLE_EQ(model.optimizer()->learning_rate(), 1e-3);
    EXPECT_EQ(model.loss()->name(), "categorical_crossentropy");
    ASSERT_EQ(model.metrics().size(), 1u);
    EXPECT_EQ(model.metrics()[0]->name(), "accuracy");
}

TEST(Compile, TakesTypedObjectsAndSharedOptimizers) {
    auto model = small_model();
    auto adam = std::make_shared<optimizers::Adam>(optimizers::AdamOptions{.learning_rate = 0.01});
    model.compile(adam, losses::SparseCategoricalCrossentropy(), {metrics::SparseCategoricalAccuracy("acc")});
    EXPECT_EQ(model.optimizer(), adam.get());
    EXPECT_EQ(model.loss()->name(), "sparse_categorical_crossentropy");
    EXPECT_EQ(model.metrics()[0]->name(), "acc");
    // 10 samples in batches of 4: 3 steps per epoch, the last one of 2 samples.
    auto data = make_blobs(10);
    model.fit(data.x, data.labels, {.epochs = 2, .batch_size = 4, .verbose = 0});
    EXPECT_EQ(adam->iterations(), 6);

    model.compile(optimizers::SGD({.learning_rate = 0.1, .momentum = 0.9}), "sparse_categorical_crossentropy");
    EXPECT_EQ(model.optimizer()->name(), "SGD");
    EXPECT_TRUE(model.metrics().empty());
}

TEST(Fit, HistoryHasEveryEpochWithValidation) {
    auto model = small_model();
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(40);
    auto val = make_blobs(12, /*seed=*/9);
    callbacks::History h = model.fit(data.x, data.one_hot(),
                                     {.epochs = 3, .batch_size = 8, .verbose = 0,
                                      .validation_data = {val.x, val.one_hot()}});
    EXPECT_THAT(h.epoch, ElementsAre(0, 1, 2));
    std::vector<std::string> keys;
    for (const auto& [k, v] : h.history) {
        keys.push_back(k);
        EXPECT_EQ(v.size(), 3u) << k;
        for (double x : v) EXPECT_TRUE(std::isfinite(x)) << k;
    }
    EXPECT_THAT(keys, ElementsAre("accuracy", "loss", "val_accuracy", "val_loss"));
    // The last val_ values are evaluate() on the validation data with the
    // final weights, batched as fit batches them (matrix products of other
    // heights may round differently in the last bit).
    auto e = model.evaluate(val.x, val.one_hot(), {.batch_size = 8, .verbose = 0});
    EXPECT_DOUBLE_EQ(h.history["val_loss"].back(), e.loss);
    EXPECT_DOUBLE_EQ(h.history["val_accuracy"].back(), e["accuracy"]);
}

TEST(Fit, EpochLossIsTheMeanWeightedByBatchSizeAndUsesThePartialBatch) {
    // With a learning rate of 0 the weights never move, so the epoch's
    // running mean must equal the loss over all samples at once; an
    // unweighted mean of the three batch losses (4, 4 and 2 samples) would not.
    auto model = small_model();
    model.compile(optimizers::SGD({.learning_rate = 0.0}), "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(10);
    Recorder rec;
    auto h = model.fit(data.x, data.labels,
                       {.epochs = 1, .batch_size = 4, .verbose = 0, .callbacks = {rec.callback()}, .shuffle = false});
    EXPECT_THAT(rec.batches, ElementsAre(0, 1, 2));
    const double all = direct_loss(model, data.x, data.labels);
    EXPECT_NEAR(h.history["loss"][0], all, 1e-6);
    // Each batch's logs are the running mean so far.
    const double b0 = direct_loss(model, data.x(Slice(0, 4)), data.labels(Slice(0, 4)));
    const double b01 = direct_loss(model, data.x(Slice(0, 8)), data.labels(Slice(0, 8)));
    const double b2 = direct_loss(model, data.x(Slice(8, 10)), data.labels(Slice(8, 10)));
    EXPECT_NEAR(rec.batch_logs[0].at("loss"), b0, 1e-6);
    EXPECT_NEAR(rec.batch_logs[1].at("loss"), b01, 1e-6);
    EXPECT_NEAR(rec.batch_logs[2].at("loss"), all, 1e-6);
    const double unweighted = (2 * b01 + b2) / 3.0;  // (loss0 + loss1 + loss2) / 3, with loss0 + loss1 = 2 * b01
    EXPECT_GT(std::abs(unweighted - all), 1e-4) << "the data should tell the two means apart";
    // Accuracy likewise: over all 10 samples.
    const auto pred = argmax(model.predict(data.x), 1).to_vector<std::int64_t>();
    const auto truth = data.labels.to_vector<std::int64_t>();
    double hits = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) hits += pred[i] == truth[i];
    EXPECT_NEAR(h.history["accuracy"][0], hits / 10.0, 1e-12);
}

TEST(Fit, ValidationSplitHoldsOutTheLastSamples) {
    auto model = small_model();
    model.compile(optimizers::SGD({.learning_rate = 0.0}), "categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(10);
    const Tensor y = data.one_hot();
    Recorder rec;
    // ceil(10 * 0.8) = 8 training samples (2 steps of 4), the last 2 for validation.
    auto h = model.fit(data.x, y,
                       {.epochs = 1, .batch_size = 4, .verbose = 0, .callbacks = {rec.callback()},
                        .validation_split = 0.2});
    EXPECT_THAT(rec.batches, ElementsAre(0, 1));
    EXPECT_NEAR(h.history["loss"][0], direct_loss(model, data.x(Slice(0, 8)), y(Slice(0, 8))), 1e-6);
    EXPECT_NEAR(h.history["val_loss"][0], direct_loss(model, data.x(Slice(8, 10)), y(Slice(8, 10))), 1e-6);
    EXPECT_THAT([&] { model.fit(data.x, y, {.verbose = 0, .validation_split = 1.0}); },
                ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("validation_split must be in [0, 1)")));
}

TEST(Fit, TrainingReducesTheLoss) {
    auto model = small_model();
    model.compile(optimizers::RMSprop({.learning_rate = 0.01}), "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(200);
    auto h = model.fit(data.x, data.labels, {.epochs = 10, .batch_size = 16, .verbose = 0});
    EXPECT_LT(h.history["loss"].back(), 0.5 * h.history["loss"].front());
    EXPECT_GT(h.history["accuracy"].back(), 0.9);
}

TEST(Fit, InitialEpochResumesTheEpochCount) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(20);
    Recorder rec;
    auto h = model.fit(data.x, data.labels,
                       {.epochs = 3, .batch_size = 8, .verbose = 0, .callbacks = {rec.callback()}, .initial_epoch = 1});
    EXPECT_THAT(rec.epochs_begun, ElementsAre(1, 2));
    EXPECT_THAT(h.epoch, ElementsAre(1, 2));
    EXPECT_EQ(h.history["loss"].size(), 2u);
    EXPECT_EQ(model.optimizer()->iterations(), 2 * 3);
    EXPECT_THROW(model.fit(data.x, data.labels, {.epochs = 2, .verbose = 0, .initial_epoch = 3}), ValueError);
}

TEST(Fit, SameSeedGivesTheSameHistory) {
    // Initial weights, shuffles and dropout masks all come from the model's
    // seed; with the thread count unchanged, the arithmetic is deterministic.
    auto data = make_blobs(64);
    auto run = [&](std::uint64_t seed) {
        models::Sequential model({layers::Dense(16, "relu"), layers::Dropout(0.3), layers::Dense(3, "softmax")});
        model.set_seed(seed);
        model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
        auto h = model.fit(data.x, data.labels, {.epochs = 3, .batch_size = 8, .verbose = 0, .validation_split = 0.25});
        return std::make_pair(h.history, model.get_weights());
    };
    const auto [h1, w1] = run(42);
    const auto [h2, w2] = run(42);
    EXPECT_EQ(h1, h2);  // bit for bit
    ASSERT_EQ(w1.size(), w2.size());
    for (std::size_t i = 0; i < w1.size(); ++i) EXPECT_EQ(w1[i].to_vector<float>(), w2[i].to_vector<float>());
    const auto [h3, w3] = run(43);
    EXPECT_NE(h1.at("loss"), h3.at("loss"));
}

TEST(Fit, VerboseZeroPrintsNothing) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(20);
    ::testing::internal::CaptureStdout();
    model.fit(data.x, data.labels, {.epochs = 2, .batch_size = 8, .verbose = 0});
    model.evaluate(data.x, data.labels, {.verbose = 0});
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    ::testing::internal::CaptureStdout();
    model.fit(data.x, data.labels, {.epochs = 2, .batch_size = 8, .verbose = 2});
    const std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_THAT(out, ::testing::HasSubstr("Epoch 1/2\n"));
    EXPECT_THAT(out, ::testing::HasSubstr("Epoch 2/2\n"));
    EXPECT_THAT(out, ::testing::HasSubstr(" - loss: "));
    EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("\r")));
}
