// Callbacks driven by a real fit(): EarlyStopping, CSVLogger, LambdaCallback
// and a user-supplied History.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "fit_fixtures.hpp"
#include "nabla/training.hpp"

using namespace nabla;
using testing_fit::make_blobs;
using testing_fit::small_model;
using ::testing::ElementsAre;

namespace {

// A metric whose epoch value follows a script: fit() resets metrics at each
// epoch start, so the k-th epoch reports script[k]. It lets the tests drive
// EarlyStopping through a chosen sequence of values with real training.
class ScriptedMetric final : public metrics::Metric {
public:
    explicit ScriptedMetric(std::vector<double> script) : Metric("scripted"), script_(std::move(script)) {}
    void update_state(const Tensor&, const Tensor&, const Tensor&) override {}
    double result() const override { return script_.at(static_cast<std::size_t>(epoch_)); }
    void reset_state() override { ++epoch_; }
    metrics::Direction direction() const override { return metrics::Direction::Down; }

private:
    std::vector<double> script_;
    int epoch_ = -1;
};

// Copies of the weights at the end of every epoch.
struct WeightLog {
    std::vector<std::vector<Tensor>> per_epoch;
    std::shared_ptr<callbacks::LambdaCallback> callback(models::Sequential& model) {
        return std::make_shared<callbacks::LambdaCallback>(callbacks::LambdaCallbackFunctions{
            .on_epoch_end = [this, &model](int, const callbacks::Logs&) { per_epoch.push_back(model.get_weights()); },
        });
    }
};

std::vector<float> flat(const std::vector<Tensor>& ws) {
    std::vector<float> out;
    for (const auto& w : ws)
        for (float v : w.to_vector<float>()) out.push_back(v);
    return out;
}

// "prefix" + n, built by appending (GCC 12 warns falsely, -Wrestrict, on
// "literal" + std::string temporaries).
std::string tagged(const char* prefix, std::int64_t n, const char* suffix = "") {
    std::string s = prefix;
    s += std::to_string(n);
    s += suffix;
    return s;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(FitCallbacks, EarlyStoppingStopsAfterPatienceAndRestoresTheBestWeights) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy",
                  {std::make_shared<ScriptedMetric>(std::vector<double>{1.0, 0.5, 0.6, 0.55, 0.3, 0.2})});
    auto data = make_blobs(20);
    WeightLog log;
    auto stop = std::make_shared<callbacks::EarlyStopping>(
        callbacks::EarlyStoppingOptions{
            .monitor = "scripted", .patience = 2, .mode = "min", .restore_best_weights = true});
    auto h = model.fit(data.x, data.labels,
                       {.epochs = 6, .batch_size = 8, .verbose = 0, .callbacks = {log.callback(model), stop}});
    // Best at epoch 1 (0.5); epochs 2 and 3 do not improve: stop after epoch 3.
    EXPECT_THAT(h.history["scripted"], ElementsAre(1.0, 0.5, 0.6, 0.55));
    EXPECT_EQ(stop->stopped_epoch(), 3);
    EXPECT_EQ(stop->best_epoch(), 1);
    ASSERT_EQ(log.per_epoch.size(), 4u);
    EXPECT_EQ(flat(model.get_weights()), flat(log.per_epoch[1]));
    EXPECT_NE(flat(model.get_weights()), flat(log.per_epoch[3]));
}

TEST(FitCallbacks, EarlyStoppingMinDelta) {
    auto data = make_blobs(20);
    const std::vector<double> script{1.0, 0.95, 0.92, 0.85, 0.8};
    auto run = [&](double min_delta) {
        auto model = small_model();
        model.compile("rmsprop", "sparse_categorical_crossentropy", {std::make_shared<ScriptedMetric>(script)});
        auto stop = std::make_shared<callbacks::EarlyStopping>(
            callbacks::EarlyStoppingOptions{.monitor = "scripted", .min_delta = min_delta, .patience = 2, .mode = "min"});
        return model.fit(data.x, data.labels, {.epochs = 5, .batch_size = 8, .verbose = 0, .callbacks = {stop}})
            .history["scripted"]
            .size();
    };
    EXPECT_EQ(run(0.0), 5u);  // every epoch improves
    EXPECT_EQ(run(0.1), 3u);  // improvements smaller than 0.1 do not count: stop after epoch 2
}

TEST(FitCallbacks, EarlyStoppingOnValLossByDefault) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy");
    auto data = make_blobs(20);
    auto stop = std::make_shared<callbacks::EarlyStopping>();
    EXPECT_EQ(stop->options().monitor, "val_loss");
    auto h = model.fit(data.x, data.labels,
                       {.epochs = 3, .batch_size = 8, .verbose = 0, .callbacks = {stop}, .validation_split = 0.25});
    EXPECT_TRUE(stop->best().has_value());
    EXPECT_DOUBLE_EQ(*stop->best(), *std::min_element(h.history["val_loss"].begin(), h.history["val_loss"].end()));
}

