// nabla: train the book's MNIST model, or look at the data.
//   nabla train [--dataset mnist|fashion_mnist] [--epochs 5] ...
//   nabla show --dataset mnist --index 4 [--png digit.png]
#include <iostream>

#include "commands.hpp"
#include "nabla/core/error.hpp"

int main(int argc, char** argv) {
    CLI::App app{"nabla: Keras-style deep learning in C++ (Deep Learning with Python, chapter 2)"};
    app.require_subcommand(1);
    nabla::cli::add_train_command(app);
    nabla::cli::add_show_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const nabla::Error& e) {
        std::cerr << "nabla: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "nabla: unexpected error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
