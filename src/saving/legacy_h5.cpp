#include "saving/legacy_h5.hpp"

#include <optional>

#include "nabla/core/error.hpp"
#include "saving/hdf5.hpp"

namespace nabla::saving::detail {
namespace {

// A list attribute, possibly chunked as name0, name1, ... (Keras splits
// lists over HDF5's 64 KiB object-header limit).
std::vector<std::string> list_attr(const h5::Group& g, const std::string& name) {
    if (g.has_attr(name)) return g.string_list_attr(name);
    std::vector<std::string> out;
    for (int i = 0; g.has_attr(name + std::to_string(i)); ++i) {
        std::vector<std::string> part = g.string_list_attr(name + std::to_string(i));
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

bool has_list_attr(const h5::Group& g, const std::string& name) { return g.has_attr(name) || g.has_attr(name + "0"); }

// "sequential/dense/kernel" or "dense/kernel:0", relative to `g`; each step
// is opened as a hard link (links are refused by the wrapper).
h5::Dataset dataset_at(const h5::Group& g, const std::string& path, const std::string& ctx) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = path.find('/', start);
        const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!part.empty()) parts.push_back(part);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    if (parts.empty() || parts.size() > 64) throw IOError(ctx + ": bad weight name '" + path + "' in '/" + g.path() + "'");
    if (parts.size() == 1) return g.dataset(parts[0]);
    h5::Group cur = g.group(parts[0]);
    for (std::size_t i = 1; i + 1 < parts.size(); ++i) cur = cur.group(parts[i]);
    return cur.dataset(parts.back());
}

}  // namespace

bool is_legacy_h5(std::span<const std::uint8_t> bytes, const std::string& context) {
    const h5::File file = h5::File::open(bytes, context);
    const h5::Group root = file.root();
    if (root.has_group("layers")) return false;
    return root.has_group("model_weights") || has_list_attr(root, "layer_names");
}

void load_legacy_h5(models::Sequential& model, std::span<const std::uint8_t> bytes, const std::string& ctx) {
    if (!model.built())
        throw ValueError(ctx + ": the model '" + model.name() + "' has not been built yet; build it before load_weights");
    const h5::File file = h5::File::open(bytes, ctx);
    const h5::Group root = file.root();
    std::optional<h5::Group> mw;
    if (root.has_group("model_weights")) mw.emplace(root.group("model_weights"));
    const h5::Group& g = mw ? *mw : root;
    if (!has_list_attr(g, "layer_names"))
        throw IOError(ctx + ": no 'layer_names' attribute in '/" + g.path() + "': not a Keras HDF5 weights file");
    // The file's layers with weights, in order.
    struct FileLayer {
        std::string name;
        std::vector<std::string> weight_names;
    };
    std::vector<FileLayer> file_layers;
    for (const std::string& name : list_attr(g, "layer_names")) {
        const h5::Group lg = g.group(name);
        std::vector<std::string> names = has_list_attr(lg, "weight_names") ? list_attr(lg, "weight_names")
                                                                             : std::vector<std::string>{};
        if (!names.empty()) file_layers.push_back({name, std::move(names)});
    }
    std::vector<const layers::Layer*> model_layers;
    for (const auto& l : model.layers())
        if (!l->weights().empty()) model_layers.push_back(l.get());
    if (model_layers.size() != file_layers.size())
        throw ValueError(ctx + ": the model has " + std::to_string(model_layers.size()) +
                         " layers with weights, but the file has " + std::to_string(file_layers.size()) +
                         " (legacy files load by the order of layers with weights)");
    std::vector<std::pair<Variable, Tensor>> assignments;
    for (std::size_t i = 0; i < model_layers.size(); ++i) {
        const layers::Layer& layer = *model_layers[i];
        const FileLayer& fl = file_layers[i];
        const std::vector<Variable> weights = layer.weights();
        if (weights.size() != fl.weight_names.size())
            throw ValueError(ctx + ": layer '" + layer.name() + "' expects " + std::to_string(weights.size()) +
                             " weights, but the file's layer '" + fl.name + "' has " +
                             std::to_string(fl.weight_names.size()));
        const h5::Group lg = g.group(fl.name);
        for (std::size_t w = 0; w < weights.size(); ++w) {
            const h5::Dataset ds = dataset_at(lg, fl.weight_names[w], ctx);
            if (ds.info().shape != weights[w].shape())
                throw ShapeError(ctx + ": layer '" + layer.name() + "' variable '" + weights[w].name() + "' has shape " +
                                 to_string(weights[w].shape()) + " in the model, but the file's '/" + ds.path() +
                                 "' has shape " + to_string(ds.info().shape));
            if (ds.info().type_class != H5T_FLOAT)
                throw DTypeError(ctx + ": '/" + ds.path() + "' holds non-floating-point data");
            assignments.emplace_back(weights[w], ds.read(weights[w].dtype()));
        }
    }
    for (auto& [var, value] : assignments) var.assign(value);
}

}  // namespace nabla::saving::detail
