// `nabla predict model.keras --dataset mnist --index 0 --count 5 --png grid.png`:
// each sample's class probabilities and predicted class, and a picture.
// `nabla predict model.keras --image digit.png [--invert]`: the class of a
// PNG picture of any size (nabla/io/image_input.hpp converts it).
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "model_data.hpp"
#include "nabla/data/datasets.hpp"
#include "nabla/io/image.hpp"
#include "nabla/io/image_input.hpp"
#include "nabla/nabla.hpp"
#include "nabla/saving/saving.hpp"

namespace nabla::cli {

namespace {

struct PredictArgs {
    std::string model_path, dataset = "mnist", split = "test", data_dir, png, image;
    std::int64_t index = 0, count = 1;
    bool invert = false;
};

// `predicted: 7 probability: 0.9812` for one picture.
void predict_image(const PredictArgs& a) {
    models::Sequential model = models::load_model(a.model_path, {.compile = false});
    if (!model.built())
        throw ValueError(a.model_path + ": the model does not declare its input shape (it was saved unbuilt), so "
                         "nabla cannot tell what size to make " + a.image);
    const Tensor x = io::read_image_input(a.image, model.input_shape(), {.invert = a.invert});
    const Tensor probs = model.predict(x)[0];
    const std::int64_t predicted = argmax(probs).item<std::int64_t>();
    std::cout << "predicted: " << predicted << " probability: " << std::fixed << std::setprecision(4)
              << probs[predicted].item<float>() << std::defaultfloat << "\n";
}

void run_predict(const PredictArgs& a) {
    if (!a.image.empty()) return predict_image(a);
    models::Sequential model = models::load_model(a.model_path, {.compile = false});
    std::optional<std::filesystem::path> dir;
    if (!a.data_dir.empty()) dir = a.data_dir;
    const ModelData d = load_for_model(model, a.model_path, a.dataset, a.split, dir);
    const std::int64_t n = d.x.shape(0);
    if (a.index < 0 || a.index >= n || a.count > n - a.index)
        throw IndexError("--index " + std::to_string(a.index) + " --count " + std::to_string(a.count) +
                         " is out of range: the " + a.split + " split has " + std::to_string(n) + " images");
    const Slice rows(a.index, a.index + a.count);
    const Tensor probs = model.predict(d.x(rows));
    const Tensor labels = d.labels(rows);
    for (std::int64_t i = 0; i < a.count; ++i) {
        const Tensor p = probs[i];
        const std::int64_t predicted = argmax(p).item<std::int64_t>(), label = labels[i].item<std::int64_t>();
        std::cout << a.dataset << " " << a.split << "[" << a.index + i << "]: predicted " << predicted;
        if (a.dataset == "fashion_mnist" && predicted >= 0 && predicted < 10)
            std::cout << " (" << datasets::fashion_mnist::class_names[predicted] << ")";
        std::cout << ", label " << label << (predicted == label ? "" : "  <- wrong") << "\n";
        std::cout << "  probabilities:";
        for (float v : p.to_vector<float>()) std::cout << " " << std::fixed << std::setprecision(4) << v;
        std::cout << std::defaultfloat << "\n";
    }
    if (!a.png.empty()) {
        // The grid wants (N, H, W) or (N, 784) images.
        const Tensor images = d.x(rows).reshape({a.count, 28, 28});
        io::save_digit_grid(a.png, images, labels, probs, {.columns = static_cast<int>(std::min<std::int64_t>(a.count, 10)), .scale = 4});
        std::cout << "wrote " << a.png << "\n";
    }
}

}  // namespace

void add_predict_command(CLI::App& app) {
    auto args = std::make_shared<PredictArgs>();
    CLI::App* cmd = app.add_subcommand("predict", "Class probabilities of a saved model (.keras) for dataset images");
    cmd->add_option("model", args->model_path, "The model file (.keras, from nabla or Keras)")->required();
    cmd->add_option("--dataset", args->dataset, "Dataset")->check(CLI::IsMember({"mnist", "fashion_mnist"}))->capture_default_str();
    cmd->add_option("--split", args->split, "train or test")->check(CLI::IsMember({"train", "test"}))->capture_default_str();
    cmd->add_option("--data-dir", args->data_dir, "Directory holding the dataset's IDX files");
    cmd->add_option("--index", args->index, "First image")->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40))->capture_default_str();
    cmd->add_option("--count", args->count, "How many images")->check(CLI::Range(std::int64_t{1}, std::int64_t{10000}))->capture_default_str();
    CLI::Option* png = cmd->add_option("--png", args->png, "Also draw the images with true and predicted labels to this PNG");
    CLI::Option* image = cmd->add_option("--image", args->image,
                    "Classify this PNG instead (grey or RGB, any size; light digit on dark, as MNIST)")
        ->check(CLI::ExistingFile)->excludes(png);
    cmd->add_flag("--invert", args->invert, "The --image is a dark digit on a light background")->needs(image);
    cmd->callback([args] { run_predict(*args); });
}

}  // namespace nabla::cli
