// Sequential.evaluate / predict and the single-batch calls
// (train_on_batch, test_on_batch, predict_on_batch), and how "accuracy"
// resolves to binary / categorical / sparse from the shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fit_fixtures.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/training.hpp"

using namespace nabla;
using testing_fit::make_blobs;
using testing_fit::small_model;
using ::testing::ElementsAre;

namespace {

double hand_accuracy(const Tensor& probs, const Tensor& labels) {
    const auto pred = argmax(probs, 1).to_vector<std::int64_t>();
    const auto truth = labels.to_vector<std::int64_t>();
    double hits = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) hits += pred[i] == truth[i];
    return hits / double(truth.size());
}

metrics::Accuracy::Kind resolved_kind(const models::Sequential& model) {
    const auto* acc = dynamic_cast<const metrics::Accuracy*>(model.metrics().at(0).get());
    return acc ? acc->kind() : metrics::Accuracy::Kind::Unresolved;
}

}  // namespace

TEST(Evaluate, ReturnsTheLossAndEachMetric) {
    auto model = small_model();
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy", "mse"});
    auto data = make_blobs(50);
    const Tensor y = data.one_hot();
    models::Evaluation e = model.evaluate(data.x, y, {.batch_size = 16, .verbose = 0});
    EXPECT_THAT(e.names(), ElementsAre("loss", "accuracy", "mse"));
    EXPECT_EQ(e.values().size(), 3u);
    const Tensor probs = model.predict(data.x);
    EXPECT_NEAR(e.loss, model.loss()->call(y, probs).item<double>(), 1e-6);
    EXPECT_DOUBLE_EQ(e["accuracy"], hand_accuracy(probs, data.labels));
    auto unpack_two = [&] {
        auto [loss, acc] = e;
        return loss + acc;
    };
    EXPECT_THAT(unpack_two, ::testing::ThrowsMessage<ValueError>(::testing::HasSubstr("loss, accuracy, mse")));

    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    auto [loss, acc] = model.evaluate(data.x, y, {.verbose = 0});
    EXPECT_NEAR(loss, e.loss, 1e-6);  // batch size changes only the summation order
    EXPECT_DOUBLE_EQ(acc, e["accuracy"]);
}

TEST(Evaluate, AccuracyResolvesFromLabelAndOutputShapes) {
    auto data = make_blobs(30);
    {
        auto model = small_model();
        model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
        const double acc = model.evaluate(data.x, data.one_hot(), {.verbose = 0})["accuracy"];
        EXPECT_EQ(resolved_kind(model), metrics::Accuracy::Kind::Categorical);
        EXPECT_DOUBLE_EQ(acc, hand_accuracy(model.predict(data.x), data.labels));
    }
    {
        auto model = small_model();
        model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
        const double acc = model.evaluate(data.x, data.labels, {.verbose = 0})["accuracy"];
        EXPECT_EQ(resolved_kind(model), metrics::Accuracy::Kind::SparseCategorical);
        EXPECT_DOUBLE_EQ(acc, hand_accuracy(model.predict(data.x), data.labels));
    }
    {
        // One sigmoid unit: binary accuracy with threshold 0.5, labels (n,) or (n, 1).
        models::Sequential model({layers::Dense(4, "relu"), layers::Dense(1, "sigmoid")});
        model.set_seed(5);
        model.compile("rmsprop", "binary_crossentropy", {"accuracy"});
        const Tensor y = equal(data.labels, Tensor::scalar(0, int64)).astype(float32);
        const double acc = model.evaluate(data.x, y, {.verbose = 0})["accuracy"];
        EXPECT_EQ(resolved_kind(model), metrics::Accuracy::Kind::Binary);
        const auto p = model.predict(data.x).to_vector<float>();
        const auto t = y.to_vector<float>();
        double hits = 0;
        for (std::size_t i = 0; i < t.size(); ++i) hits += (p[i] > 0.5f) == (t[i] == 1.0f);
        EXPECT_DOUBLE_EQ(acc, hits / double(t.size()));
        EXPECT_DOUBLE_EQ(model.evaluate(data.x, y.reshape({30, 1}), {.verbose = 0})["accuracy"], acc);
    }
}

TEST(Predict, ReturnsProbabilitiesBatchByBatch) {
    auto model = small_model();  // not compiled: predict needs no compile
    auto data = make_blobs(37);
    const Tensor p = model.predict(data.x);
    EXPECT_EQ(p.shape(), (Shape{37, 3}));
    for (float r : sum(p, {1}).to_vector<float>()) EXPECT_NEAR(r, 1.0f, 1e-5f);
    for (float v : p.to_vector<float>()) EXPECT_GE(v, 0.0f);
    const Tensor p5 = model.predict(data.x, 5);  // 8 batches, the last of 2
    const auto a = p.to_vector<float>(), b = p5.to_vector<float>();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6f);
    const auto one = model.predict(data.x(Slice(36, 37))).to_vector<float>();
    for (std::size_t j = 0; j < 3; ++j) EXPECT_NEAR(one[j], a[36 * 3 + j], 1e-6f);
    EXPECT_THROW(model.predict(data.x, 0), ValueError);
}

TEST(OnBatch, TrainTestAndPredictOnOneBatch) {
    auto model = small_model();
    model.compile(optimizers::SGD({.learning_rate = 0.5}), "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(16);
    const Tensor before = model.predict_on_batch(data.x);
    EXPECT_EQ(before.to_vector<float>(), model.predict(data.x).to_vector<float>());
    const models::Evaluation t0 = model.test_on_batch(data.x, data.labels);
    EXPECT_NEAR(t0.loss, model.loss()->call(data.labels, before).item<double>(), 1e-6);
    EXPECT_DOUBLE_EQ(t0["accuracy"], hand_accuracy(before, data.labels));

    // train_on_batch reports the loss of the forward pass before its update, then updates.
    const models::Evaluation step = model.train_on_batch(data.x, data.labels);
    EXPECT_NEAR(step.loss, t0.loss, 1e-6);
    EXPECT_EQ(model.optimizer()->iterations(), 1);
    const models::Evaluation t1 = model.test_on_batch(data.x, data.labels);
    EXPECT_LT(t1.loss, t0.loss);
    EXPECT_NE(model.predict_on_batch(data.x).to_vector<float>(), before.to_vector<float>());
}
