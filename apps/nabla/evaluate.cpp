// `nabla evaluate model.keras --dataset mnist`: the test loss and accuracy of
// any saved model, including one written by Keras.
#include <iostream>

#include "commands.hpp"
#include "model_data.hpp"
#include "nabla/nabla.hpp"
#include "nabla/saving/saving.hpp"

namespace nabla::cli {

namespace {

struct EvaluateArgs {
    std::string model_path, dataset = "mnist", data_dir;
    std::int64_t batch_size = 1024;
};

void run_evaluate(const EvaluateArgs& a) {
    models::Sequential model = models::load_model(a.model_path);
    if (!model.compiled())
        throw ValueError(a.model_path + " has no compile state (it was saved before compile()): evaluate needs the "
                         "loss and metrics it was trained with");
    std::optional<std::filesystem::path> dir;
    if (!a.data_dir.empty()) dir = a.data_dir;
    const ModelData d = load_for_model(model, a.model_path, a.dataset, "test", dir);
    const models::Evaluation e = model.evaluate(d.x, d.y, {.batch_size = a.batch_size, .verbose = 0});
    std::cout << "test_loss: " << e.loss;
    for (const auto& [name, value] : e.logs)
        if (name.find("acc") != std::string::npos) {
            std::cout << " test_acc: " << value;
            break;
        }
    std::cout << "\n";
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
    auto args = std::make_shared<EvaluateArgs>();
    CLI::App* cmd = app.add_subcommand("evaluate", "Test loss and accuracy of a saved model (.keras) on a dataset");
    cmd->add_option("model", args->model_path, "The model file (.keras, from nabla or Keras)")->required();
    cmd->add_option("--dataset", args->dataset, "Dataset")->check(CLI::IsMember({"mnist", "fashion_mnist"}))->capture_default_str();
    cmd->add_option("--data-dir", args->data_dir, "Directory holding the dataset's IDX files");
    cmd->add_option("--batch-size", args->batch_size, "Batch size")->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))->capture_default_str();
    cmd->callback([args] { run_evaluate(*args); });
}

}  // namespace nabla::cli
