// ModelCheckpoint: Keras 3's rules, driven hook by hook as fit drives them.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "nabla/nabla.hpp"
#include "support/temp_dir.hpp"
#include "training/fake_model.hpp"

#include <cmath>

using namespace nabla;
using callbacks::Logs;
using callbacks::ModelCheckpoint;
using callbacks::ModelCheckpointOptions;
namespace fs = std::filesystem;

namespace {
void run_epochs(ModelCheckpoint& cb, const std::vector<Logs>& epochs, std::int64_t steps = 0) {
    cb.on_train_begin({});
    for (int e = 0; e < static_cast<int>(epochs.size()); ++e) {
        cb.on_epoch_begin(e, {});
        for (std::int64_t b = 0; b < steps; ++b) cb.on_train_batch_end(b, epochs[static_cast<std::size_t>(e)]);
        cb.on_epoch_end(e, epochs[static_cast<std::size_t>(e)]);
    }
}
}  // namespace

TEST(ModelCheckpoint, TemplateNamesOneFilePerEpoch) {
    test::TempDir dir;
    test::FakeModel model;
    ModelCheckpoint cb((dir.path() / "ckpt-{epoch:02d}-{val_loss:.2f}.keras").string());
    cb.set_model(&model);
    run_epochs(cb, {{{"loss", 0.9}, {"val_loss", 0.5}}, {{"loss", 0.7}, {"val_loss", 0.6}},
                    {{"loss", 0.5}, {"val_loss", 0.256}}});
    ASSERT_EQ(model.saved.size(), 3u);
    EXPECT_EQ(fs::path(model.saved[0]).filename(), "ckpt-01-0.50.keras");
    EXPECT_EQ(fs::path(model.saved[1]).filename(), "ckpt-02-0.60.keras");
    EXPECT_EQ(fs::path(model.saved[2]).filename(), "ckpt-03-0.26.keras");
    for (const auto& p : model.saved) EXPECT_TRUE(fs::exists(p)) << p;
    EXPECT_TRUE(model.saved_weights.empty());
}

TEST(ModelCheckpoint, SaveBestOnlyKeepsTheBestAndSaysSo) {
    test::TempDir dir;
    test::FakeModel model;
    std::ostringstream out;
    const std::string path = (dir.path() / "best.weights.h5").string();
    ModelCheckpoint cb(path, {.verbose = 1, .save_best_only = true, .save_weights_only = true, .stream = &out});
    cb.set_model(&model);
    run_epochs(cb, {{{"val_loss", 0.5}}, {{"val_loss", 0.6}}, {{"val_loss", 0.4}}});
    EXPECT_EQ(model.saved_weights, (std::vector<std::string>{path, path}));
    EXPECT_EQ(cb.best(), 0.4);
    EXPECT_EQ(out.str(), "\nEpoch 1: val_loss improved from inf to 0.50000, saving model to " + path +
                             "\n\nEpoch 1: finished saving model to " + path +
                             "\n\nEpoch 2: val_loss did not improve from 0.50000\n"
                             "\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to " + path +
                             "\n\nEpoch 3: finished saving model to " + path + "\n");
}

TEST(ModelCheckpoint, ModeAutoFollowsTheMetricAndThresholdApplies) {
    test::TempDir dir;
    test::FakeModel model;
    ModelCheckpoint acc((dir.path() / "a.keras").string(), {.monitor = "val_accuracy", .save_best_only = true});
    acc.set_model(&model);
    run_epochs(acc, {{{"val_accuracy", 0.8}}, {{"val_accuracy", 0.7}}, {{"val_accuracy", 0.9}}});
    EXPECT_EQ(model.saved.size(), 2u) << "accuracy is maximized";
    EXPECT_EQ(acc.best(), 0.9);

    test::FakeModel m2;
    ModelCheckpoint low((dir.path() / "b.keras").string(),
                        {.monitor = "loss", .save_best_only = true, .mode = "max", .initial_value_threshold = 0.65});
    low.set_model(&m2);
    run_epochs(low, {{{"loss", 0.5}}, {{"loss", 0.7}}, {{"loss", 0.6}}});
    EXPECT_EQ(m2.saved.size(), 1u) << "mode max on loss, only 0.7 beats the threshold 0.65";

    EXPECT_THROW(ModelCheckpoint("c.keras", {.monitor = "my_score"}), ValueError);
    EXPECT_NO_THROW(ModelCheckpoint("c.keras", {.monitor = "my_score", .mode = "max"}));
    EXPECT_THROW(ModelCheckpoint("c.keras", {.mode = "best"}), ValueError);
}

