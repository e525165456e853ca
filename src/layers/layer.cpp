#include "nabla/layers/layer.hpp"

#include <map>
#include <mutex>

namespace nabla::layers {

namespace {
std::mutex names_mutex;
std::map<std::string, int, std::less<>>& name_counters() {
    static std::map<std::string, int, std::less<>> counters;
    return counters;
}
}  // namespace

std::string shape_string(const Shape& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += shape[i] < 0 ? "None" : std::to_string(shape[i]);
    }
    return s + (shape.size() == 1 ? ",)" : ")");
}

std::string unique_name(std::string_view prefix) {
    std::lock_guard lock(names_mutex);
    auto [it, inserted] = name_counters().try_emplace(std::string(prefix), 0);
    const int n = it->second++;
    return n == 0 ? std::string(prefix) : std::string(prefix) + "_" + std::to_string(n);
}

void clear_session() {
    std::lock_guard lock(names_mutex);
    name_counters().clear();
}

Layer::Layer(std::string_view prefix, std::string name, std::optional<Shape> input_shape)
    : name_(name.empty() ? unique_name(prefix) : std::move(name)), declared_input_shape_(std::move(input_shape)) {
    if (declared_input_shape_)
        for (auto d : *declared_input_shape_)
            if (d <= 0)
                // class_name() is not callable yet (we are in the base constructor).
                throw ValueError(std::string(prefix) + " '" + name_ + "': input_shape " + to_string(*declared_input_shape_) +
                                 " must have positive sizes (the batch axis is not part of it)");
}

std::string Layer::describe() const { return std::string(class_name()) + " '" + name_ + "'"; }

void Layer::build(const Shape& input_shape) {
    const Shape out = compute_output_shape(input_shape);  // throws if the shape does not fit
    if (built_) return;
    build_weights(input_shape);
    input_shape_ = input_shape;
    if (!input_shape_.empty()) input_shape_[0] = kUnknown;
    output_shape_ = out;
    if (!output_shape_.empty()) output_shape_[0] = kUnknown;
    built_ = true;
}

void Layer::build_weights(const Shape&) {}

Tensor Layer::operator()(const Tensor& x, bool training) {
    if (!x.defined()) throw ValueError(describe() + ": called on an undefined tensor");
    build(x.shape());
    return call(x, training);
}

const Shape& Layer::input_shape() const {
    if (!built_) throw ValueError(describe() + " has not been built yet: it has no input shape");
    return input_shape_;
}

const Shape& Layer::output_shape() const {
    if (!built_) throw ValueError(describe() + " has not been built yet: it has no output shape");
    return output_shape_;
}

std::vector<Variable> Layer::weights() const {
    std::vector<Variable> out;
    out.reserve(weights_.size());
    for (const auto& w : weights_)
        if (w.trainable()) out.push_back(w);
    for (const auto& w : weights_)
        if (!w.trainable()) out.push_back(w);
    return out;
}

std::vector<Variable> Layer::trainable_weights() const {
    std::vector<Variable> out;
    if (trainable_)
        for (const auto& w : weights_)
            if (w.trainable()) out.push_back(w);
    return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
    std::vector<Variable> out;
    for (const auto& w : weights_)
        if (!trainable_ || !w.trainable()) out.push_back(w);
    return out;
}

std::int64_t Layer::count_params() const {
    if (!built_)
        throw ValueError("You tried to call count_params on " + describe() +
                         ", but the layer isn't built. Build it first (call it on data or build(input_shape)).");
    std::int64_t n = 0;
    for (const auto& w : weights_) n += numel(w.shape());
    return n;
}

std::vector<Tensor> Layer::get_weights() const {
    std::vector<Tensor> out;
    out.reserve(weights_.size());
    for (const auto& w : weights_) out.push_back(w.value().copy());
    return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
    if (values.size() != weights_.size())
        throw ValueError(describe() + ".set_weights: expected " + std::to_string(weights_.size()) +
                         " arrays, got " + std::to_string(values.size()));
    for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i].shape() != weights_[i].shape())
            throw ShapeError(describe() + ".set_weights: weight " + weights_[i].name() + " has shape " +
                             to_string(weights_[i].shape()) + ", got an array of shape " + to_string(values[i].shape()));
    for (std::size_t i = 0; i < values.size(); ++i) weights_[i].assign(values[i]);
}

void Layer::set_seed(std::uint64_t seed) {
    rng_ = random::Generator(seed);
    explicit_seed_ = true;
}

void Layer::inherit_generator(random::Generator gen) {
    if (!explicit_seed_) rng_ = gen;
}

std::optional<random::GeneratorState> Layer::random_state() const {
    if (!rng_) return std::nullopt;
    return rng_->state();
}

void Layer::set_random_state(const random::GeneratorState& state) {
    random::Generator g;
    g.set_state(state);  // validates before anything changes
    rng_ = g;
}

random::Generator& Layer::generator() {
    if (!rng_) rng_ = random::default_generator().split();
    return *rng_;
}

Variable Layer::add_weight(const std::string& name, const Shape& shape, const initializers::Initializer& init,
                           DType dtype, bool trainable) {
    Variable v(init(shape, dtype, generator()), name_ + "/" + name, trainable);
    weights_.push_back(v);
    return v;
}

}  // namespace nabla::layers
