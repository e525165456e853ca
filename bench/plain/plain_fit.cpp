// A user's own program that links nabla: the book's model trained with
// fit() on the first N images of an IDX data set, with no environment
// variables and no thread settings: whatever a plain program gets by default.
// bench/side_by_side runs it idle and with one busy loop per core (the
// under-load row), and on the MNIST digits (the sparse-input row).
//   plain_fit <dir> <train|test> <samples> <epochs>
// (a <dir> whose path contains "fashion" holds Fashion-MNIST, else MNIST)
// prints one JSON object: epoch_seconds (one per epoch), density (the
// first batch's nonzero fraction).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "epoch_timer.hpp"
#include "nabla/nabla.hpp"

using namespace nabla;
using nabla::bench::EpochTimer;

namespace {

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: plain_fit <dir> <train|test> <samples> <epochs>\n";
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    const auto subset = std::string(argv[2]) == "test" ? datasets::Subset::test : datasets::Subset::train;
    const std::int64_t samples = std::atoll(argv[3]);
    const int epochs = std::atoi(argv[4]);
    // nabla tells the two data sets apart by their contents.
    const bool fashion = dir.string().find("fashion") != std::string::npos;
    auto [images, labels] =
        fashion ? datasets::fashion_mnist::load_subset(subset, dir) : datasets::mnist::load_subset(subset, dir);
    const std::int64_t n = std::min<std::int64_t>(samples, images.shape(0));
    const Tensor x = images.reshape({images.shape(0), 784}).astype(float32)(Slice(0, n)) / 255;
    const Tensor y = utils::to_categorical(labels(Slice(0, n)));
    models::Sequential model({layers::Dense(512, "relu"), layers::Dense(10, "softmax")});
    model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    auto timer = std::make_shared<EpochTimer>();
    model.fit(x, y, {.epochs = epochs, .batch_size = 128, .verbose = 0, .callbacks = {timer}});
    const float* p = x.data<float>();
    std::int64_t nonzero = 0;
    for (std::int64_t i = 0; i < 128 * 784; ++i) nonzero += p[i] != 0.0f;
    std::cout << "{\"epoch_seconds\": [";
    for (std::size_t e = 0; e < timer->seconds.size(); ++e) std::cout << (e ? ", " : "") << timer->seconds[e];
    std::cout << "], \"density\": " << static_cast<double>(nonzero) / (128.0 * 784) << "}\n";
}
