// .weights.h5: Keras 3's layout, round trips of weights and optimizer state,
// and exact resume (2 steps + save + load + 2 steps == 4 steps).
#include <gtest/gtest.h>

#include "../support/requirements.hpp"
#include "../support/temp_dir.hpp"
#include "saving_fixtures.hpp"

namespace nabla {
namespace {

using testing_fit::make_blobs;
using testing_fit::small_model;
using testing_saving::expect_same_weights;
using testing_saving::same_bits;

models::Sequential compiled(models::OptimizerArg opt, std::uint64_t seed = 3) {
    models::Sequential m = small_model(seed);
    m.compile(std::move(opt), "sparse_categorical_crossentropy", {"accuracy"});
    return m;
}

void train(models::Sequential& m, const testing_fit::Blobs& data, int steps) {
    for (int s = 0; s < steps; ++s) {
        const std::int64_t b = (s % 4) * 16;
        m.train_on_batch(data.x(Slice(b, b + 16)), data.labels(Slice(b, b + 16)));
    }
}

// train 2 + save_weights + load into a fresh model + 2 == train 4, bit for bit.
template <typename MakeOpt>
void expect_exact_resume(MakeOpt make_opt) {
    test::TempDir dir;
    const auto data = make_blobs(64);
    models::Sequential straight = compiled(make_opt());
    train(straight, data, 4);

    models::Sequential first = compiled(make_opt());
    train(first, data, 2);
    const std::string path = (dir / "ckpt.weights.h5").string();
    first.save_weights(path);

    models::Sequential resumed = compiled(make_opt(), /*seed=*/99);  // other initial weights
    resumed.load_weights(path);
    EXPECT_EQ(resumed.optimizer()->iterations(), 2);
    expect_same_weights(resumed, first);
    const auto fv = first.trainable_weights(), rv = resumed.trainable_weights();
    for (std::size_t i = 0; i < fv.size(); ++i)
        for (const std::string& s : first.optimizer()->slot_names())
            EXPECT_TRUE(same_bits(first.optimizer()->slot(fv[i], s), resumed.optimizer()->slot(rv[i], s)))
                << fv[i].name() << " " << s;
    // Steps 2 and 3 (the batches the straight run used there).
    for (std::int64_t b : {32, 48}) resumed.train_on_batch(data.x(Slice(b, b + 16)), data.labels(Slice(b, b + 16)));
    EXPECT_EQ(resumed.optimizer()->iterations(), 4);
    expect_same_weights(resumed, straight);
}

TEST(SavingWeightsH5, RMSpropResumesExactly) {
    expect_exact_resume([] { return optimizers::RMSprop(); });
}
TEST(SavingWeightsH5, RMSpropMomentumCenteredResumesExactly) {
    expect_exact_resume([] { return optimizers::RMSprop({.momentum = 0.5, .centered = true}); });
}
TEST(SavingWeightsH5, AdamResumesExactly) {
    expect_exact_resume([] { return optimizers::Adam(); });
}
TEST(SavingWeightsH5, AdamAmsgradResumesExactly) {
    expect_exact_resume([] { return optimizers::Adam({.amsgrad = true}); });
}
TEST(SavingWeightsH5, SGDMomentumNesterovResumesExactly) {
    expect_exact_resume([] { return optimizers::SGD({.momentum = 0.9, .nesterov = true}); });
}
TEST(SavingWeightsH5, PlainSGDResumesExactly) {
    expect_exact_resume([] { return optimizers::SGD(); });
}
TEST(SavingWeightsH5, AdagradResumesExactly) {
    expect_exact_resume([] { return optimizers::Adagrad(); });
}

TEST(SavingWeightsH5, RestoresTheStoredRateButKeepsASchedule) {
    test::TempDir dir;
    const auto data = make_blobs(64);
    models::Sequential m = compiled(optimizers::RMSprop({.learning_rate = 0.05}));
    train(m, data, 1);
    const std::string path = (dir / "w.weights.h5").string();
    m.save_weights(path);
    models::Sequential r = compiled(optimizers::RMSprop({.learning_rate = 0.5}));
    r.load_weights(path);
    EXPECT_EQ(r.optimizer()->learning_rate(), static_cast<double>(0.05f));  // Keras stores it as float32
    models::Sequential s = compiled(optimizers::RMSprop());
    s.optimizer()->set_learning_rate_schedule([](std::int64_t step) { return 0.1 / double(step + 1); });
    s.load_weights(path);
    EXPECT_EQ(s.optimizer()->learning_rate(), 0.1 / 2);  // the schedule at iteration 1
}

TEST(SavingWeightsH5, RefusesOtherExtensions) {
    test::TempDir dir;
    models::Sequential m = small_model();
    EXPECT_THROW(m.save_weights((dir / "w.h5").string()), ValueError);
    EXPECT_EQ(dir.count(), 0);
}

TEST(SavingWeightsH5, NoOverwriteKeepsTheFile) {
    test::TempDir dir;
    models::Sequential m = small_model();
    const std::string path = (dir / "w.weights.h5").string();
    m.save_weights(path);
    EXPECT_THROW(m.save_weights(path, /*overwrite=*/false), IOError);
    m.save_weights(path, true);
    EXPECT_EQ(dir.count(), 1);
}

TEST(SavingWeightsH5, UnbuiltModelCannotSave) {
    test::TempDir dir;
    models::Sequential m({layers::Dense(3)});
    EXPECT_THROW(m.save_weights((dir / "w.weights.h5").string()), ValueError);
}

TEST(SavingWeightsH5, KerasLayoutSeenByH5py) {
    if (!testing_saving::have_h5py()) NABLA_SKIP_OR_FAIL("python3 with h5py is not installed");
    test::TempDir dir;
    models::Sequential m({layers::Dense(8, "relu", {.input_shape = {4}, .name = "hidden"}), layers::Dropout(0.5),
                          layers::Dense(3, "softmax", {.use_bias = false})});
    m.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    const auto data = make_blobs(16);
    m.train_on_batch(data.x, data.labels);
    const std::string path = (dir / "m.weights.h5").string();
    m.save_weights(path);
    const std::string script = R"PY(
import sys, h5py
f = h5py.File(sys.argv[1], "r")
out = []
f.visititems(lambda n, o: out.append((n, str(o.dtype) if hasattr(o, "dtype") else "", tuple(o.shape) if hasattr(o, "shape") else (), {k: str(v) for k, v in o.attrs.items()})))
for row in sorted(out): print(row)
)PY";
    const auto [rc, text] = testing_saving::run_python(script, path);
    ASSERT_EQ(rc, 0) << text;
    const std::string expected =
        "('layers', '', (), {})\n"
        "('layers/dense', '', (), {})\n"
        "('layers/dense/vars', '', (), {'name': 'hidden'})\n"
        "('layers/dense/vars/0', 'float32', (4, 8), {})\n"
        "('layers/dense/vars/1', 'float32', (8,), {})\n"
        "('layers/dense_1', '', (), {})\n"
        "('layers/dense_1/vars', '', (), {'name': '" + m.layers()[2]->name() + "'})\n"
        "('layers/dense_1/vars/0', 'float32', (8, 3), {})\n"
        "('layers/dropout', '', (), {})\n"
        "('layers/dropout/vars', '', (), {'name': '" + m.layers()[1]->name() + "'})\n"
        "('optimizer', '', (), {})\n"
        "('optimizer/vars', '', (), {'name': 'rm_sprop'})\n"
        "('optimizer/vars/0', 'int64', (), {})\n"
        "('optimizer/vars/1', 'float32', (), {})\n"
        "('optimizer/vars/2', 'float32', (4, 8), {})\n"
        "('optimizer/vars/3', 'float32', (8,), {})\n"
        "('optimizer/vars/4', 'float32', (8, 3), {})\n"
        "('vars', '', (), {'name': '" + m.name() + "'})\n";
    EXPECT_EQ(text, expected);
}

TEST(SavingWeightsH5, UntrainedCompiledModelStoresTwoOptimizerVars) {
    test::TempDir dir;
    models::Sequential m = compiled(optimizers::Adam());
    const std::string path = (dir / "m.weights.h5").string();
    m.save_weights(path);
    models::Sequential r = compiled(optimizers::Adam(), 5);
    r.load_weights(path);
    expect_same_weights(r, m);
    EXPECT_EQ(r.optimizer()->iterations(), 0);
    EXPECT_FALSE(r.optimizer()->built());
}

}  // namespace
}  // namespace nabla
