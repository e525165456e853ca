#include "saving/weights_h5.hpp"

#include <cctype>
#include <iostream>
#include <map>

#include "nabla/core/error.hpp"
#include "saving/hdf5.hpp"

namespace nabla::saving::detail {

std::string snake_case(std::string_view s) {
    // Keras: re.sub("(.)([A-Z][a-z]+)", r"\1_\2"), then
    // re.sub("([a-z])([A-Z])", r"\1_\2"), lower-cased.
    std::string a;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool starts_word = i > 0 && std::isupper(static_cast<unsigned char>(s[i])) && i + 1 < s.size() &&
                                 std::islower(static_cast<unsigned char>(s[i + 1]));
        if (starts_word) a += '_';
        a += s[i];
    }
    std::string b;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (i > 0 && std::islower(static_cast<unsigned char>(a[i - 1])) && std::isupper(static_cast<unsigned char>(a[i])))
            b += '_';
        b += static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
    }
    return b;
}

std::vector<std::pair<std::string, const layers::Layer*>> layer_keys(const models::Sequential& model) {
    std::vector<std::pair<std::string, const layers::Layer*>> out;
    std::map<std::string, int> seen;
    for (const auto& l : model.layers()) {
        if (l->class_name() == "InputLayer") continue;  // not in Keras's Sequential.layers
        const std::string base = snake_case(l->class_name());
        const int n = seen[base]++;
        out.emplace_back(n == 0 ? base : base + "_" + std::to_string(n), l.get());
    }
    return out;
}

std::vector<std::pair<std::size_t, std::size_t>> slot_order(const optimizers::Optimizer& optimizer,
                                                            std::size_t variables) {
    // Keras's build(): add_optimizer_variables(vars, [names...]) interleaves
    // the names per variable; each call appends after the previous ones.
    // Adam makes (momentum, velocity) in one call, then velocity_hat; the
    // others one call per slot (RMSprop: velocity, momentum, average_gradient).
    const std::size_t slots = optimizer.slot_names().size();
    std::vector<std::vector<std::size_t>> calls;
    if (optimizer.name() == "Adam") {
        calls.push_back({0, 1});
        if (slots > 2) calls.push_back({2});
    } else {
        for (std::size_t s = 0; s < slots; ++s) calls.push_back({s});
    }
    std::vector<std::pair<std::size_t, std::size_t>> order;
    for (const auto& call : calls)
        for (std::size_t v = 0; v < variables; ++v)
            for (std::size_t s : call) order.emplace_back(v, s);
    return order;
}

namespace {

std::vector<const Variable*> pointers(const std::vector<Variable>& vars) {
    std::vector<const Variable*> out;
    for (const Variable& v : vars) out.push_back(&v);
    return out;
}

void write_optimizer(const h5::Group& root, const models::Sequential& model, optimizers::Optimizer& opt) {
    const h5::Group vars = root.create_group("optimizer").create_group("vars");
    vars.set_string_attr("name", snake_case(opt.name()));
    vars.write("0", Tensor::scalar(static_cast<double>(opt.iterations()), int64));
    vars.write("1", Tensor::scalar(opt.learning_rate(), float32));
    if (!opt.built()) return;  // Keras: an optimizer that never stepped has only these two
    const std::vector<Variable> trainable = model.trainable_weights();
    const std::vector<const Variable*> ptrs = pointers(trainable);
    opt.build(ptrs);  // slots for variables that never had a gradient (their initial values)
    const std::vector<std::string> names = opt.slot_names();
    int index = 2;
    for (const auto& [v, s] : slot_order(opt, trainable.size()))
        vars.write(std::to_string(index++), opt.slot(trainable[v], names[s]));
}

}  // namespace

