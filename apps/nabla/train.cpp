// `nabla train`: the book's first experiment, with every knob as a flag.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "options.hpp"
#include "nabla/data/datasets.hpp"
#include "nabla/distributed/data_parallel.hpp"
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
    std::string model = "mlp";  // mlp: the book's chapter 2 model; convnet: its chapter 8 convnet
    std::string hidden = "512";
    bool hidden_given = false, batch_size_given = false;
    std::string optimizer = "rmsprop";
    double learning_rate = 0;  // 0: the optimizer's Keras default
    int epochs = 5;
    std::int64_t batch_size = 128;
    double validation_split = 0;
    std::string loss = "categorical";
    std::uint64_t seed = 0;
    std::optional<int> threads;  // none: NABLA_NUM_THREADS or all cores
    int verbose = 1;
    std::string history_path, plot_path;
    std::string save_path;       // --save model.keras
    std::string checkpoint_dir;  // --checkpoint-dir DIR (BackupAndRestore)
    bool distributed = false;    // --distributed: data-parallel over the mpirun ranks
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
// The convnet's: (N, 28, 28, 1) float32 in [0, 1].
Tensor prepare_images(const Tensor& images, bool convnet) {
    Tensor x = (convnet ? images.reshape({images.shape(0), 28, 28, 1}) : images.reshape({images.shape(0), -1}))
                   .astype(float32);
    x /= 255.0;
    return x;
}

// Deep Learning with Python, 2nd edition, listing 8.1.
void add_convnet(models::Sequential& model) {
    model.add(layers::Input({28, 28, 1}));
    model.add(layers::Conv2D(32, 3, "relu"));
    model.add(layers::MaxPooling2D(2));
    model.add(layers::Conv2D(64, 3, "relu"));
    model.add(layers::MaxPooling2D(2));
    model.add(layers::Conv2D(128, 3, "relu"));
    model.add(layers::Flatten());
    model.add(layers::Dense(10, "softmax"));
}

