// The book's first example (Deep Learning with Python, 2nd edition, section
// 2.1), line by line: load MNIST, build a two-layer network, train it for 5
// epochs with integer labels (sparse_categorical_crossentropy), predict and
// evaluate on the test set. Each block is preceded by the Python it ports.
// The 1st edition one-hot encoded the labels instead:
// to_categorical(labels) and loss="categorical_crossentropy" (see below).
//
//   build/release/examples/mnist_mlp                           # MNIST (downloaded on first use)
//   build/release/examples/mnist_mlp DIR                       # MNIST from a folder of IDX files
//   build/release/examples/mnist_mlp --dataset fashion_mnist   # Fashion-MNIST, same network
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "nabla/nabla.hpp"

using namespace nabla;

namespace {

struct Args {
    std::string dataset = "mnist";
    std::optional<std::filesystem::path> dir;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--dataset") == 0 && i + 1 < argc) a.dataset = argv[++i];
        else if (argv[i][0] != '-') a.dir = argv[i];
        else throw ValueError(std::string("unknown option ") + argv[i] +
                              "; usage: mnist_mlp [--dataset mnist|fashion_mnist] [DIR]");
    }
    if (a.dataset != "mnist" && a.dataset != "fashion_mnist")
        throw ValueError("--dataset takes mnist or fashion_mnist, got " + a.dataset);
    return a;
}

}  // namespace

int main(int argc, char** argv) try {
    const Args args = parse(argc, argv);

    // (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    auto [train, test] = args.dataset == "mnist" ? datasets::mnist::load_data(args.dir)
                                                 : datasets::fashion_mnist::load_data(args.dir);
    auto [train_images, train_labels] = train;
    auto [test_images, test_labels] = test;
    std::cout << "train_images.shape: " << train_images.shape() << "\n"
              << "train_labels: " << train_labels << "\n"
              << "test_images.shape: " << test_images.shape() << "\n"
              << "test_labels: " << test_labels << "\n";

    // model = keras.Sequential([
    //     layers.Dense(512, activation="relu"),
    //     layers.Dense(10, activation="softmax")
    // ])
    models::Sequential model({
        layers::Dense(512, "relu"),
        layers::Dense(10, "softmax"),
    });

    // model.compile(optimizer="rmsprop",
    //               loss="sparse_categorical_crossentropy",
    //               metrics=["accuracy"])
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});

    // train_images = train_images.reshape((60000, 28 * 28))
    // train_images = train_images.astype("float32") / 255
    // test_images = test_images.reshape((10000, 28 * 28))
    // test_images = test_images.astype("float32") / 255
    train_images = train_images.reshape({train_images.shape(0), 28 * 28}).astype(float32) / 255;
    test_images = test_images.reshape({test_images.shape(0), 28 * 28}).astype(float32) / 255;
    // The labels stay integers (uint8, as loaded). The 1st edition's variant:
    //   train_labels = utils::to_categorical(train_labels);
    //   test_labels = utils::to_categorical(test_labels);
    //   model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});

    // model.fit(train_images, train_labels, epochs=5, batch_size=128)
    model.fit(train_images, train_labels, {.epochs = 5, .batch_size = 128});
    model.summary();

    // test_digits = test_images[0:10]
    // predictions = model.predict(test_digits)
    // predictions[0]; predictions[0].argmax(); predictions[0][7]
    const Tensor test_digits = test_images(Slice(0, 10));
    const Tensor predictions = model.predict(test_digits);
    const std::int64_t predicted = argmax(predictions[0]).item<std::int64_t>();
    std::cout << "predictions[0]: " << predictions[0] << "\n"
              << "predictions[0].argmax(): " << predicted << "\n"
              << "predictions[0][" << predicted << "]: " << predictions[0][predicted].item<float>() << "\n"
              << "test_labels[0]: " << test_labels[0].item<int>() << "\n";

    // test_loss, test_acc = model.evaluate(test_images, test_labels)
    // print(f"test_acc: {test_acc}")
    auto [test_loss, test_acc] = model.evaluate(test_images, test_labels);
    std::cout << "test_acc: " << test_acc << "\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << "mnist_mlp: " << e.what() << "\n";
    return 1;
}
