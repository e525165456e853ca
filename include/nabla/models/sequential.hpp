#pragma once
// Sequential: a linear stack of layers, Keras's keras.Sequential.
//
//   models::Sequential model({
//       layers::Dense(512, "relu", {.input_shape = {784}}),
//       layers::Dense(10, "softmax"),
//   });
//   model.summary();                     // Total params: 407,050
//   Tensor probs = model(batch);         // forward pass (inference mode)
//
// Without an input shape (no input_shape on the first layer, no Input) the
// model builds its weights on first use: the first call, fit, or build().
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/layers/layer.hpp"

namespace nabla::models {

class Sequential {
public:
    // An empty model; add layers with add(). An empty name asks for an
    // automatic one ("sequential", "sequential_1", ...).
    explicit Sequential(std::string name = "");
    Sequential(std::initializer_list<layers::LayerHandle> layers, std::string name = "");
    ~Sequential();
    Sequential(Sequential&&) noexcept;
    Sequential& operator=(Sequential&&) noexcept;
    Sequential(const Sequential&) = delete;
    Sequential& operator=(const Sequential&) = delete;

    const std::string& name() const { return name_; }

    // Appends a layer; if the model is already built, builds the new layer
    // on the current output shape (a mismatch throws and leaves the model as
    // it was).
    void add(layers::LayerHandle layer);
    // Removes the last layer (ValueError on an empty model).
    void pop();
    const std::vector<std::shared_ptr<layers::Layer>>& layers() const { return layers_; }
    // By name (ValueError listing the names) or index (negative from the end).
    std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;
    std::shared_ptr<layers::Layer> get_layer(int index) const;

    // Builds every layer for inputs of `input_shape`, batch axis included
    // (-1 for unknown): model.build({-1, 784}).
    void build(const Shape& input_shape);
    bool built() const { return built_; }
    const Shape& input_shape() const;   // (None, 784); ValueError before build
    const Shape& output_shape() const;  // (None, 10)

    // The forward pass: every layer in order. training = true switches on
    // Dropout; the default is inference, as keras's model(x).
    Tensor operator()(const Tensor& x, bool training = false);

    std::vector<Variable> weights() const;
    std::vector<Variable> trainable_weights() const;
    std::vector<Variable> non_trainable_weights() const;
    std::int64_t count_params() const;
    // Copies of every weight, in weights() order; set_weights takes the same list.
    std::vector<Tensor> get_weights() const;
    void set_weights(const std::vector<Tensor>& values);

    // Keras's summary table. ValueError before the model is built.
    void summary(std::ostream& os) const;
    void summary() const;  // to std::cout
    std::string summary_string() const;

    // Reseeds the model's generator, from which every layer without its own
    // seed gets its stream (initial weights, dropout masks) and fit() draws
    // its shuffles. Call it before the model is built to fix the initial
    // weights too. By default the generator is split off the global one
    // (random::seed) when the model is constructed.
    void set_seed(std::uint64_t seed);
    random::Generator& generator() { return rng_; }

private:
    void adopt(const std::shared_ptr<layers::Layer>& layer);
    void build_from_declared_shape();
    Shape check_chain(const Shape& input_shape) const;
    void require_built(const char* what) const;

    std::string name_;
    std::vector<std::shared_ptr<layers::Layer>> layers_;
    random::Generator rng_;
    Shape input_shape_, output_shape_;
    bool built_ = false;
};

}  // namespace nabla::models