std::vector<std::uint8_t> weights_h5_bytes(const models::Sequential& model, optimizers::Optimizer* optimizer,
                                           const std::string& context) {
    if (!model.built())
        throw ValueError(context + ": the model '" + model.name() +
                         "' has not been built yet, so it has no weights to save; build it first "
                         "(model.build, a first call, or an input_shape)");
    h5::File file = h5::File::create(context);
    const h5::Group root = file.root();
    const h5::Group layers_group = root.create_group("layers");
    for (const auto& [key, layer] : layer_keys(model)) {
        const h5::Group vars = layers_group.create_group(key).create_group("vars");
        vars.set_string_attr("name", layer->name());
        const std::vector<Variable> weights = layer->weights();
        for (std::size_t i = 0; i < weights.size(); ++i) vars.write(std::to_string(i), weights[i].value());
    }
    if (optimizer) write_optimizer(root, model, *optimizer);
    root.create_group("vars").set_string_attr("name", model.name());
    return file.image();
}

namespace {

// The datasets "0".."n-1" of a vars group, refusing any other member.
std::vector<h5::Dataset> numbered_datasets(const h5::Group& vars, const std::string& context) {
    std::vector<std::string> names = vars.children();
    std::vector<h5::Dataset> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!vars.has_dataset(std::to_string(i)))
            throw IOError(context + ": '/" + vars.path() + "' has " + std::to_string(names.size()) +
                          " members but no dataset '" + std::to_string(i) +
                          "' (Keras numbers variables 0, 1, ...)");
        out.push_back(vars.dataset(std::to_string(i)));
    }
    return out;
}

Tensor read_weight(const h5::Dataset& ds, const Variable& target, const layers::Layer& layer,
                   const std::string& context) {
    if (ds.info().shape != target.shape())
        throw ShapeError(context + ": layer '" + layer.name() + "' variable '" + target.name() + "' has shape " +
                         to_string(target.shape()) + " in the model, but the file's '/" + ds.path() + "' has shape " +
                         to_string(ds.info().shape));
    if (ds.info().type_class != H5T_FLOAT)
        throw DTypeError(context + ": layer '" + layer.name() + "' variable '" + target.name() + "': '/" + ds.path() +
                         "' holds non-floating-point data; expected " + std::string(name(target.dtype())));
    return ds.read(target.dtype());
}

struct OptimizerState {
    bool present = false;
    std::int64_t iterations = 0;
    std::optional<double> learning_rate;
    std::vector<std::pair<const Variable*, std::vector<Tensor>>> slots;
};

OptimizerState read_optimizer(const h5::Group& root, const models::Sequential& model,
                              const optimizers::Optimizer& opt, const std::vector<Variable>& trainable,
                              const std::string& context) {
    OptimizerState st;
    if (!root.has_group("optimizer") || !root.group("optimizer").has_group("vars")) return st;
    const std::vector<h5::Dataset> vars = numbered_datasets(root.group("optimizer").group("vars"), context);
    const auto order = slot_order(opt, trainable.size());
    if (vars.size() != 2 && vars.size() != 2 + order.size()) {
        // Keras warns and goes on (base_optimizer.py load_own_variables).
        std::cerr << "Warning: " << context << ": Skipping variable loading for optimizer '" << snake_case(opt.name())
                  << "', because it has " << 2 + order.size() << " variables whereas the saved optimizer has "
                  << vars.size() << " variables.\n";
        return st;
    }
    const auto& it = vars[0].info();
    if (it.type_class != H5T_INTEGER || !it.shape.empty())
        throw DTypeError(context + ": '/" + vars[0].path() + "' (the optimizer's iteration count) is not an integer scalar");
    st.iterations = vars[0].read(int64).data<std::int64_t>()[0];
    if (st.iterations < 0) throw ValueError(context + ": negative optimizer iteration count " + std::to_string(st.iterations));
    if (vars[1].info().type_class != H5T_FLOAT || !vars[1].info().shape.empty())
        throw DTypeError(context + ": '/" + vars[1].path() + "' (the learning rate) is not a float scalar");
    st.learning_rate = vars[1].read(float64).data<double>()[0];
    st.present = true;
    if (vars.size() == 2) return st;
    const std::size_t per_var = opt.slot_names().size();
    std::vector<std::vector<Tensor>> slots(trainable.size(), std::vector<Tensor>(per_var));
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto [v, s] = order[i];
        const h5::Dataset& ds = vars[i + 2];
        if (ds.info().shape != trainable[v].shape())
            throw ShapeError(context + ": optimizer slot '" + opt.slot_names()[s] + "' of variable '" + trainable[v].name() +
                             "' should have shape " + to_string(trainable[v].shape()) + ", but '/" + ds.path() +
                             "' has shape " + to_string(ds.info().shape));
        if (ds.info().type_class != H5T_FLOAT)
            throw DTypeError(context + ": '/" + ds.path() + "' (an optimizer slot) is not floating point");
        slots[v][s] = ds.read(trainable[v].dtype());
    }
    for (std::size_t v = 0; v < trainable.size(); ++v) st.slots.emplace_back(&trainable[v], std::move(slots[v]));
    (void)model;
    return st;
}

}  // namespace

