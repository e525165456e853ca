// What exact resume rests on, in one process: a model rebuilt from the same
// seed, given the interrupted model's weights and random streams, and told
// to start at the interrupted epoch (resume_epoch, as BackupAndRestore does
// in on_train_begin), ends bit-identical to an uninterrupted fit. Plain SGD
// keeps no optimizer state, so weights + streams are the whole state here.
#include <gtest/gtest.h>

#include "nabla/nabla.hpp"

using namespace nabla;

namespace {

models::Sequential make_model() {
    // No input_shape: the seed is set before the weights are drawn.
    models::Sequential m({layers::Dense(16, "relu"), layers::Dropout(0.4), layers::Dense(4, "softmax")});
    m.set_seed(11);
    m.build({-1, 12});
    m.compile(optimizers::SGD({.learning_rate = 0.1}), "sparse_categorical_crossentropy", {"accuracy"});
    return m;
}

struct Data {
    Tensor x, y;
};
Data data() {
    random::Generator g(3);
    return {random::uniform({200, 12}, 0.0, 1.0, g), random::randint(0, 4, {200}, g)};
}

// Sets resume_epoch at train begin, as BackupAndRestore does after a restore.
class ResumeAt : public callbacks::Callback {
public:
    explicit ResumeAt(int epoch) : epoch_(epoch) {}
    void on_train_begin(const callbacks::Logs&) override { model()->resume_epoch = epoch_; }
    int first_epoch_seen = -1;
    void on_epoch_begin(int e, const callbacks::Logs&) override {
        if (first_epoch_seen < 0) first_epoch_seen = e;
    }

private:
    int epoch_;
};

std::vector<std::vector<float>> values(const models::Sequential& m) {
    std::vector<std::vector<float>> out;
    for (const Tensor& w : m.get_weights()) out.push_back(w.to_vector<float>());
    return out;
}

}  // namespace

TEST(ResumeState, WeightsAndStreamsResumeFitBitForBit) {
    const Data d = data();
    models::Sequential full = make_model();
    full.fit(d.x, d.y, {.epochs = 5, .batch_size = 16, .verbose = 0});

    models::Sequential first = make_model();
    first.fit(d.x, d.y, {.epochs = 3, .batch_size = 16, .verbose = 0});  // "killed" after epoch 3
    const auto weights = first.get_weights();
    const auto streams = first.random_state();
    ASSERT_EQ(streams.size(), 4u);  // model, dense, dropout, dense_1
    EXPECT_EQ(streams[0].first, "model");

    models::Sequential again = make_model();
    again.set_weights(weights);
    again.set_random_state(streams);
    auto resume = std::make_shared<ResumeAt>(3);
    auto h = again.fit(d.x, d.y, {.epochs = 5, .batch_size = 16, .verbose = 0, .callbacks = {resume}});
    EXPECT_EQ(resume->first_epoch_seen, 3);
    EXPECT_EQ(h.epoch, (std::vector<int>{3, 4}));
    EXPECT_TRUE(values(again) == values(full)) << "resumed weights differ from the uninterrupted run's";
}

TEST(ResumeState, WithoutTheStreamsTheResumeDiffers) {
    const Data d = data();
    models::Sequential full = make_model();
    full.fit(d.x, d.y, {.epochs = 5, .batch_size = 16, .verbose = 0});
    models::Sequential first = make_model();
    first.fit(d.x, d.y, {.epochs = 3, .batch_size = 16, .verbose = 0});
    models::Sequential again = make_model();
    again.set_weights(first.get_weights());  // Keras's backup: weights only
    again.fit(d.x, d.y, {.epochs = 5, .batch_size = 16, .verbose = 0, .callbacks = {std::make_shared<ResumeAt>(3)}});
    EXPECT_FALSE(values(again) == values(full));
}

TEST(ResumeState, MismatchedStreamsAreRefusedWithoutChange) {
    models::Sequential m = make_model();
    auto st = m.random_state();
    const auto before = m.random_state();
    st.push_back({"conv2d", st[1].second});
    try {
        m.set_random_state(st);
        FAIL();
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("conv2d"), std::string::npos) << e.what();
    }
    auto bad = before;
    bad.back().second = random::GeneratorState{};  // all-zero words
    EXPECT_THROW(m.set_random_state(bad), ValueError);
    EXPECT_EQ(m.random_state(), before);
}

