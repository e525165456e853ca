// The program the exact-resume test kills: trains a small model with
// Dropout and shuffling under BackupAndRestore, and writes its final
// weights as raw bytes.
//
//   nabla_resume_child raw|keras BACKUP_DIR OUT [PAUSE_EPOCH PAUSE_BATCH MARKER]
//
// raw: plain SGD (no optimizer state) and a model whose save_weights writes
// the weights as raw floats — the resume logic alone. keras: Adam and the
// model's own save_weights (.weights.h5 with the optimizer state).
//
// With PAUSE_*, it writes MARKER after that batch of that epoch (0-based)
// and then waits forever, for the test to kill it with SIGKILL there.
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <iostream>
#include <string>

#include "nabla/io/file.hpp"
#include "nabla/nabla.hpp"

using namespace nabla;

namespace {
// Weights as raw float32, in get_weights order (atomic, as every save).
class RawWeightsModel : public models::Sequential {
public:
    using Sequential::Sequential;
    void save_weights(const std::string& path, bool) const override {
        std::vector<std::uint8_t> bytes;
        for (const Tensor& w : get_weights()) {
            const auto v = w.to_vector<float>();
            const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
            bytes.insert(bytes.end(), p, p + v.size() * sizeof(float));
        }
        io::atomic_write(path, bytes);
    }
    void load_weights(const std::string& path) override {
        const auto bytes = io::read_file(path);
        std::vector<Tensor> ws = get_weights();
        std::size_t at = 0;
        for (Tensor& w : ws) {
            if (at + static_cast<std::size_t>(w.size()) * 4 > bytes.size()) throw IOError(path + ": too short");
            std::memcpy(w.data<float>(), bytes.data() + at, static_cast<std::size_t>(w.size()) * 4);
            at += static_cast<std::size_t>(w.size()) * 4;
        }
        set_weights(ws);
    }
};
}  // namespace

int main(int argc, char** argv) try {
    if ((argc != 4 && argc != 7) || (std::string(argv[1]) != "raw" && std::string(argv[1]) != "keras")) {
        std::cerr << "usage: nabla_resume_child raw|keras BACKUP_DIR OUT [PAUSE_EPOCH PAUSE_BATCH MARKER]\n";
        return 2;
    }
    const bool raw = std::string(argv[1]) == "raw";
    ++argv, --argc;  // the rest as before: BACKUP_DIR OUT [...]
    set_num_threads(2);
    random::Generator data(123);
    const Tensor x = random::uniform({640, 20}, 0.0, 1.0, data);
    const Tensor y = random::randint(0, 5, {640}, data);

    std::unique_ptr<models::Sequential> owned =
        raw ? std::make_unique<RawWeightsModel>() : std::make_unique<models::Sequential>();
    models::Sequential& model = *owned;
    model.set_seed(7);  // before any layer: the seed fixes the initial weights too
    model.add(layers::Dense(32, "relu", {.input_shape = {20}}));
    model.add(layers::Dropout(0.3));
    model.add(layers::Dense(5, "softmax"));
    if (raw) model.compile(optimizers::SGD({.learning_rate = 0.1}), "sparse_categorical_crossentropy", {"accuracy"});
    else model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});

    auto backup = std::make_shared<callbacks::BackupAndRestore>(argv[1]);
    int epoch_now = 0;
    const int pause_epoch = argc == 6 ? std::stoi(argv[3]) : -1;
    const std::int64_t pause_batch = argc == 6 ? std::stoll(argv[4]) : -1;
    auto pause = std::make_shared<callbacks::LambdaCallback>(callbacks::LambdaCallbackFunctions{
        .on_epoch_begin = [&](int e, const callbacks::Logs&) { epoch_now = e; },
        .on_train_batch_end =
            [&](std::int64_t b, const callbacks::Logs&) {
                if (epoch_now != pause_epoch || b != pause_batch) return;
                std::ofstream(argv[5]) << "paused\n";
                for (;;) ::pause();  // until SIGKILL
            },
    });
    model.fit(x, y, {.epochs = 6, .batch_size = 32, .verbose = 0, .callbacks = {backup, pause}});
    std::ofstream out(argv[2], std::ios::binary);
    for (const Tensor& w : model.get_weights()) {
        const auto v = w.to_vector<float>();
        out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    }
    std::cout << "resumed_at: " << (backup->restored_epoch() ? *backup->restored_epoch() : -1) << "\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << "nabla_resume_child: " << e.what() << "\n";
    return 1;
}
