// nabla: train the book's MNIST model, or look at the data.
//   nabla train [--dataset mnist|fashion_mnist] [--epochs 5] ...
//   nabla show --dataset mnist --index 4 [--png digit.png]
//   nabla evaluate model.keras --dataset mnist     (also predict, summary)
//   nabla export model.keras model.onnx
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "nabla/core/error.hpp"
#include "nabla/data/datasets.hpp"

namespace {

// libgomp's idle threads spin for 300,000 iterations (milliseconds) before
// they sleep. On a machine doing anything else, a spinning thread holds the
// core its partner needs: a 2-thread epoch took 160 s instead of 1.1 s under
// a parallel build (docs/PERFORMANCE.md). 10,000 spins cost 6% on an idle
// machine (1.19 vs 1.13 s/epoch) and are 6x faster than the default under
// load; 1,000 is faster still under load but 25% slower when idle. libgomp
// reads the setting once, when it is loaded, before main(), so the tool sets
// it and runs itself again; a user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT
// always wins.
void relaunch_with_short_spin(char** argv) {
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
    ::setenv("GOMP_SPINCOUNT", "10000", 0);
    ::execv("/proc/self/exe", argv);  // returns only on failure: carry on with the default spin
}

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
    relaunch_with_short_spin(argv);
    CLI::App app{"nabla: Keras-style deep learning in C++ (Deep Learning with Python, chapter 2)"};
    app.require_subcommand(1);
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
