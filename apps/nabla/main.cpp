// nabla: train the book's MNIST model, or look at the data.
//   nabla train [--dataset mnist|fashion_mnist] [--epochs 5] ...
//   nabla show --dataset mnist --index 4 [--png digit.png]
//   nabla evaluate model.keras --dataset mnist     (also predict, summary)
//   nabla export model.keras model.onnx
#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "nabla/core/cpu.hpp"
#include "nabla/core/error.hpp"
#include "nabla/data/datasets.hpp"

namespace {

// The library's message tells a C++ caller to pass load_data(dir); a user of
// the tool needs the flag instead.
std::string cli_remedy(const nabla::datasets::DataUnavailable& e) {
    const auto& d = e.details();
    std::string text = "nabla: error: " + d.problem + ".\n" + d.looked + "\nDownload " + d.files[0] + " and " +
                       d.files[1] + " (gzip-compressed or not) from " + d.url;
    text += d.named_dir ? " into that directory, or leave out --data-dir to use $NABLA_DATA_DIR/" + d.name +
                              "/, the cache and the download."
                        : " into a directory and run again with --data-dir DIR (or put them in $NABLA_DATA_DIR/" +
                              d.name + "/).";
    return text + d.note + "\n";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"nabla: Keras-style deep learning in C++ (Deep Learning with Python, chapter 2)"};
    app.require_subcommand(1);
    // The CPU level the float kernels run at (NABLA_CPU forces one; a bad
    // value is reported as the error it is).
    app.set_version_flag("--version", [] { return "nabla 0.1.0\nCPU level: " + nabla::cpu_description(); });
    nabla::cli::add_train_command(app);
    nabla::cli::add_show_command(app);
    nabla::cli::add_evaluate_command(app);
    nabla::cli::add_predict_command(app);
    nabla::cli::add_summary_command(app);
    nabla::cli::add_export_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const nabla::datasets::DataUnavailable& e) {
        std::cerr << cli_remedy(e);
        return 1;
    } catch (const nabla::Error& e) {
        std::cerr << "nabla: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "nabla: unexpected error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
