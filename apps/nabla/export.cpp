// `nabla export model.keras model.onnx`: a saved model as ONNX (Keras's
// model.export(path, format="onnx")).
#include <iostream>

#include "commands.hpp"
#include "nabla/nabla.hpp"
#include "nabla/saving/saving.hpp"

namespace nabla::cli {

void add_export_command(CLI::App& app) {
    struct Args {
        std::string model, output, format = "onnx";
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("export", "Export a saved model for inference elsewhere (ONNX)");
    cmd->add_option("model", a->model, "The model file (.keras, from nabla or Keras)")->required();
    cmd->add_option("output", a->output, "The file to write (model.onnx)")->required();
    cmd->add_option("--format", a->format, "The export format")->check(CLI::IsMember({"onnx"}))->capture_default_str();
    cmd->callback([a] {
        const models::Sequential model = models::load_model(a->model, {.compile = false});
        model.export_model(a->output, a->format);
        std::cout << "exported " << a->model << " to " << a->output << " (ONNX opset 17)\n";
    });
}

}  // namespace nabla::cli
