// `nabla summary model.keras`: Keras's summary table of a saved model.
#include <iostream>

#include "commands.hpp"
#include "nabla/nabla.hpp"
#include "nabla/saving/saving.hpp"

namespace nabla::cli {

void add_summary_command(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("summary", "Print a saved model's summary table (as Keras's model.summary())");
    cmd->add_option("model", *path, "The model file (.keras, from nabla or Keras)")->required();
    cmd->callback([path] { models::load_model(*path, {.compile = false}).summary(std::cout); });
}

}  // namespace nabla::cli
