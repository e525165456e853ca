// classify model.keras digit.png [--invert]
// Loads a saved model (.keras, from nabla or Keras) and prints the class of a
// PNG picture and its probability:  7 0.9812
// The picture may be grey or RGB(A), of any size; it is made into the model's
// input as nabla/io/image_input.hpp describes (light digit on a dark
// background, as MNIST; --invert for a dark digit drawn on white).
#include <cstring>
#include <exception>
#include <iomanip>
#include <iostream>

#include <nabla/nabla.hpp>

int main(int argc, char** argv) {
    const bool invert = argc == 4 && std::strcmp(argv[3], "--invert") == 0;
    if (argc != 3 && !invert) {
        std::cerr << "usage: " << argv[0] << " model.keras digit.png [--invert]\n";
        return 2;
    }
    try {
        nabla::models::Sequential model = nabla::models::load_model(argv[1], {.compile = false});
        const nabla::Tensor x = nabla::io::read_image_input(argv[2], model.input_shape(), {.invert = invert});
        const nabla::Tensor probs = model.predict(x)[0];
        const auto label = nabla::argmax(probs).item<std::int64_t>();
        std::cout << label << " " << std::fixed << std::setprecision(4) << probs[label].item<float>() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "classify: " << e.what() << "\n";
        return 1;
    }
}
