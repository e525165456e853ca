// The book's convnet (listing 8.1) trained with fit() as its PyTorch peer
// (bench/peers/torch_convnet.py, split mnist8000) trains it: the first 8,000
// of MNIST's t10k images for training, the last 2,000 for testing, RMSprop,
// sparse categorical crossentropy, batch 64. bench/side_by_side's "convnet"
// table runs both, interleaved.
//   convnet_fit <mnist dir> <epochs> <threads>
// prints one JSON object, the peer's keys: epoch_seconds, train_images_per_s,
// test_accuracy, inference_images_per_s (predict, batch 64).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "epoch_timer.hpp"
#include "nabla/nabla.hpp"

using namespace nabla;
using nabla::bench::EpochTimer;

namespace {

models::Sequential convnet() {
    return models::Sequential({layers::Input({28, 28, 1}), layers::Conv2D(32, 3, "relu"), layers::MaxPooling2D(2),
                               layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(128, 3, "relu"),
                               layers::Flatten(), layers::Dense(10, "softmax")});
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc != 4) {
        std::cerr << "usage: convnet_fit <mnist dir> <epochs> <threads>\n";
        return 2;
    }
    const int epochs = std::atoi(argv[2]);
    set_num_threads(std::atoi(argv[3]));
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, argv[1]);
    const Tensor all = images.reshape({images.shape(0), 28, 28, 1}).astype(float32) / 255;
    const Tensor x = all(Slice(0, 8000)), y = labels(Slice(0, 8000));
    const Tensor xt = all(Slice(8000, 10000)), yt = labels(Slice(8000, 10000));
    models::Sequential model = convnet();
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto timer = std::make_shared<EpochTimer>();
    model.fit(x, y, {.epochs = epochs, .batch_size = 64, .verbose = 0, .callbacks = {timer}});
    const auto t0 = std::chrono::steady_clock::now();
    const Tensor predicted = model.predict(xt, 64);
    const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Tensor hits = equal(argmax(predicted, -1), yt.astype(int64));
    const double accuracy = sum(hits.astype(float64)).item<double>() / 2000.0;
    double total = 0;
    std::cout << "{\"epoch_seconds\": [";
    for (std::size_t e = 0; e < timer->seconds.size(); ++e) {
        std::cout << (e ? ", " : "") << timer->seconds[e];
        total += timer->seconds[e];
    }
    std::cout << "], \"train_images_per_s\": " << 8000.0 * epochs / total << ", \"test_accuracy\": " << accuracy
              << ", \"inference_images_per_s\": " << 2000.0 / eval_s << "}\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << "convnet_fit: " << e.what() << "\n";
    return 1;
}
