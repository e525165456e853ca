#include <gtest/gtest.h>

#include "nabla/autodiff/gradient_tape.hpp"
#include "nabla/training/metrics.hpp"
#include "nabla/core/random.hpp"
#include "nabla/data/utils.hpp"

#include <cmath>

using namespace nabla;
using metrics::Accuracy;

namespace {
// A column (n, 1): col({1.0, 3.0}) is ambiguous between the 2-D and 3-D
// initializer lists.
Tensor col(const std::vector<double>& v) { return Tensor(v, {static_cast<std::int64_t>(v.size()), 1}); }
}  // namespace

TEST(Metrics, MeanIsWeightedAndResets) {
    metrics::Mean m("loss");
    EXPECT_EQ(m.name(), "loss");
    EXPECT_EQ(m.result(), 0.0);  // Keras's divide_no_nan before any update
    m.update_state(2.0, 3.0);     // a batch of 3 with mean loss 2
    m.update_state(4.0, 1.0);
    EXPECT_DOUBLE_EQ(m.result(), 10.0 / 4.0);
    m.update_state(Tensor{1.0, 2.0, 3.0});
    EXPECT_DOUBLE_EQ(m.result(), 16.0 / 7.0);
    m.update_state(Tensor{10.0, 20.0}, Tensor{0.0, 1.0});
    EXPECT_DOUBLE_EQ(m.result(), 36.0 / 8.0);
    EXPECT_DOUBLE_EQ(m.total(), 36.0);
    EXPECT_DOUBLE_EQ(m.count(), 8.0);
    m.reset_state();
    EXPECT_EQ(m.result(), 0.0);
    // Per-sample weights broadcast over trailing axes; (n, 1) weights too.
    m.update_state(Tensor{{1.0, 3.0}, {5.0, 7.0}}, Tensor{1.0, 0.0});
    EXPECT_DOUBLE_EQ(m.result(), 2.0);
    m.reset_state();
    m.update_state(Tensor{1.0, 5.0}, col({1.0, 3.0}));
    EXPECT_DOUBLE_EQ(m.result(), 16.0 / 4.0);
    EXPECT_THROW(m.update_state(Tensor{1.0, 5.0}, Tensor{1.0, 2.0, 3.0}), ShapeError);
    EXPECT_THROW(m.update_state(Tensor()), ValueError);
}

TEST(Metrics, CategoricalAccuracyComparesArgmaxes) {
    metrics::CategoricalAccuracy acc;
    EXPECT_EQ(acc.name(), "categorical_accuracy");
    const Tensor t{{0., 0., 1.}, {0., 1., 0.}, {1., 0., 0.}, {0., 1., 0.}};
    const Tensor p{{0.1, 0.2, 0.7}, {0.5, 0.4, 0.1}, {0.4, 0.4, 0.2}, {0.3, 0.3, 0.4}};
    // rows: hit, miss, hit (tie -> first index), miss
    EXPECT_EQ(acc.values(t, p).to_vector<double>(), (std::vector<double>{1, 0, 1, 0}));
    acc.update_state(t, p);
    EXPECT_DOUBLE_EQ(acc.result(), 0.5);
    acc.update_state(t(Slice(0, 1)), p(Slice(0, 1)));
    EXPECT_DOUBLE_EQ(acc.result(), 3.0 / 5.0);
    acc.update_state(t, p, Tensor{0.0, 1.0, 0.0, 1.0});  // only the misses count
    EXPECT_DOUBLE_EQ(acc.result(), 3.0 / 7.0);
    acc.reset_state();
    EXPECT_EQ(acc.result(), 0.0);
    EXPECT_THROW(acc.update_state(t(Slice(0, 2)), p), ShapeError);
}