TEST(FitCallbacks, CSVLoggerWritesOneRowPerEpoch) {
    const auto path = std::filesystem::temp_directory_path() / tagged("nabla_fit_csv_", ::getpid(), ".csv");
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(20);
    auto h = model.fit(data.x, data.labels,
                       {.epochs = 2, .batch_size = 8, .verbose = 0,
                        .callbacks = {std::make_shared<callbacks::CSVLogger>(path)}, .validation_split = 0.2});
    std::string expected = "epoch,accuracy,loss,val_accuracy,val_loss\r\n";
    for (int e = 0; e < 2; ++e) {
        expected += std::to_string(e);
        for (const char* k : {"accuracy", "loss", "val_accuracy", "val_loss"})
        {
            expected += ',';
            expected += callbacks::python_float_repr(h.history[k][static_cast<std::size_t>(e)]);
        }
        expected += "\r\n";
    }
    const std::string content = read_file(path);
    EXPECT_EQ(content, expected);
    // The values read back are the History's, exactly (repr round-trips).
    std::istringstream rows(content);
    std::string line;
    std::getline(rows, line);
    std::getline(rows, line);
    std::istringstream cells(line);
    std::string epoch, acc, loss;
    std::getline(cells, epoch, ',');
    std::getline(cells, acc, ',');
    std::getline(cells, loss, ',');
    EXPECT_EQ(std::stod(loss), h.history["loss"][0]);
    std::filesystem::remove(path);
}

// Issue 13 item 10: a named pipe (or /dev/stdout) gets each row once, from
// one open; before, each epoch renamed a temporary file over the FIFO.
TEST(FitCallbacks, CSVLoggerToAFifoSendsEachRowOnce) {
    const auto path = std::filesystem::temp_directory_path() / tagged("nabla_fit_fifo_", ::getpid(), ".csv");
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    std::string got;
    std::thread reader([&] { got = read_file(path); });  // reads to end-of-file
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(20);
    auto h = model.fit(data.x, data.labels,
                       {.epochs = 3, .batch_size = 8, .verbose = 0,
                        .callbacks = {std::make_shared<callbacks::CSVLogger>(path)}});
    reader.join();
    std::string expected = "epoch,accuracy,loss,val_accuracy,val_loss\r\n";
    for (int e = 0; e < 3; ++e)
        expected += std::to_string(e) + "," +
                    callbacks::python_float_repr(h.history["accuracy"][static_cast<std::size_t>(e)]) + "," +
                    callbacks::python_float_repr(h.history["loss"][static_cast<std::size_t>(e)]) + ",NA,NA\r\n";
    EXPECT_EQ(got, expected);
    EXPECT_EQ(std::filesystem::status(path).type(), std::filesystem::file_type::fifo);
    std::filesystem::remove(path);
}

TEST(FitCallbacks, LambdaCallbackSeesEveryHookInOrder) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto data = make_blobs(10);
    std::vector<std::string> events;
    auto cb = std::make_shared<callbacks::LambdaCallback>(callbacks::LambdaCallbackFunctions{
        .on_epoch_begin = [&](int e, const callbacks::Logs&) { events.push_back(tagged("epoch_begin ", e)); },
        .on_epoch_end =
            [&](int e, const callbacks::Logs& logs) {
                events.push_back(tagged("epoch_end ", e, logs.contains("accuracy") ? " acc" : ""));
            },
        .on_train_batch_begin = [&](std::int64_t b, const callbacks::Logs&) { events.push_back(tagged("b", b)); },
        .on_train_begin = [&](const callbacks::Logs&) { events.push_back("train_begin"); },
        .on_train_end = [&](const callbacks::Logs& logs) {
            events.push_back(logs.contains("loss") ? "train_end loss" : "train_end");
        },
    });
    model.fit(data.x, data.labels, {.epochs = 2, .batch_size = 4, .verbose = 0, .callbacks = {cb}});
    EXPECT_THAT(events, ElementsAre("train_begin", "epoch_begin 0", "b0", "b1", "b2", "epoch_end 0 acc",
                                    "epoch_begin 1", "b0", "b1", "b2", "epoch_end 1 acc", "train_end loss"));
}

TEST(FitCallbacks, AUserHistoryIsFilledAndKeepsEarlierFits) {
    auto model = small_model();
    model.compile("rmsprop", "sparse_categorical_crossentropy");
    auto data = make_blobs(10);
    auto history = std::make_shared<callbacks::History>();
    auto h1 = model.fit(data.x, data.labels, {.epochs = 2, .batch_size = 4, .verbose = 0, .callbacks = {history}});
    EXPECT_EQ(history->history["loss"], h1.history["loss"]);
    model.fit(data.x, data.labels, {.epochs = 3, .batch_size = 4, .verbose = 0, .callbacks = {history}});
    EXPECT_EQ(history->history["loss"].size(), 5u);  // Keras: values accumulate, epoch numbers restart
    EXPECT_THAT(history->epoch, ElementsAre(0, 1, 2));
}
