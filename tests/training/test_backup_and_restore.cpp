// BackupAndRestore's protocol, driven hook by hook with a model whose
// weights are raw floats: what is written, what a restart restores (epoch,
// weights, random streams), and what a kill at each step of a save leaves.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nabla/nabla.hpp"
#include "support/temp_dir.hpp"
#include "training/fake_model.hpp"

using namespace nabla;
using callbacks::BackupAndRestore;
namespace fs = std::filesystem;

namespace {
nlohmann::json read_json(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
}

// Epochs [from, to) of a "fit": each epoch draws from the model's stream and
// changes the weights, as a real one would.
void train(BackupAndRestore& cb, test::FakeModel& m, int to, bool end = true) {
    m.resume_epoch.reset();
    cb.on_train_begin({});
    const int from = m.resume_epoch.value_or(0);
    for (int e = from; e < to; ++e) {
        for (auto& v : m.w) v += static_cast<float>(m.rng.next_double());
        cb.on_epoch_end(e, {{"loss", 1.0}});
    }
    if (end) cb.on_train_end({});
}
}  // namespace

TEST(BackupAndRestore, WritesKerasFilesPlusRandomStateAndChecksum) {
    test::TempDir dir;
    test::FakeModel m;
    BackupAndRestore cb(dir.path() / "backup", {.delete_checkpoint = false});
    cb.set_model(&m);
    train(cb, m, 2);
    EXPECT_TRUE(fs::exists(dir.path() / "backup" / "latest.weights.h5"));
    EXPECT_FALSE(fs::exists(dir.path() / "backup" / "pending.weights.h5"));
    const nlohmann::json j = read_json(dir.path() / "backup" / "training_metadata.json");
    EXPECT_EQ(j["epoch"], 2);
    EXPECT_EQ(j["batch"], 0);
    EXPECT_EQ(j["nabla"]["random"][0][0], "model");
    EXPECT_EQ(random::parse_generator_state(j["nabla"]["random"][0][1].get<std::string>()), m.rng.state());
    EXPECT_EQ(j["nabla"]["weights_checksum"].get<std::string>().size(), 16u);
}

TEST(BackupAndRestore, RestartResumesWithWeightsAndRandomStateExactly) {
    test::TempDir dir;
    test::FakeModel reference;
    BackupAndRestore ref_cb(dir.path() / "ref");
    ref_cb.set_model(&reference);
    train(ref_cb, reference, 5);
    EXPECT_FALSE(fs::exists(dir.path() / "ref")) << "delete_checkpoint removes the directory after fit";

    // Interrupted after 3 epochs (no on_train_end), then a fresh process.
    test::FakeModel first;
    BackupAndRestore cb1(dir.path() / "b");
    cb1.set_model(&first);
    train(cb1, first, 3, /*end=*/false);
    test::FakeModel second;  // same construction, same seed
    BackupAndRestore cb2(dir.path() / "b");
    cb2.set_model(&second);
    second.resume_epoch.reset();
    cb2.on_train_begin({});
    EXPECT_EQ(second.resume_epoch, 3);
    EXPECT_EQ(cb2.restored_epoch(), 3);
    EXPECT_EQ(second.loaded.size(), 1u);
    for (int e = 3; e < 5; ++e) {
        for (auto& v : second.w) v += static_cast<float>(second.rng.next_double());
        cb2.on_epoch_end(e, {});
    }
    cb2.on_train_end({});
    EXPECT_EQ(second.w, reference.w) << "bit-identical to the uninterrupted run";
}

