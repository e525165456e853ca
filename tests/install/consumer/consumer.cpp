// A user's program against the installed nabla (tests/install/install_test.sh):
// tensors, a Sequential trained on real digits, save and load.
//   consumer MNIST_DIR OUT_DIR
// Prints lines the test checks, and writes OUT_DIR/model.keras and
// OUT_DIR/digit.png (a held-out digit the model classifies right, drawn
// dark on white).
#include <cstdlib>
#include <iostream>

#include <nabla/nabla.hpp>

using namespace nabla;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: consumer MNIST_DIR OUT_DIR\n";
        return 2;
    }
    const std::string out = argv[2];
    const Tensor a{{1, 2}, {3, 4}};
    std::cout << "tensor: sum(a @ a) = " << matmul(a, a).sum().item<double>() << "\n";  // 7+10+15+22

    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, std::string(argv[1]));
    Tensor x = images.reshape({10000, 784}).astype(float32);
    x /= 255.0;
    const Tensor y = labels.astype(int64);
    models::Sequential model({layers::Dense(64, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    model.set_seed(1);
    model.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    model.fit(x(Slice(0, 8000)), y(Slice(0, 8000)), {.epochs = 2, .batch_size = 128, .verbose = 0});
    const auto result = model.evaluate(x(Slice(8000, 10000)), y(Slice(8000, 10000)), {.verbose = 0});
    std::cout << "accuracy: " << result["accuracy"] << "\n";

    model.save(out + "/model.keras");
    models::Sequential again = models::load_model(out + "/model.keras");
    const Tensor p = model.predict(x(Slice(8000, 8100))), q = again.predict(x(Slice(8000, 8100)));
    std::cout << "reloaded: max difference " << abs(p - q).max().item<double>() << "\n";

    for (std::int64_t i = 8000; i < 8100; ++i) {
        const std::int64_t label = y[i].item<std::int64_t>();
        if (p[i - 8000].argmax().item<std::int64_t>() != label) continue;
        io::save_image(out + "/digit.png", images[i]);  // binary colormap: dark ink on white, 224x224
        std::cout << "digit: " << label << "\n";
        return 0;
    }
    std::cerr << "no held-out digit classified right\n";
    return 1;
}