void run_train(const TrainArgs& a) {
    const bool convnet = a.model == "convnet";
    if (convnet && a.hidden_given)
        throw ValueError("--hidden sets the widths of --model mlp; the convnet is the book's listing 8.1");
    const std::vector<std::int64_t> hidden = parse_hidden(a.hidden);  // before the slow part
    // The book trains its convnet with batch 64, its dense model with 128.
    const std::int64_t batch_size = convnet && !a.batch_size_given ? 64 : a.batch_size;
    apply_threads(a.threads);
    random::seed(a.seed);
    std::optional<std::filesystem::path> dir;
    if (!a.data_dir.empty()) dir = a.data_dir;
    auto [train, test] = a.dataset == "mnist" ? datasets::mnist::load_data(dir) : datasets::fashion_mnist::load_data(dir);
    auto [train_images, train_labels] = train;
    auto [test_images, test_labels] = test;
    Tensor x = prepare_images(train_images, convnet), x_test = prepare_images(test_images, convnet);
    const bool sparse = a.loss == "sparse";
    Tensor y = sparse ? train_labels.astype(int64) : utils::to_categorical(train_labels, 10);
    Tensor y_test = sparse ? test_labels.astype(int64) : utils::to_categorical(test_labels, 10);

    // --distributed: every rank loads the data and builds the same model;
    // fit and evaluate split the work; rank 0 alone prints and writes.
    std::optional<distributed::DataParallel> strategy;
    if (a.distributed) strategy.emplace();
    distributed::DataParallel* dp = strategy ? &*strategy : nullptr;
    const bool chief = !dp || dp->is_chief();

    models::Sequential model;
    model.set_seed(a.seed);
    bool first = true;
    if (convnet) add_convnet(model);
    for (std::int64_t units : convnet ? std::vector<std::int64_t>{} : hidden) {
        layers::DenseOptions opts;
        if (first) opts.input_shape = Shape{784};
        model.add(layers::Dense(units, "relu", opts));
        first = false;
    }
    if (!convnet)
        model.add(layers::Dense(10, "softmax", first ? layers::DenseOptions{.input_shape = Shape{784}} : layers::DenseOptions{}));
    auto optimizer = optimizers::get(a.optimizer);
    if (a.learning_rate > 0) optimizer->set_learning_rate(a.learning_rate);
    model.compile(std::move(optimizer), sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy", {"accuracy"});
    if (a.verbose > 0 && chief) model.summary();
    if (dp && chief && a.verbose > 0)
        std::cout << "distributed: " << dp->size() << " ranks (" << dp->communicator().engine() << "), "
                  << "global batch " << batch_size << " split across them\n";

    auto timer = std::make_shared<EpochTimer>();
    std::vector<std::shared_ptr<callbacks::Callback>> cbs = {timer};
    // After a kill, the same command resumes from the last epoch's backup,
    // bit-identical to an uninterrupted run (same seed and --threads).
    if (!a.checkpoint_dir.empty() && chief) cbs.push_back(std::make_shared<callbacks::BackupAndRestore>(a.checkpoint_dir));
    auto history = model.fit(x, y, {.epochs = a.epochs, .batch_size = batch_size, .verbose = a.verbose,
                                    .callbacks = cbs, .validation_split = a.validation_split,
                                    .distribution = dp});
    if (!a.save_path.empty() && chief) model.save(a.save_path);
    const auto eval_start = std::chrono::steady_clock::now();
    auto [test_loss, test_acc] = model.evaluate(x_test, y_test, {.batch_size = 1024, .verbose = 0, .distribution = dp});
    if (!chief) return;  // the figures and files are rank 0's
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
        j["model"] = a.model;
        j["threads"] = get_num_threads();
        const std::string text = j.dump(2) + "\n";
        io::atomic_write(a.history_path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    if (!a.plot_path.empty()) io::plot_history(a.plot_path, history.history);
    // fit stops on a NaN or infinite loss (it said so on stderr); the epoch's
    // logged loss then holds it. The run failed: the exit status says so.
    const auto& losses = history.history["loss"];
    if (!losses.empty() && !std::isfinite(losses.back()))
        throw ValueError("training was terminated by an invalid loss (" + std::to_string(losses.back()) + ") in epoch " +
                         std::to_string(losses.size()) + " of " + std::to_string(a.epochs) +
                         "; the figures above are of the weights from before that batch. Try a smaller --learning-rate");
}

}  // namespace

void add_train_command(CLI::App& app) {
    auto args = std::make_shared<TrainArgs>();
    CLI::App* cmd = app.add_subcommand("train", "Train the book's MNIST model (Dense 512 relu, Dense 10 softmax, rmsprop) or its convnet");
    add_choice(cmd, "--model", args->model, {"mlp", "convnet"},
               "mlp: the chapter 2 dense model (--hidden); convnet: listing 8.1's convnet (batch 64 unless --batch-size)")
        ->capture_default_str();
    add_choice(cmd, "--dataset", args->dataset, {"mnist", "fashion_mnist"}, "Dataset")->capture_default_str();
    cmd->add_option("--data-dir", args->data_dir, "Directory holding the dataset's IDX files: only it is used (no cache, no download)");
    cmd->add_option("--hidden", args->hidden, "Hidden layer widths, comma-separated (e.g. 512 or 256,128)")->capture_default_str();
    add_choice(cmd, "--optimizer", args->optimizer, {"rmsprop", "sgd", "adam", "adagrad"}, "Optimizer")->capture_default_str();
    add_number(cmd, "--learning-rate", args->learning_rate, {.lo = 0, .hi = INFINITY, .lo_open = true},
               "Learning rate (default: the optimizer's Keras default)");
    add_integer(cmd, "--epochs", args->epochs, 1, std::numeric_limits<int>::max(), "Epochs")->capture_default_str();
    add_integer(cmd, "--batch-size", args->batch_size, 1, std::numeric_limits<std::int64_t>::max(),
                "Batch size (more than the samples: one batch of all of them, as Keras)")
        ->capture_default_str();
    add_number(cmd, "--validation-split", args->validation_split, {.lo = 0, .hi = 1, .hi_open = true},
               "Fraction of the training data held out for validation")
        ->capture_default_str();
    add_choice(cmd, "--loss", args->loss, {"categorical", "sparse"}, "Label encoding: one-hot (categorical) or integer (sparse)")
        ->capture_default_str();
    add_integer(cmd, "--seed", args->seed, "Seed for initial weights and shuffling")->capture_default_str();
    add_threads(cmd, args->threads);
    add_integer(cmd, "--verbose", args->verbose, 0, 2, "0 silent, 1 progress bar, 2 one line per epoch")->capture_default_str();
    add_output_path(cmd, "--history", args->history_path, "Write the training history as JSON to this file");
    add_output_path(cmd, "--plot", args->plot_path, "Draw the training curves to this PNG file");
    add_output_path(cmd, "--save", args->save_path, "Save the trained model (Keras 3 .keras file) to this path")
        ->check([](const std::string& path) {
            return path.ends_with(".keras") ? std::string()
                                            : "the file name must end in .keras (Keras's model format), got '" + path + "'";
        });
    cmd->add_option("--checkpoint-dir", args->checkpoint_dir,
                    "Back up after every epoch to this directory (BackupAndRestore); after a crash the same "
                    "command resumes there, with the same final result");
    cmd->add_flag("--distributed", args->distributed,
                  "Data-parallel training over the ranks of an MPI job: mpirun -np N nabla train --distributed ... "
                  "(--batch-size stays the global batch; rank 0 prints and writes the files)");
    cmd->callback([args, cmd] {
        args->hidden_given = cmd->count("--hidden") > 0;
        args->batch_size_given = cmd->count("--batch-size") > 0;
        run_train(*args);
    });
}

}  // namespace nabla::cli
