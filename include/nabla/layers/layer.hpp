#pragma once
// The Layer base: Keras's Layer in C++.
//
// A layer has a name ("dense", "dense_1", ... unless given one), builds its
// weights on first use from the input shape, and maps a batch to a batch:
//
//   layers::Dense dense(512, "relu");
//   Tensor y = dense(x);               // builds a (784, 512) kernel if x is (n, 784)
//   dense.trainable_weights();         // {kernel, bias}: Variables a GradientTape watches
//
// Shapes given to build() and returned by compute_output_shape() include the
// batch axis; -1 (printed None) means "unknown". The input_shape option of a
// layer excludes it, as Keras's input_shape=(784,).
//
// Layers are move-only: copying one would silently give two layers that do
// not share weights. To keep a handle on a layer that is also in a model,
// make it a std::shared_ptr (std::make_shared<layers::Dense>(10)).
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "nabla/autodiff/variable.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/layers/initializers.hpp"

namespace nabla::layers {

// An unknown size in a shape (the batch axis before data is seen): None.
inline constexpr std::int64_t kUnknown = -1;
// "(None, 512)": shapes as Keras prints them.
std::string shape_string(const Shape& shape);

class Layer {
public:
    virtual ~Layer() = default;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;
    Layer(Layer&&) = default;
    Layer& operator=(Layer&&) = default;

    const std::string& name() const { return name_; }
    // The class name summary() prints: "Dense", "Dropout", ...
    virtual std::string_view class_name() const = 0;

    // Creates the weights for inputs of this shape (batch axis included).
    // Throws ShapeError with the layer's name when the shape does not fit.
    // Building a built layer only checks the shape against its weights.
    void build(const Shape& input_shape);
    bool built() const { return built_; }
    // Runs the layer on a batch, building it first if needed. `training`
    // switches on training-only behaviour (Dropout).
    Tensor operator()(const Tensor& x, bool training = false);
    // The output shape for an input shape; checks the input shape as build()
    // does, without creating anything.
    virtual Shape compute_output_shape(const Shape& input_shape) const = 0;

    // The input_shape option (batch excluded), if one was given.
    const std::optional<Shape>& declared_input_shape() const { return declared_input_shape_; }
    // Shapes seen at build (batch included); ValueError before build.
    const Shape& input_shape() const;
    const Shape& output_shape() const;

    // Weights in creation order (a Dense: kernel, then bias), the
    // trainable ones before the others, as Keras. Variables are handles:
    // assigning through one changes the layer.
    std::vector<Variable> weights() const;
    std::vector<Variable> trainable_weights() const;
    std::vector<Variable> non_trainable_weights() const;
    // A frozen layer (trainable = false, as Keras's layer.trainable = False)
    // lists its weights as non-trainable; the optimizer then leaves them.
    bool trainable() const { return trainable_; }
    void set_trainable(bool on) { trainable_ = on; }
    std::int64_t count_params() const;  // ValueError before build, as Keras
    // Copies of the weight values / assignment of new ones (shapes must match).
    std::vector<Tensor> get_weights() const;
    void set_weights(const std::vector<Tensor>& values);

    // Randomness (initializers, dropout masks). A layer with an explicit
    // seed keeps its own stream; otherwise a model hands it one derived from
    // the model's seed, and a stand-alone layer splits one off the global
    // generator (random::default_generator()) when it first needs it.
    void set_seed(std::uint64_t seed);
    bool has_explicit_seed() const { return explicit_seed_; }
    // Used by Sequential; ignored when the layer has an explicit seed.
    void inherit_generator(random::Generator gen);
    // The layer's stream, saved and restored for exact resume; nullopt while
    // it has none (a stand-alone layer that has drawn nothing yet).
    std::optional<random::GeneratorState> random_state() const;
    void set_random_state(const random::GeneratorState& state);

protected:
    // `prefix` is the snake_case class name for automatic names ("dense");
    // an empty `name` asks for one.
    Layer(std::string_view prefix, std::string name, std::optional<Shape> input_shape = std::nullopt);

    // Override points: create weights (input_shape already checked by
    // compute_output_shape), and compute the output.
    virtual void build_weights(const Shape& input_shape);
    virtual Tensor call(const Tensor& x, bool training) = 0;

    // Creates and registers a weight named "<layer>/<name>". A weight made
    // with trainable = false (BatchNormalization's moving statistics) is
    // always among non_trainable_weights().
    Variable add_weight(const std::string& name, const Shape& shape, const initializers::Initializer& init,
                        DType dtype = float32, bool trainable = true);
    random::Generator& generator();
    // "Dense 'dense_1'": how messages name this layer.
    std::string describe() const;

private:
    std::string name_;
    std::optional<Shape> declared_input_shape_;
    Shape input_shape_, output_shape_;
    std::vector<Variable> weights_;
    std::optional<random::Generator> rng_;
    bool built_ = false;
    bool trainable_ = true;
    bool explicit_seed_ = false;
};

// A unique automatic name: "dense", then "dense_1", "dense_2", ... per prefix,
// as Keras. Thread-safe.
std::string unique_name(std::string_view prefix);
// Restarts automatic names (keras.backend.clear_session()).
void clear_session();

// What Sequential({...}) and add() take: a layer by value (moved into shared
// ownership) or a std::shared_ptr to one.
class LayerHandle {
public:
    template <typename L>
        requires std::derived_from<L, Layer>
    LayerHandle(std::shared_ptr<L> layer) : layer_(std::move(layer)) {}

    template <typename L>
        requires std::derived_from<std::remove_cvref_t<L>, Layer>
    LayerHandle(L&& layer) {
        static_assert(!std::is_lvalue_reference_v<L>,
                      "a named layer cannot be copied into a model: pass a temporary "
                      "(layers::Dense(10)), std::move(layer), or a std::shared_ptr to share it");
        if constexpr (!std::is_lvalue_reference_v<L>)
            layer_ = std::make_shared<std::remove_cvref_t<L>>(std::move(layer));
    }

    const std::shared_ptr<Layer>& get() const { return layer_; }

private:
    std::shared_ptr<Layer> layer_;
};

}  // namespace nabla::layers
