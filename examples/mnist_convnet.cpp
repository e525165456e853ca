// The book's convnet (Deep Learning with Python, 2nd edition, listings
// 8.1-8.5), line by line: a small convnet on MNIST, trained 5 epochs with
// batch 64, then evaluated on the test set. Each block is preceded by the
// Python it ports.
//
//   build/release/examples/mnist_convnet                           # MNIST (downloaded on first use)
//   build/release/examples/mnist_convnet DIR                       # MNIST from a folder of IDX files
//   build/release/examples/mnist_convnet --dataset fashion_mnist   # Fashion-MNIST, same network
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
                              "; usage: mnist_convnet [--dataset mnist|fashion_mnist] [DIR]");
    }
    if (a.dataset != "mnist" && a.dataset != "fashion_mnist")
        throw ValueError("--dataset takes mnist or fashion_mnist, got " + a.dataset);
    return a;
}

}  // namespace

int main(int argc, char** argv) try {
    const Args args = parse(argc, argv);

    // Listing 8.1 Instantiating a small convnet
    // inputs = keras.Input(shape=(28, 28, 1))
    // x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
    // x = layers.MaxPooling2D(pool_size=2)(x)
    // x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
    // x = layers.MaxPooling2D(pool_size=2)(x)
    // x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
    // x = layers.Flatten()(x)
    // outputs = layers.Dense(10, activation="softmax")(x)
    // model = keras.Model(inputs=inputs, outputs=outputs)
    models::Sequential model({
        layers::Input({28, 28, 1}),
        layers::Conv2D(/*filters=*/32, /*kernel_size=*/3, "relu"),
        layers::MaxPooling2D(/*pool_size=*/2),
        layers::Conv2D(/*filters=*/64, /*kernel_size=*/3, "relu"),
        layers::MaxPooling2D(/*pool_size=*/2),
        layers::Conv2D(/*filters=*/128, /*kernel_size=*/3, "relu"),
        layers::Flatten(),
        layers::Dense(10, "softmax"),
    });

    // Listing 8.2 Displaying the model's summary
    // model.summary()
    model.summary();

    // Listing 8.3 Training the convnet on MNIST images
    // (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    auto [train, test] = args.dataset == "mnist" ? datasets::mnist::load_data(args.dir)
                                                 : datasets::fashion_mnist::load_data(args.dir);
    auto [train_images, train_labels] = train;
    auto [test_images, test_labels] = test;
    // train_images = train_images.reshape((60000, 28, 28, 1))
    // train_images = train_images.astype("float32") / 255
    // test_images = test_images.reshape((10000, 28, 28, 1))
    // test_images = test_images.astype("float32") / 255
    train_images = train_images.reshape({train_images.shape(0), 28, 28, 1}).astype(float32) / 255;
    test_images = test_images.reshape({test_images.shape(0), 28, 28, 1}).astype(float32) / 255;
    // model.compile(optimizer="rmsprop",
    //     loss="sparse_categorical_crossentropy",
    //     metrics=["accuracy"])
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    // model.fit(train_images, train_labels, epochs=5, batch_size=64)
    model.fit(train_images, train_labels, {.epochs = 5, .batch_size = 64});

    // Listing 8.4 Evaluating the convnet
    // test_loss, test_acc = model.evaluate(test_images, test_labels)
    // print(f"Test accuracy: {test_acc:.3f}")
    auto [test_loss, test_acc] = model.evaluate(test_images, test_labels);
    std::printf("Test accuracy: %.3f\n", test_acc);
    return 0;
} catch (const std::exception& e) {
    std::cerr << "mnist_convnet: " << e.what() << "\n";
    return 1;
}