void load_weights_h5(models::Sequential& model, optimizers::Optimizer* optimizer, std::span<const std::uint8_t> bytes,
                     const std::string& context) {
    if (!model.built())
        throw ValueError(context + ": the model '" + model.name() +
                         "' has not been built yet; build it (model.build or an input_shape) before load_weights");
    const h5::File file = h5::File::open(bytes, context);
    const h5::Group root = file.root();
    if (!root.has_group("layers"))
        throw IOError(context + ": no group '/layers': not a Keras 3 weights file");
    const h5::Group layers_group = root.group("layers");
    // 1. Read and check every weight into new tensors.
    std::vector<std::pair<Variable, Tensor>> assignments;
    const auto keys = layer_keys(model);
    std::vector<std::string> used;
    for (const auto& [key, layer] : keys) {
        const std::vector<Variable> weights = layer->weights();
        if (!layers_group.has_group(key)) {
            if (weights.empty()) continue;
            throw IOError(context + ": no weights for layer '" + layer->name() + "' (" + std::string(layer->class_name()) +
                          "): the file has no group '/layers/" + key + "'");
        }
        used.push_back(key);
        const h5::Group g = layers_group.group(key);
        std::vector<h5::Dataset> data;
        if (g.has_group("vars")) data = numbered_datasets(g.group("vars"), context);
        if (data.size() != weights.size())
            throw ValueError(context + ": layer '" + layer->name() + "' (" + std::string(layer->class_name()) +
                             ") expects " + std::to_string(weights.size()) + " variables, but '/layers/" + key +
                             "/vars' has " + std::to_string(data.size()));
        for (std::size_t i = 0; i < weights.size(); ++i)
            assignments.emplace_back(weights[i], read_weight(data[i], weights[i], *layer, context));
    }
    for (const std::string& child : layers_group.children()) {
        if (std::find(used.begin(), used.end(), child) != used.end()) continue;
        const h5::Group g = layers_group.group(child);
        if (g.has_group("vars") && !g.group("vars").children().empty())
            throw ValueError(context + ": the file has weights for '/layers/" + child +
                             "', which this model does not have (its layers: " + std::to_string(keys.size()) + ")");
    }
    const std::vector<Variable> trainable = model.trainable_weights();
    OptimizerState st;
    if (optimizer) st = read_optimizer(root, model, *optimizer, trainable, context);
    // 2. Everything is valid: assign.
    for (auto& [var, value] : assignments) var.assign(value);
    if (st.present) {
        optimizer->set_state(st.iterations, st.slots);
        // A file stores the rate as a number; a schedule set in code stays.
        if (st.learning_rate && !optimizer->has_learning_rate_schedule()) {
            try {
                optimizer->set_learning_rate(*st.learning_rate);
            } catch (const ValueError&) {
                // a non-finite stored rate: keep the compiled one
            }
        }
    }
}

}  // namespace nabla::saving::detail