TEST(ModelCheckpoint, MissingMonitorWarnsAndSaves) {
    test::TempDir dir;
    test::FakeModel model;
    ModelCheckpoint cb((dir.path() / "m.keras").string(), {.save_best_only = true});
    cb.set_model(&model);
    testing::internal::CaptureStderr();
    run_epochs(cb, {{{"loss", 0.5}}});
    EXPECT_NE(testing::internal::GetCapturedStderr().find("Can save best model only with val_loss available"),
              std::string::npos);
    EXPECT_EQ(model.saved.size(), 1u);
}

TEST(ModelCheckpoint, FileExtensionsAreChecked) {
    try {
        ModelCheckpoint("w.keras", {.save_weights_only = true});
        FAIL();
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("must end in `.weights.h5`"), std::string::npos) << e.what();
    }
    EXPECT_THROW(ModelCheckpoint("model.npz"), ValueError);
    EXPECT_NO_THROW(ModelCheckpoint("model.h5"));
    EXPECT_NO_THROW(ModelCheckpoint("x.weights.h5", {.save_weights_only = true}));
}

TEST(ModelCheckpoint, MissingTemplateKeyNamesItAndTheKeys) {
    test::TempDir dir;
    test::FakeModel model;
    ModelCheckpoint cb((dir.path() / "ckpt-{val_los:.2f}.keras").string());
    cb.set_model(&model);
    try {
        run_epochs(cb, {{{"loss", 0.5}, {"val_loss", 0.4}}});
        FAIL() << "no error";
    } catch (const ValueError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("Failed to format this callback filepath: \""), std::string::npos) << msg;
        EXPECT_NE(msg.find("Reason: 'val_los'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("epoch, loss, val_loss"), std::string::npos) << msg;
    }
    EXPECT_TRUE(model.saved.empty());
}

TEST(ModelCheckpoint, IntegerSaveFreqCountsBatchesAcrossEpochs) {
    test::TempDir dir;
    test::FakeModel model;
    ModelCheckpoint cb((dir.path() / "e{epoch}-b{batch}.keras").string(), {.save_freq = 2});
    cb.set_model(&model);
    run_epochs(cb, {{{"loss", 1.0}}, {{"loss", 0.5}}}, /*steps=*/3);
    std::vector<std::string> names;
    for (const auto& p : model.saved) names.push_back(fs::path(p).filename().string());
    // batches 0,1 | 2, (epoch 2) 0 | 1,2: saves after the 2nd, 4th and 6th batch.
    EXPECT_EQ(names, (std::vector<std::string>{"e1-b2.keras", "e2-b1.keras", "e2-b3.keras"}));
    EXPECT_THROW(ModelCheckpoint("x.keras", {.save_freq = 0}), ValueError);
    EXPECT_THROW(ModelCheckpoint("x.keras", {.save_freq = "batch"}), ValueError);
}

TEST(ModelCheckpoint, CreatesTheDirectoryAndRefusesADirectoryTarget) {
    test::TempDir dir;
    test::FakeModel model;
    ModelCheckpoint cb((dir.path() / "sub" / "deeper" / "m.keras").string());
    cb.set_model(&model);
    run_epochs(cb, {{{"loss", 1.0}}});
    EXPECT_TRUE(fs::exists(dir.path() / "sub" / "deeper" / "m.keras"));
    fs::create_directories(dir.path() / "taken.keras");
    ModelCheckpoint bad((dir.path() / "taken.keras").string());
    bad.set_model(&model);
    EXPECT_THROW(run_epochs(bad, {{{"loss", 1.0}}}), IOError);
}

namespace {
// A real model whose save() only records the path (and touches the file).
class RecordingModel : public models::Sequential {
public:
    using Sequential::Sequential;
    mutable std::vector<std::string> saved;
    void save(const std::string& path, bool) const override {
        io::atomic_write(path, [](std::ostream& os) { os << "model"; });
        saved.push_back(path);
    }
};
}  // namespace

TEST(ModelCheckpoint, InARealFitSavesEachImprovementOfValLoss) {
    test::TempDir dir;
    RecordingModel model;
    model.set_seed(1);
    model.add(layers::Dense(8, "relu", {.input_shape = {6}}));
    model.add(layers::Dense(3, "softmax"));
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    random::Generator g(2);
    const Tensor x = random::uniform({120, 6}, 0.0, 1.0, g), y = random::randint(0, 3, {120}, g);
    auto cb = std::make_shared<ModelCheckpoint>((dir.path() / "m-{epoch:02d}-{val_loss:.4f}.keras").string(),
                                                ModelCheckpointOptions{.save_best_only = true});
    auto h = model.fit(x, y, {.epochs = 6, .batch_size = 16, .verbose = 0, .callbacks = {cb}, .validation_split = 0.25});
    std::vector<std::string> expected;
    double best = HUGE_VAL;
    const auto& vl = h.history.at("val_loss");
    for (std::size_t e = 0; e < vl.size(); ++e)
        if (vl[e] < best) {
            best = vl[e];
            expected.push_back((dir.path() / callbacks::format_filepath("m-{epoch:02d}-{val_loss:.4f}.keras",
                                                                        {{"epoch", std::int64_t(e + 1)}, {"val_loss", vl[e]}}))
                                   .string());
        }
    EXPECT_EQ(model.saved, expected);
    EXPECT_EQ(cb->best(), best);
    for (const auto& p : expected) EXPECT_TRUE(fs::exists(p)) << p;
}

TEST(ModelCheckpoint, RealKerasFilesReloadToTheSavedModel) {
    test::TempDir dir;
    models::Sequential model;
    model.set_seed(4);
    model.add(layers::Dense(8, "relu", {.input_shape = {6}}));
    model.add(layers::Dense(3, "softmax"));
    model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    random::Generator g(5);
    const Tensor x = random::uniform({64, 6}, 0.0, 1.0, g), y = random::randint(0, 3, {64}, g);
    const std::string pattern = (dir.path() / "e{epoch}.keras").string();
    const std::string best = (dir.path() / "best.weights.h5").string();
    model.fit(x, y, {.epochs = 3, .batch_size = 16, .verbose = 0,
                     .callbacks = {std::make_shared<ModelCheckpoint>(pattern, ModelCheckpointOptions{.monitor = "loss"}),
                                   std::make_shared<ModelCheckpoint>(best, ModelCheckpointOptions{
                                       .monitor = "loss", .save_best_only = true, .save_weights_only = true})}});
    for (int e = 1; e <= 3; ++e) EXPECT_TRUE(fs::exists(dir.path() / ("e" + std::to_string(e) + ".keras"))) << e;
    models::Sequential last = models::load_model((dir.path() / "e3.keras").string());
    EXPECT_TRUE(last.predict(x).to_vector<float>() == model.predict(x).to_vector<float>());
    EXPECT_EQ(last.optimizer()->iterations(), model.optimizer()->iterations());
    for (const auto& e : fs::directory_iterator(dir.path()))
        EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
}