TEST(Metrics, SparseCategoricalAccuracy) {
    metrics::SparseCategoricalAccuracy acc;
    const Tensor p{{0.1, 0.2, 0.7}, {0.5, 0.4, 0.1}, {0.2, 0.6, 0.2}};
    acc.update_state(Tensor({2, 1, 1}, int64), p);
    EXPECT_DOUBLE_EQ(acc.result(), 2.0 / 3.0);
    acc.update_state(col({0.0, 0.0, 1.0}), p);  // (n, 1) float labels, as Keras accepts
    EXPECT_DOUBLE_EQ(acc.result(), 4.0 / 6.0);
    EXPECT_THROW(acc.update_state(Tensor({2, 1}, int64), p), ShapeError);
}

TEST(Metrics, BinaryAccuracyThresholds) {
    metrics::BinaryAccuracy acc;
    const Tensor t = col({1.0, 0.0, 1.0, 0.0});
    const Tensor p = col({0.9, 0.5, 0.5, 0.1});  // 0.5 is not > 0.5: predicts 0
    acc.update_state(t, p);
    EXPECT_DOUBLE_EQ(acc.result(), 0.75);
    metrics::BinaryAccuracy strict("strict", 0.95);
    strict.update_state(t, p);
    EXPECT_DOUBLE_EQ(strict.result(), 0.5);
    // (n,) labels against (n, 1) outputs; multi-label rows average their columns.
    metrics::BinaryAccuracy flat;
    flat.update_state(Tensor{1.0, 0.0, 1.0, 0.0}, p);
    EXPECT_DOUBLE_EQ(flat.result(), 0.75);
    metrics::BinaryAccuracy multi;
    EXPECT_EQ(multi.values(Tensor{{1.0, 0.0}, {1.0, 1.0}}, Tensor{{0.7, 0.7}, {0.6, 0.9}}).to_vector<double>(),
              (std::vector<double>{0.5, 1.0}));
}

TEST(Metrics, AccuracyResolvesLikeKerasCompile) {
    EXPECT_EQ(Accuracy::resolve({32, 10}, {32, 10}), Accuracy::Kind::Categorical);
    EXPECT_EQ(Accuracy::resolve({32}, {32, 10}), Accuracy::Kind::SparseCategorical);
    EXPECT_EQ(Accuracy::resolve({32, 1}, {32, 10}), Accuracy::Kind::SparseCategorical);
    EXPECT_EQ(Accuracy::resolve({32, 1}, {32, 1}), Accuracy::Kind::Binary);
    EXPECT_EQ(Accuracy::resolve({32}, {32, 1}), Accuracy::Kind::Binary);
    EXPECT_THROW(Accuracy::resolve({}, {32, 1}), ShapeError);

    const Tensor p{{0.1, 0.2, 0.7}, {0.5, 0.4, 0.1}};
    Accuracy sparse;
    EXPECT_EQ(sparse.kind(), Accuracy::Kind::Unresolved);
    sparse.update_state(Tensor({2, 1}, int64), p);
    EXPECT_EQ(sparse.kind(), Accuracy::Kind::SparseCategorical);
    EXPECT_DOUBLE_EQ(sparse.result(), 0.5);
    sparse.reset_state();
    EXPECT_EQ(sparse.kind(), Accuracy::Kind::SparseCategorical);  // resolved once, as compile does

    Accuracy onehot;
    onehot.update_state(Tensor{{0., 0., 1.}, {1., 0., 0.}}, p);
    EXPECT_EQ(onehot.kind(), Accuracy::Kind::Categorical);
    EXPECT_DOUBLE_EQ(onehot.result(), 1.0);

    Accuracy binary;
    binary.update_state(col({1.0, 1.0}), col({0.8, 0.3}));
    EXPECT_EQ(binary.kind(), Accuracy::Kind::Binary);
    EXPECT_DOUBLE_EQ(binary.result(), 0.5);
    EXPECT_EQ(binary.direction(), metrics::Direction::Up);
}

