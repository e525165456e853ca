#include "model_data.hpp"

#include "nabla/data/datasets.hpp"
#include "nabla/nabla.hpp"

namespace nabla::cli {

namespace {

// The image shape the model's input declares, batch axis excluded.
Shape image_shape_for(const models::Sequential& model, const std::string& model_path) {
    if (!model.built())
        throw ValueError(model_path + ": the model does not declare its input shape (it was saved unbuilt), so "
                         "nabla cannot tell how to feed it 28x28 images");
    const Shape& in = model.input_shape();
    const Shape item(in.begin() + 1, in.end());
    if (item == Shape{784} || item == Shape{28, 28} || item == Shape{28, 28, 1}) return item;
    throw ValueError(model_path + ": the model's input shape is " + to_string(in) +
                     "; MNIST-style images can be fed as (None, 784), (None, 28, 28) or (None, 28, 28, 1)");
}

}  // namespace

ModelData load_for_model(models::Sequential& model, const std::string& model_path, const std::string& dataset,
                         const std::string& split, const std::optional<std::filesystem::path>& dir) {
    const Shape item = image_shape_for(model, model_path);
    const auto subset = split == "train" ? datasets::Subset::train : datasets::Subset::test;
    auto [images, labels] = dataset == "mnist" ? datasets::mnist::load_subset(subset, dir)
                                               : datasets::fashion_mnist::load_subset(subset, dir);
    Shape shape{images.shape(0)};
    shape.insert(shape.end(), item.begin(), item.end());
    ModelData d;
    d.x = images.reshape(shape).astype(float32);
    d.x /= 255.0;  // the book's scaling
    d.labels = labels.astype(int64);
    const losses::Loss* loss = model.loss();
    const bool sparse = !loss || loss->name().find("sparse") != std::string::npos;
    const std::int64_t classes = model.output_shape().back();
    d.y = sparse ? d.labels : utils::to_categorical(d.labels, classes);
    return d;
}

}  // namespace nabla::cli
