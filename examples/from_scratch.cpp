// Deep Learning with Python (2nd ed.), §2.5: the first MNIST example
// re-implemented from scratch (see from_scratch.hpp for the pieces).
//
//   from_scratch [MNIST_DIR] [EPOCHS]
//
// MNIST_DIR holds the IDX files (default: the shared data directory of this
// checkout). Trains on the first 8,000 digits of MNIST's test set and
// evaluates on the last 2,000.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "from_scratch.hpp"

int main(int argc, char** argv) try {
    using namespace from_scratch;
    const std::filesystem::path dir = argc > 1 ? argv[1] : NABLA_SHARED_DATA_DIR "/mnist";
    FitOptions options;
    options.epochs = argc > 2 ? std::atoi(argv[2]) : kEpochs;
    options.learning_rate = kLearningRate;

    const auto [train, test] = split_8000_2000(load_digits(dir, "t10k"));
    nabla::random::Generator gen(0);
    const NaiveSequential model = make_model(gen, kInitLow, kInitHigh);
    const auto start = std::chrono::steady_clock::now();
    fit(model, train.images, train.labels, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("trained %d epochs in %.2f s\n", options.epochs, seconds);
    std::printf("accuracy: %.4f\n", accuracy(model, test.images, test.labels));
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "from_scratch: %s\n", e.what());
    return 1;
}