TEST(Metrics, ErrorMetrics) {
    metrics::MeanSquaredError mse;
    metrics::MeanAbsoluteError mae;
    const Tensor t{{1.0, 2.0}, {3.0, 4.0}}, p{{1.5, 1.0}, {2.0, 6.0}};
    mse.update_state(t, p);
    mae.update_state(t, p);
    EXPECT_DOUBLE_EQ(mse.result(), 1.5625);
    EXPECT_DOUBLE_EQ(mae.result(), (0.5 + 1.0 + 1.0 + 2.0) / 4.0);
    EXPECT_EQ(mse.direction(), metrics::Direction::Down);
    EXPECT_THROW(mse.update_state(t, Tensor{1.0, 2.0, 3.0}), ShapeError);
}

TEST(Metrics, DoNotRecordOnATape) {
    Tensor p{{0.1, 0.9}, {0.8, 0.2}};
    GradientTape tape;
    tape.watch(p);
    const std::size_t before = tape.recorded_ops();
    Accuracy acc;
    acc.update_state(Tensor({1, 0}, int64), p);
    EXPECT_EQ(tape.recorded_ops(), before);
    EXPECT_DOUBLE_EQ(acc.result(), 1.0);
}

TEST(Metrics, GetByNameKeepsTheGivenName) {
    EXPECT_EQ(metrics::get("accuracy")->name(), "accuracy");
    EXPECT_EQ(metrics::get("acc")->name(), "acc");
    EXPECT_NE(dynamic_cast<Accuracy*>(metrics::get("acc").get()), nullptr);
    EXPECT_NE(dynamic_cast<metrics::SparseCategoricalAccuracy*>(metrics::get("sparse_categorical_accuracy").get()),
              nullptr);
    EXPECT_NE(dynamic_cast<metrics::MeanSquaredError*>(metrics::get("mse").get()), nullptr);
    EXPECT_EQ(metrics::get("mse")->name(), "mse");
    EXPECT_NE(dynamic_cast<metrics::MeanAbsoluteError*>(metrics::get("mean_absolute_error").get()), nullptr);
    try {
        metrics::get("f1");
        FAIL() << "expected ValueError";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("'f1'"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("'accuracy'"), std::string::npos);
    }
}

TEST(Metrics, DirectionOfLoggedNames) {
    using metrics::Direction;
    EXPECT_EQ(metrics::direction_of("loss"), Direction::Down);
    EXPECT_EQ(metrics::direction_of("val_loss"), Direction::Down);
    EXPECT_EQ(metrics::direction_of("val_accuracy"), Direction::Up);
    EXPECT_EQ(metrics::direction_of("acc"), Direction::Up);
    EXPECT_EQ(metrics::direction_of("val_mse"), Direction::Down);
    EXPECT_EQ(metrics::direction_of("mean_absolute_error"), Direction::Down);
    EXPECT_EQ(metrics::direction_of("custom"), std::nullopt);
}

// The allocation-free float32 fast path counts exactly what the general
// path (float64 predictions) counts, ties and NaN rows included.
TEST(Metrics, AccuracyFastPathMatchesGeneralPath) {
    using namespace nabla;
    random::Generator gen(11);
    Tensor p = random::randint(0, 3, {64, 4}, gen).astype(float32);  // many ties
    p.data<float>()[5] = NAN;
    const Tensor ids = random::randint(0, 4, {64}, gen);
    for (const Tensor& labels : {ids, ids.astype(uint8), ids.astype(int32), ids.reshape({64, 1})}) {
        metrics::Accuracy fast, general;
        fast.update_state(labels, p);
        general.update_state(labels, p.astype(float64));
        EXPECT_DOUBLE_EQ(fast.result(), general.result());
        metrics::SparseCategoricalAccuracy sfast, sgeneral;
        sfast.update_state(labels, p);
        sgeneral.update_state(labels, p.astype(float64));
        EXPECT_DOUBLE_EQ(sfast.result(), sgeneral.result());
    }
    const Tensor onehot = utils::to_categorical(ids, 4);
    metrics::CategoricalAccuracy fast, general;
    fast.update_state(onehot, p);
    general.update_state(onehot, p.astype(float64));
    EXPECT_DOUBLE_EQ(fast.result(), general.result());
    EXPECT_GT(fast.result(), 0.0);
}
