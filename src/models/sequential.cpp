// Sequential's structure: layers, building, the forward pass, weights and
// the summary table. Training (compile/fit/evaluate/predict) is in training.cpp.
#include "nabla/models/sequential.hpp"

#include <iomanip>
#include <mutex>
#include <iostream>
#include <sstream>

#include "sequential_state.hpp"

namespace nabla::models {

Sequential::Sequential(std::string name)
    : name_(name.empty() ? layers::unique_name("sequential") : std::move(name)),
      rng_(random::default_generator().split()) {}

Sequential::Sequential(std::initializer_list<layers::LayerHandle> layers, std::string name)
    : Sequential(std::move(name)) {
    for (const auto& h : layers) add(h);
}

void Sequential::adopt(const std::shared_ptr<layers::Layer>& layer) {
    if (!layer) throw ValueError("Sequential '" + name_ + "'.add: the layer is a null pointer");
    for (const auto& l : layers_)
        if (l->name() == layer->name())
            throw ValueError("Sequential '" + name_ + "'.add: all layers in a model must have unique names; '" +
                             layer->name() + "' is already used");
    layer->inherit_generator(rng_.split());
    layers_.push_back(layer);
}

void Sequential::add(layers::LayerHandle handle) {
    const std::shared_ptr<layers::Layer>& layer = handle.get();
    adopt(layer);
    try {
        if (built_) {
            layer->build(output_shape_);
            output_shape_ = layer->compute_output_shape(output_shape_);
        } else if (layers_.size() == 1 && layer->declared_input_shape()) {
            build_from_declared_shape();
        }
    } catch (...) {
        layers_.pop_back();
        throw;
    }
}

void Sequential::pop() {
    if (layers_.empty()) throw ValueError("Sequential '" + name_ + "'.pop: there are no layers to remove");
    layers_.pop_back();
    if (layers_.empty()) {
        built_ = false;
        input_shape_.clear();
        output_shape_.clear();
    } else if (built_) {
        output_shape_ = layers_.back()->output_shape();
    }
}

void Sequential::build_from_declared_shape() {
    Shape shape{layers::kUnknown};
    const Shape& declared = *layers_.front()->declared_input_shape();
    shape.insert(shape.end(), declared.begin(), declared.end());
    build(shape);
}

std::shared_ptr<layers::Layer> Sequential::get_layer(const std::string& name) const {
    std::string names;
    for (const auto& l : layers_) {
        if (l->name() == name) return l;
        names += (names.empty() ? "" : ", ") + l->name();
    }
    throw ValueError("Sequential '" + name_ + "': no layer named '" + name + "'; layers: " +
                     (names.empty() ? "(none)" : names));
}

std::shared_ptr<layers::Layer> Sequential::get_layer(int index) const {
    const int n = static_cast<int>(layers_.size());
    const int i = index < 0 ? index + n : index;
    if (i < 0 || i >= n)
        throw IndexError("Sequential '" + name_ + "': layer index " + std::to_string(index) + " is out of range for " +
                         std::to_string(n) + " layers");
    return layers_[static_cast<std::size_t>(i)];
}

void Sequential::build(const Shape& input_shape) {
    if (layers_.empty())
        throw ValueError("Sequential '" + name_ + "' has no layers: add() some before building or calling it");
    Shape shape = input_shape;
    if (!shape.empty()) shape[0] = layers::kUnknown;
    Shape out = shape;
    for (const auto& layer : layers_) {
        layer->build(out);
        out = layer->compute_output_shape(out);
    }
    input_shape_ = shape;
    output_shape_ = out;
    built_ = true;
}

namespace {
// One lock for every model's lazy build: it is taken once per model (the
// first call), and a per-model mutex would make Sequential non-movable.
std::mutex lazy_build_mutex;
}  // namespace

void Sequential::build_lazily(const Shape& input_shape) {
    std::lock_guard lock(lazy_build_mutex);
    if (built_) return;
    // A dry run with the real batch size first, so that messages show the
    // caller's shapes ("got (128, 28, 28)"), then the build; both under the
    // lock: an unbuilt layer is being written by whichever thread builds.
    Shape s = input_shape;
    for (const auto& layer : layers_) s = layer->compute_output_shape(s);
    build(input_shape);
}

void Sequential::require_built(const char* what) const {
    if (!built_)
        throw ValueError("Sequential '" + name_ + "'." + what +
                         ": this model has not yet been built. Build the model first by calling build(), by "
                         "calling it on a batch of data, or by giving the first layer an input_shape");
}

const Shape& Sequential::input_shape() const {
    require_built("input_shape");
    return input_shape_;
}

const Shape& Sequential::output_shape() const {
    require_built("output_shape");
    return output_shape_;
}

Tensor Sequential::operator()(const Tensor& x, bool training) {
    if (!x.defined()) throw ValueError("Sequential '" + name_ + "': called on an undefined tensor");
    if (!built_) build_lazily(x.shape());
    Tensor h = x;
    for (const auto& layer : layers_) h = (*layer)(h, training);
    return h;
}

std::vector<Variable> Sequential::weights() const {
    std::vector<Variable> out;
    for (const auto& l : layers_)
        for (auto& w : l->weights()) out.push_back(w);
    return out;
}

std::vector<Variable> Sequential::trainable_weights() const {
    std::vector<Variable> out;
    for (const auto& l : layers_)
        for (auto& w : l->trainable_weights()) out.push_back(w);
    return out;
}

std::vector<Variable> Sequential::non_trainable_weights() const {
    std::vector<Variable> out;
    for (const auto& l : layers_)
        for (auto& w : l->non_trainable_weights()) out.push_back(w);
    return out;
}

std::int64_t Sequential::count_params() const {
    require_built("count_params");
    std::int64_t n = 0;
    for (const auto& l : layers_) n += l->count_params();
    return n;
}

std::vector<Tensor> Sequential::get_weights() const {
    std::vector<Tensor> out;
    for (const auto& l : layers_)
        for (auto& w : l->get_weights()) out.push_back(std::move(w));
    return out;
}

void Sequential::set_weights(const std::vector<Tensor>& values) {
    std::size_t expected = 0;
    for (const auto& l : layers_) expected += l->weights().size();
    if (values.size() != expected)
        throw ValueError("Sequential '" + name_ + "'.set_weights: the model has " + std::to_string(expected) +
                         " weight arrays, got " + std::to_string(values.size()));
    // Check every shape before assigning anything, so a bad list changes nothing.
    std::size_t k = 0;
    for (const auto& l : layers_)
        for (const auto& w : l->weights()) {
            if (values[k].shape() != w.shape())
                throw ShapeError("Sequential '" + name_ + "'.set_weights: weight " + std::to_string(k) + " (" +
                                 w.name() + ") has shape " + to_string(w.shape()) + ", got an array of shape " +
                                 to_string(values[k].shape()));
            ++k;
        }
    k = 0;
    for (const auto& l : layers_) {
        const std::size_t n = l->weights().size();
        l->set_weights(std::vector<Tensor>(values.begin() + k, values.begin() + k + n));
        k += n;
    }
}

void Sequential::set_seed(std::uint64_t seed) {
    rng_ = random::Generator(seed);
    for (const auto& l : layers_) l->inherit_generator(rng_.split());
}

callbacks::ModelHandle::RandomState Sequential::random_state() const {
    RandomState out{{"model", rng_.state()}};
    for (const auto& l : layers_)
        if (auto st = l->random_state()) out.emplace_back(l->name(), *st);
    return out;
}

void Sequential::set_random_state(const RandomState& state) {
    const RandomState mine = random_state();
    auto names = [](const RandomState& s) {
        std::string n;
        for (const auto& [k, v] : s) n += (n.empty() ? "" : ", ") + k;
        return n;
    };
    // Matched by position, not by name: automatic layer names ("dense_4")
    // depend on what else the process built, and a backup must still fit.
    if (mine.size() != state.size() || state.empty() || state[0].first != "model")
        throw ValueError("Sequential '" + name_ + "'.set_random_state: the state is for streams [" + names(state) +
                         "] but this model has [" + names(mine) + "]");
    random::Generator check;
    for (const auto& [k, st] : state) check.set_state(st);  // all valid before any changes
    rng_.set_state(state[0].second);
    std::size_t i = 1;
    for (const auto& l : layers_)
        if (l->random_state()) l->set_random_state(state[i++].second);
}

namespace {

// "407,050"
std::string with_commas(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

// Keras's sequential layout: 65 columns, fields ending at 29, 55 and 65.
constexpr int kLineLength = 65;
constexpr int kPositions[] = {29, 55, 65};

std::string table_row(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t c = 0; c < fields.size(); ++c) {
        const std::size_t end = static_cast<std::size_t>(kPositions[c]);
        std::string field = fields[c];
        // Keep one space between columns: a long name is cut, as in Keras.
        const std::size_t room = end - line.size() - (c + 1 < fields.size() ? 1 : 0);
        if (field.size() > room) field.resize(room);
        line += field;
        if (c + 1 < fields.size()) line.append(end - line.size(), ' ');
    }
    return line;
}

}  // namespace

void Sequential::summary(std::ostream& os) const {
    require_built("summary");
    const std::string rule(kLineLength, '_'), double_rule(kLineLength, '=');
    os << "Model: \"" << name_ << "\"\n" << rule << '\n';
    os << table_row({"Layer (type)", "Output Shape", "Param #"}) << '\n' << double_rule << '\n';
    std::vector<const layers::Layer*> shown;
    for (const auto& l : layers_)
        if (l->class_name() != "InputLayer") shown.push_back(l.get());
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const auto* l = shown[i];
        os << table_row({l->name() + " (" + std::string(l->class_name()) + ")",
                         layers::shape_string(l->output_shape()), std::to_string(l->count_params())})
           << '\n';
        os << (i + 1 < shown.size() ? rule : double_rule) << '\n';
    }
    if (shown.empty()) os << double_rule << '\n';
    std::int64_t trainable = 0, frozen = 0;
    for (const auto& w : trainable_weights()) trainable += numel(w.shape());
    for (const auto& w : non_trainable_weights()) frozen += numel(w.shape());
    os << "Total params: " << with_commas(trainable + frozen) << '\n'
       << "Trainable params: " << with_commas(trainable) << '\n'
       << "Non-trainable params: " << with_commas(frozen) << '\n'
       << rule << '\n';
}

void Sequential::summary() const { summary(std::cout); }

std::string Sequential::summary_string() const {
    std::ostringstream os;
    summary(os);
    return os.str();
}

}  // namespace nabla::models