TEST(BackupAndRestore, AKillAtAnyStepOfASaveLeavesAConsistentPair) {
    test::TempDir dir;
    const fs::path b = dir.path() / "b";
    test::FakeModel m;
    BackupAndRestore cb(b, {.delete_checkpoint = false});
    cb.set_model(&m);
    train(cb, m, 2, false);
    const std::vector<float> after2 = m.w;
    const auto meta2 = io::read_file(b / "training_metadata.json");
    for (auto& v : m.w) v += 100;  // "epoch 3" weights

    // (1) killed after the pending weights, before the metadata: old pair.
    m.save_weights((b / "pending.weights.h5").string(), true);
    std::ofstream(b / "latest.weights.h5.tmp-AbC123") << "half a file";
    {
        test::FakeModel r;
        BackupAndRestore cb_r(b, {.delete_checkpoint = false});
        cb_r.set_model(&r);
        cb_r.on_train_begin({});
        EXPECT_EQ(r.w, after2);
        EXPECT_EQ(r.resume_epoch, 2);
        EXPECT_FALSE(fs::exists(b / "pending.weights.h5"));
        EXPECT_FALSE(fs::exists(b / "latest.weights.h5.tmp-AbC123")) << "stale temporaries are removed";
    }
    // (2) killed after the metadata, before the rename: the new pair.
    m.save_weights((b / "pending.weights.h5").string(), true);
    const std::vector<float> new_w = m.w;
    {
        // What save_backup writes, for epoch 3.
        test::FakeModel copy = m;
        BackupAndRestore writer(b, {.delete_checkpoint = false});
        writer.set_model(&copy);
        writer.on_epoch_end(2, {});  // a full save of epoch 3...
        fs::rename(b / "latest.weights.h5", b / "pending.weights.h5");  // ...undone to "before the rename"
        io::atomic_write(b / "latest.weights.h5", [&](std::ostream& os) {
            os.write(reinterpret_cast<const char*>(after2.data()), static_cast<std::streamsize>(after2.size() * 4));
        });
    }
    {
        test::FakeModel r;
        BackupAndRestore cb_r(b, {.delete_checkpoint = false});
        cb_r.set_model(&r);
        cb_r.on_train_begin({});
        EXPECT_EQ(r.w, new_w);
        EXPECT_EQ(r.resume_epoch, 3);
    }
    // (3) weights that match nothing: a typed error, not a wrong resume.
    io::atomic_write(b / "latest.weights.h5", [&](std::ostream& os) { os << "garbage!"; });
    test::FakeModel r;
    BackupAndRestore cb_r(b, {.delete_checkpoint = false});
    cb_r.set_model(&r);
    EXPECT_THROW(cb_r.on_train_begin({}), IOError);
    (void)meta2;
}

TEST(BackupAndRestore, DoubleCheckpointFallsBackToThePreviousPair) {
    test::TempDir dir;
    const fs::path b = dir.path() / "b";
    test::FakeModel m;
    BackupAndRestore cb(b, {.delete_checkpoint = false, .double_checkpoint = true});
    cb.set_model(&m);
    train(cb, m, 1, false);
    const std::vector<float> after1 = m.w;
    train(cb, m, 2, false);  // resumes at 1, saves epoch 2, keeping epoch 1 as .bkp
    EXPECT_TRUE(fs::exists(b / "latest.weights.h5.bkp"));
    EXPECT_TRUE(fs::exists(b / "training_metadata.json.bkp"));
    io::atomic_write(b / "training_metadata.json", [](std::ostream& os) { os << "{not json"; });
    test::FakeModel r;
    BackupAndRestore cb_r(b, {.double_checkpoint = true});
    cb_r.set_model(&r);
    cb_r.on_train_begin({});
    EXPECT_EQ(r.resume_epoch, 1);
    EXPECT_EQ(r.w, after1);
    // Without double_checkpoint the same damage is an error naming the file.
    io::atomic_write(b / "training_metadata.json", [](std::ostream& os) { os << "{not json"; });
    test::FakeModel r2;
    BackupAndRestore plain(b);
    plain.set_model(&r2);
    try {
        plain.on_train_begin({});
        FAIL();
    } catch (const IOError& e) {
        EXPECT_NE(std::string(e.what()).find("training_metadata.json"), std::string::npos) << e.what();
    }
}

TEST(BackupAndRestore, IntegerSaveFreqRecordsTheBatchAndArgumentsAreChecked) {
    test::TempDir dir;
    test::FakeModel m;
    BackupAndRestore cb(dir.path() / "b", {.save_freq = 2, .delete_checkpoint = false});
    cb.set_model(&m);
    cb.on_train_begin({});
    for (std::int64_t b = 0; b < 3; ++b) cb.on_train_batch_end(b, {});
    const nlohmann::json j = read_json(dir.path() / "b" / "training_metadata.json");
    EXPECT_EQ(j["epoch"], 0);
    EXPECT_EQ(j["batch"], 1);
    EXPECT_THROW(BackupAndRestore(""), ValueError);
    EXPECT_THROW(BackupAndRestore("x", {.save_freq = -1}), ValueError);
}
