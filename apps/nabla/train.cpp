// `nabla train`: the book's first experiment, with every knob as a flag.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "nabla/data/datasets.hpp"
#include "nabla/io/file.hpp"
#include "nabla/io/plot.hpp"
#include "nabla/layers/dense.hpp"
#include "nabla/models/sequential.hpp"
#include "nabla/nabla.hpp"
#include "nabla/training/optimizers.hpp"

namespace nabla::cli {

namespace {

struct TrainArgs {
    std::string dataset = "mnist";
    std::string data_dir;
    std::string hidden = "512";
    std::string optimizer = "rmsprop";
    double learning_rate = 0;  // 0: the optimizer's Keras default
    int epochs = 5;
    std::int64_t batch_size = 128;
    double validation_split = 0;
    std::string loss = "categorical";
    std::uint64_t seed = 0;
    int threads = 0;  // 0: NABLA_NUM_THREADS or all cores
    int verbose = 1;
    std::string history_path, plot_path;
    std::string save_path;       // --save model.keras
    std::string checkpoint_dir;  // --checkpoint-dir DIR (BackupAndRestore)
};

// Times each epoch (fit's own clock is not exposed in History).
class EpochTimer : public callbacks::Callback {
public:
    std::vector<double> seconds;
    void on_epoch_begin(int, const callbacks::Logs&) override { start_ = std::chrono::steady_clock::now(); }
    void on_epoch_end(int, const callbacks::Logs&) override {
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }

private:
    std::chrono::steady_clock::time_point start_;
};

std::vector<std::int64_t> parse_hidden(const std::string& text) {
    std::vector<std::int64_t> units;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
        try {
            std::size_t used = 0;
            const long long v = std::stoll(item, &used);
            if (used != item.size() || v < 1) throw std::invalid_argument(item);
            units.push_back(v);
        } catch (const std::exception&) {
            throw ValueError("--hidden: expected positive layer widths separated by commas (e.g. 512 or 256,128), got '" +
                             text + "'");
        }
    }
    return units;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The book's preprocessing: (N, 28, 28) uint8 -> (N, 784) float32 in [0, 1].
// The division is in place: no second full-size array.
Tensor prepare_images(const Tensor& images) {
    Tensor x = images.reshape({images.shape(0), -1}).astype(float32);
    x /= 255.0;
    return x;
}

void run_train(const TrainArgs& a) {
    const std::vector<std::int64_t> hidden = parse_hidden(a.hidden);  // before the slow part
    if (!a.save_path.empty() && !a.save_path.ends_with(".keras"))
        throw ValueError("--save: the file name must end in .keras (Keras's model format), got '" + a.save_path + "'");
    if (a.threads > 0) set_num_threads(a.threads);
    random::seed(a.seed);
    std::optional<std::filesystem::path> dir;
    if (!a.data_dir.empty()) dir = a.data_dir;
    auto [train, test] = a.dataset == "mnist" ? datasets::mnist::load_data(dir) : datasets::fashion_mnist::load_data(dir);
    auto [train_images, train_labels] = train;
    auto [test_images, test_labels] = test;
    Tensor x = prepare_images(train_images), x_test = prepare_images(test_images);
    const bool sparse = a.loss == "sparse";
    Tensor y = sparse ? train_labels.astype(int64) : utils::to_categorical(train_labels, 10);
    Tensor y_test = sparse ? test_labels.astype(int64) : utils::to_categorical(test_labels, 10);

    models::Sequential model;
    model.set_seed(a.seed);
    bool first = true;
    for (std::int64_t units : hidden) {
        layers::DenseOptions opts;
        if (first) opts.input_shape = Shape{784};
        model.add(layers::Dense(units, "relu", opts));
        first = false;
    }
    model.add(layers::Dense(10, "softmax", first ? layers::DenseOptions{.input_shape = Shape{784}} : layers::DenseOptions{}));
    auto optimizer = optimizers::get(a.optimizer);
    if (a.learning_rate > 0) optimizer->set_learning_rate(a.learning_rate);
    model.compile(std::move(optimizer), sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy", {"accuracy"});
    if (a.verbose > 0) model.summary();

    auto timer = std::make_shared<EpochTimer>();
    std::vector<std::shared_ptr<callbacks::Callback>> cbs = {timer};
    // After a kill, the same command resumes from the last epoch's backup,
    // bit-identical to an uninterrupted run (same seed and --threads).
    if (!a.checkpoint_dir.empty()) cbs.push_back(std::make_shared<callbacks::BackupAndRestore>(a.checkpoint_dir));
    auto history = model.fit(x, y, {.epochs = a.epochs, .batch_size = a.batch_size, .verbose = a.verbose,
                                    .callbacks = cbs, .validation_split = a.validation_split});
    if (!a.save_path.empty()) model.save(a.save_path);
    const auto eval_start = std::chrono::steady_clock::now();
    auto [test_loss, test_acc] = model.evaluate(x_test, y_test, {.batch_size = 1024, .verbose = 0});
    const double eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - eval_start).count();
    std::cout << "test_loss: " << test_loss << " test_acc: " << test_acc << "\n";
    std::cout << "median seconds per epoch: " << median(timer->seconds) << "\n";

    if (!a.history_path.empty()) {
        nlohmann::json j;
        for (const auto& [key, values] : history.history) j[key] = values;
        j["epoch_seconds"] = timer->seconds;
        j["test_loss"] = test_loss;
        j["test_accuracy"] = test_acc;
        j["eval_images_per_s"] = double(x_test.shape(0)) / eval_seconds;
        j["dataset"] = a.dataset;
        j["threads"] = get_num_threads();
        const std::string text = j.dump(2) + "\n";
        io::atomic_write(a.history_path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    if (!a.plot_path.empty()) io::plot_history(a.plot_path, history.history);
}

}  // namespace

void add_train_command(CLI::App& app) {
    auto args = std::make_shared<TrainArgs>();
    CLI::App* cmd = app.add_subcommand("train", "Train the book's MNIST model (Dense 512 relu, Dense 10 softmax, rmsprop)");
    cmd->add_option("--dataset", args->dataset, "Dataset")->check(CLI::IsMember({"mnist", "fashion_mnist"}))->capture_default_str();
    cmd->add_option("--data-dir", args->data_dir, "Directory holding the dataset's IDX files (skips the cache and download)");
    cmd->add_option("--hidden", args->hidden, "Hidden layer widths, comma-separated (e.g. 512 or 256,128)")->capture_default_str();
    cmd->add_option("--optimizer", args->optimizer, "Optimizer")->check(CLI::IsMember({"rmsprop", "sgd", "adam", "adagrad"}))->capture_default_str();
    cmd->add_option("--learning-rate", args->learning_rate, "Learning rate (default: the optimizer's Keras default)")->check(CLI::PositiveNumber);
    cmd->add_option("--epochs", args->epochs, "Epochs")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--batch-size", args->batch_size, "Batch size")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--validation-split", args->validation_split, "Fraction of the training data held out for validation")->check(CLI::Range(0.0, 0.99))->capture_default_str();
    cmd->add_option("--loss", args->loss, "Label encoding: one-hot (categorical) or integer (sparse)")->check(CLI::IsMember({"categorical", "sparse"}))->capture_default_str();
    cmd->add_option("--seed", args->seed, "Seed for initial weights and shuffling")->capture_default_str();
    cmd->add_option("--threads", args->threads, "Threads (default: NABLA_NUM_THREADS or all cores)")->check(CLI::PositiveNumber);
    cmd->add_option("--verbose", args->verbose, "0 silent, 1 progress bar, 2 one line per epoch")->check(CLI::Range(0, 2))->capture_default_str();
    cmd->add_option("--history", args->history_path, "Write the training history as JSON to this file");
    cmd->add_option("--plot", args->plot_path, "Draw the training curves to this PNG file");
    cmd->add_option("--save", args->save_path, "Save the trained model (Keras 3 .keras file) to this path");
    cmd->add_option("--checkpoint-dir", args->checkpoint_dir,
                    "Back up after every epoch to this directory (BackupAndRestore); after a crash the same "
                    "command resumes there, with the same final result");
    cmd->callback([args] { run_train(*args); });
}

}  // namespace nabla::cli
