#include "saving/config.hpp"

#include <map>

#include "nabla/core/error.hpp"
#include "nabla/layers/activation.hpp"
#include "nabla/layers/batch_normalization.hpp"
#include "nabla/layers/conv2d.hpp"
#include "nabla/layers/dense.hpp"
#include "nabla/layers/dropout.hpp"
#include "nabla/layers/flatten.hpp"
#include "nabla/layers/input_layer.hpp"
#include "nabla/layers/pooling.hpp"
#include "nabla/layers/reshape.hpp"
#include "saving/weights_h5.hpp"

namespace nabla::saving::detail {
namespace {

// --- writing ---

Json keras_object(const char* module, const std::string& class_name, Json config) {
    Json o;
    o["module"] = module;
    o["class_name"] = class_name;
    o["config"] = std::move(config);
    o["registered_name"] = nullptr;
    return o;
}

Json dtype_policy(DType dtype) {
    Json c;
    c["name"] = std::string(name(dtype));
    return keras_object("keras", "DTypePolicy", std::move(c));
}

Json shape_json(const Shape& shape) {
    Json a = Json::array();
    for (std::int64_t d : shape) {
        if (d < 0)
            a.push_back(nullptr);
        else
            a.push_back(d);
    }
    return a;
}

// "glorot_uniform" -> "GlorotUniform"
std::string camel_case(const std::string& snake) {
    std::string out;
    bool up = true;
    for (char c : snake) {
        if (c == '_') {
            up = true;
            continue;
        }
        out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        up = false;
    }
    return out;
}

Json initializer_json(const initializers::Initializer& init) {
    Json c = Json::object();
    const std::string& n = init.name();
    const bool variance_scaling = n.find("glorot") == 0 || n.find("he_") == 0 || n.find("lecun") == 0;
    if (n != "zeros" && n != "ones" && n != "constant") c["seed"] = nullptr;
    for (const auto& [key, value] : init.arguments()) c[key] = value;
    if (variance_scaling) {
        c["input_axes"] = nullptr;
        c["output_axes"] = nullptr;
    }
    return keras_object("keras.initializers", camel_case(n), std::move(c));
}

Json base_layer_config(const layers::Layer& l, DType dtype) {
    Json c;
    c["name"] = l.name();
    c["trainable"] = l.trainable();
    c["dtype"] = dtype_policy(dtype);
    return c;
}

Json pair_json(ops::Size2 s) { return Json::array({s.h, s.w}); }

// Conv2D, the pooling layers, BatchNormalization, Reshape: the keys Keras
// 3.15 writes, in its order. False when `l` is none of them.
bool image_layer_json(const layers::Layer& l, Json& c) {
    if (const auto* cv = dynamic_cast<const layers::Conv2D*>(&l)) {
        c = base_layer_config(l, cv->dtype());
        c["filters"] = cv->filters();
        c["kernel_size"] = pair_json(cv->kernel_size());
        c["strides"] = pair_json(cv->strides());
        c["padding"] = std::string(ops::name(cv->padding()));
        c["data_format"] = "channels_last";
        c["dilation_rate"] = pair_json(cv->dilation_rate());
        c["groups"] = 1;
        c["activation"] = std::string(ops::name(cv->activation()));
        c["use_bias"] = cv->use_bias();
        c["kernel_initializer"] = initializer_json(cv->kernel_initializer());
        c["bias_initializer"] = initializer_json(cv->bias_initializer());
        for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                              "bias_constraint"})
            c[k] = nullptr;
    } else if (const auto* p = dynamic_cast<const layers::Pooling2D*>(&l)) {
        c = base_layer_config(l, float32);
        c["pool_size"] = pair_json(p->pool_size());
        c["padding"] = std::string(ops::name(p->padding()));
        c["strides"] = pair_json(p->strides());
        c["data_format"] = "channels_last";
    } else if (const auto* g = dynamic_cast<const layers::GlobalAveragePooling2D*>(&l)) {
        c = base_layer_config(l, float32);
        c["data_format"] = "channels_last";
        c["keepdims"] = g->keepdims();
    } else if (const auto* bn = dynamic_cast<const layers::BatchNormalization*>(&l)) {
        const auto& o = bn->options();
        c = base_layer_config(l, float32);
        c["axis"] = o.axis;
        c["momentum"] = o.momentum;
        c["epsilon"] = o.epsilon;
        c["center"] = o.center;
        c["scale"] = o.scale;
        c["beta_initializer"] = initializer_json(o.beta_initializer);
        c["gamma_initializer"] = initializer_json(o.gamma_initializer);
        c["moving_mean_initializer"] = initializer_json(o.moving_mean_initializer);
        c["moving_variance_initializer"] = initializer_json(o.moving_variance_initializer);
        for (const char* k : {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"})
            c[k] = nullptr;
        c["synchronized"] = false;
        c["renorm"] = false;
        c["renorm_clipping"] = nullptr;
        c["renorm_momentum"] = 0.99;
    } else if (const auto* r = dynamic_cast<const layers::Reshape*>(&l)) {
        c = base_layer_config(l, float32);
        c["target_shape"] = r->target_shape();
    } else {
        return false;
    }
    return true;
}

Json layer_json(const layers::Layer& l) {
    Json c;
    const std::string cls(l.class_name());
    if (image_layer_json(l, c)) {
        // below: module, class name and build_config
    } else if (const auto* d = dynamic_cast<const layers::Dense*>(&l)) {
        c = base_layer_config(l, d->dtype());
        c["units"] = d->units();
        c["activation"] = std::string(ops::name(d->activation()));
        c["use_bias"] = d->use_bias();
        c["kernel_initializer"] = initializer_json(d->kernel_initializer());
        c["bias_initializer"] = initializer_json(d->bias_initializer());
        for (const char* k : {"kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint",
                              "quantization_config"})
            c[k] = nullptr;
    } else if (const auto* dr = dynamic_cast<const layers::Dropout*>(&l)) {
        c = base_layer_config(l, float32);
        c["rate"] = dr->rate();
        if (dr->seed())
            c["seed"] = *dr->seed();
        else
            c["seed"] = nullptr;
        c["noise_shape"] = nullptr;
    } else if (dynamic_cast<const layers::Flatten*>(&l)) {
        c = base_layer_config(l, float32);
        c["data_format"] = "channels_last";
    } else if (const auto* a = dynamic_cast<const layers::Activation*>(&l)) {
        c = base_layer_config(l, float32);
        c["activation"] = std::string(ops::name(a->activation()));
    } else if (const auto* in = dynamic_cast<const layers::InputLayer*>(&l)) {
        Shape batch{-1};
        batch.insert(batch.end(), in->shape().begin(), in->shape().end());
        c["batch_shape"] = shape_json(batch);
        c["dtype"] = "float32";
        c["sparse"] = false;
        c["ragged"] = false;
        c["name"] = l.name();
        c["optional"] = false;
        return keras_object("keras.layers", cls, std::move(c));
    } else {
        throw ValueError("save: layer '" + l.name() + "' of class " + cls + " cannot be saved");
    }
    Json o = keras_object("keras.layers", cls, std::move(c));
    // Keras records the input shape of layers that build weights (and Flatten).
    if (l.built() && (cls == "Dense" || cls == "Flatten" || cls == "Conv2D" || cls == "BatchNormalization"))
        o["build_config"] = {{"input_shape", shape_json(l.input_shape())}};
    return o;
}

Json optimizer_json(const optimizers::Optimizer& opt) {
    Json c;
    c["name"] = snake_case(opt.name());
    // Keras stores the rate as a float32 variable and writes float(var).
    c["learning_rate"] = static_cast<double>(static_cast<float>(opt.learning_rate()));
    const auto& common = opt.common_options();
    auto opt_json = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
    c["weight_decay"] = opt_json(common.weight_decay);
    c["clipnorm"] = opt_json(common.clipnorm);
    c["global_clipnorm"] = opt_json(common.global_clipnorm);
    c["clipvalue"] = opt_json(common.clipvalue);
    c["use_ema"] = false;
    c["ema_momentum"] = 0.99;
    c["ema_overwrite_frequency"] = nullptr;
    c["loss_scale_factor"] = nullptr;
    c["gradient_accumulation_steps"] = nullptr;
    if (const auto* o = dynamic_cast<const optimizers::SGD*>(&opt)) {
        c["momentum"] = o->options().momentum;
        c["nesterov"] = o->options().nesterov;
    } else if (const auto* o = dynamic_cast<const optimizers::RMSprop*>(&opt)) {
        c["rho"] = o->options().rho;
        c["momentum"] = o->options().momentum;
        c["epsilon"] = o->options().epsilon;
        c["centered"] = o->options().centered;
    } else if (const auto* o = dynamic_cast<const optimizers::Adagrad*>(&opt)) {
        c["initial_accumulator_value"] = o->options().initial_accumulator_value;
        c["epsilon"] = o->options().epsilon;
    } else if (const auto* o = dynamic_cast<const optimizers::Adam*>(&opt)) {
        c["beta_1"] = o->options().beta_1;
        c["beta_2"] = o->options().beta_2;
        c["epsilon"] = o->options().epsilon;
        c["amsgrad"] = o->options().amsgrad;
    } else {
        throw ValueError("save: optimizer " + opt.name() + " cannot be saved");
    }
    return keras_object("keras.optimizers", opt.name(), std::move(c));
}

template <typename L>
std::optional<bool> logits_of(const losses::Loss& loss) {
    if (const auto* l = dynamic_cast<const L*>(&loss)) return l->from_logits();
    return std::nullopt;
}

Json loss_json(const losses::Loss& loss) {
    std::optional<bool> logits = logits_of<losses::CategoricalCrossentropy>(loss);
    if (!logits) logits = logits_of<losses::SparseCategoricalCrossentropy>(loss);
    if (!logits) logits = logits_of<losses::BinaryCrossentropy>(loss);
    if (!logits || !*logits) return loss.name();  // as compile(loss="name") records it
    Json c;
    c["name"] = loss.name();
    c["reduction"] = "sum_over_batch_size";
    c["from_logits"] = true;
    if (loss.name() == "sparse_categorical_crossentropy") {
        c["ignore_class"] = nullptr;
    } else {
        c["label_smoothing"] = 0.0;
        c["axis"] = -1;
    }
    return keras_object("keras.losses", camel_case(loss.name()), std::move(c));
}

}  // namespace

Json model_config(const models::Sequential& model) {
    Json c;
    c["name"] = model.name();
    c["trainable"] = true;
    c["dtype"] = dtype_policy(float32);
    Json layers = Json::array();
    const auto& ls = model.layers();
    // Keras's Sequential always starts with its InputLayer once built.
    if (model.built() && (ls.empty() || ls.front()->class_name() != "InputLayer")) {
        Json in;
        in["batch_shape"] = shape_json(model.input_shape());
        in["dtype"] = "float32";
        in["sparse"] = false;
        in["ragged"] = false;
        in["name"] = "input_layer";
        in["optional"] = false;
        layers.push_back(keras_object("keras.layers", "InputLayer", std::move(in)));
    }
    for (const auto& l : ls) layers.push_back(layer_json(*l));
    c["layers"] = std::move(layers);
    if (model.built()) c["build_input_shape"] = shape_json(model.input_shape());
    Json o = keras_object("keras", "Sequential", std::move(c));
    if (model.built()) o["build_config"] = {{"input_shape", shape_json(model.input_shape())}};
    if (model.compiled()) {
        auto& m = const_cast<models::Sequential&>(model);  // optimizer() is the ModelHandle accessor
        Json cc;
        cc["optimizer"] = optimizer_json(*m.optimizer());
        cc["loss"] = loss_json(*model.loss());
        cc["loss_weights"] = nullptr;
        Json metrics = Json::array();
        for (const auto& metric : model.metrics()) metrics.push_back(metric->name());
        cc["metrics"] = std::move(metrics);
        cc["weighted_metrics"] = nullptr;
        cc["run_eagerly"] = false;
        cc["steps_per_execution"] = 1;
        cc["jit_compile"] = true;
        o["compile_config"] = std::move(cc);
    }
    return o;
}

// --- reading ---

namespace {

const char* const kLayers =
    "Dense, Dropout, Flatten, Activation, InputLayer, Conv2D, MaxPooling2D, AveragePooling2D, "
    "GlobalAveragePooling2D, BatchNormalization, Reshape";

struct Cfg {
    const Json& j;
    const std::string& ctx;
    std::string where;

    [[noreturn]] void fail(const std::string& what) const { throw IOError(ctx + ": " + where + ": " + what); }
    bool has(const char* k) const { return j.is_object() && j.contains(k) && !j.at(k).is_null(); }
    const Json& at(const char* k) const {
        if (!j.is_object() || !j.contains(k)) fail(std::string("missing key '") + k + "'");
        return j.at(k);
    }
    std::string str(const char* k) const {
        const Json& v = at(k);
        if (!v.is_string()) fail(std::string("'") + k + "' is not a string");
        return v.get<std::string>();
    }
    std::string str_or(const char* k, std::string d) const { return has(k) ? str(k) : d; }
    double num(const char* k) const {
        const Json& v = at(k);
        if (!v.is_number()) fail(std::string("'") + k + "' is not a number");
        return v.get<double>();
    }
    double num_or(const char* k, double d) const { return has(k) ? num(k) : d; }
    bool flag_or(const char* k, bool d) const {
        if (!has(k)) return d;
        if (!at(k).is_boolean()) fail(std::string("'") + k + "' is not true/false");
        return at(k).get<bool>();
    }
    std::optional<double> opt_num(const char* k) const { return has(k) ? std::optional<double>(num(k)) : std::nullopt; }
    void require_null(const char* k, const char* what) const {
        if (has(k))
            throw ValueError(ctx + ": " + where + ": " + k + " is set, but nabla has no " + what +
                             "; remove it in Keras before saving");
    }
};

Shape shape_from(const Cfg& c, const Json& v, const char* what) {
    if (!v.is_array() || v.size() > 16) c.fail(std::string(what) + " is not a shape list");
    Shape s;
    for (const Json& d : v) {
        if (d.is_null())
            s.push_back(layers::kUnknown);
        else if (d.is_number_integer() && d.get<std::int64_t>() >= 0 && d.get<std::int64_t>() < (std::int64_t(1) << 40))
            s.push_back(d.get<std::int64_t>());
        else
            c.fail(std::string(what) + " has a bad dimension " + d.dump());
    }
    return s;
}

DType dtype_from(const Cfg& c) {
    if (!c.has("dtype")) return float32;
    const Json& d = c.at("dtype");
    std::string n;
    if (d.is_string())
        n = d.get<std::string>();
    else if (d.is_object() && d.contains("config") && d["config"].is_object() && d["config"].contains("name") &&
             d["config"]["name"].is_string())
        n = d["config"]["name"].get<std::string>();
    else
        c.fail("'dtype' is neither a name nor a DTypePolicy");
    if (n == "float32") return float32;
    if (n == "float64") return float64;
    throw ValueError(c.ctx + ": " + c.where + ": dtype policy '" + n + "' is not supported (nabla: float32, float64)");
}

initializers::Initializer initializer_from(const Cfg& parent, const char* key, const char* fallback) {
    if (!parent.has(key)) return initializers::Initializer(fallback);
    const Json& v = parent.at(key);
    if (v.is_string()) return initializers::Initializer(v.get<std::string>());
    Cfg c{v, parent.ctx, parent.where + " " + key};
    const std::string n = snake_case(c.str("class_name"));
    static const Json empty = Json::object();
    const Cfg a{c.has("config") ? c.at("config") : empty, parent.ctx, c.where};
    if (n == "constant") return initializers::constant(a.num_or("value", 0.0));
    if (n == "random_normal") return initializers::random_normal(a.num_or("mean", 0.0), a.num_or("stddev", 0.05));
    if (n == "random_uniform") return initializers::random_uniform(a.num_or("minval", -0.05), a.num_or("maxval", 0.05));
    if (n == "truncated_normal") return initializers::truncated_normal(a.num_or("mean", 0.0), a.num_or("stddev", 0.05));
    try {
        return initializers::Initializer(n);  // zeros, ones, glorot_uniform, he_normal, ...
    } catch (const ValueError& e) {
        throw ValueError(parent.ctx + ": " + parent.where + ": unknown initializer class '" + c.str("class_name") +
                         "' (" + e.what() + ")");
    }
}

ops::Activation activation_from(const Cfg& c) {
    const Json& v = c.at("activation");
    if (!v.is_string()) throw ValueError(c.ctx + ": " + c.where + ": activation " + v.dump().substr(0, 80) + " is not supported");
    try {
        return ops::activation_from_name(v.get<std::string>());
    } catch (const ValueError& e) {
        throw ValueError(c.ctx + ": " + c.where + ": " + e.what());
    }
}

// [3, 3] or 3, as Keras accepts both.
ops::Size2 pair_from(const Cfg& c, const char* key, ops::Size2 fallback) {
    if (!c.has(key)) return fallback;
    const Json& v = c.at(key);
    const auto dim = [&](const Json& d) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > (1 << 20))
            c.fail(std::string("'") + key + "' has a bad value " + v.dump());
        return d.get<std::int64_t>();
    };
    if (v.is_array() && v.size() == 2) return {dim(v[0]), dim(v[1])};
    if (v.is_number_integer()) return dim(v);
    c.fail(std::string("'") + key + "' is not a pair of integers");
}

void require_channels_last(const Cfg& c) {
    if (c.str_or("data_format", "channels_last") != "channels_last")
        throw ValueError(c.ctx + ": " + c.where + ": only data_format 'channels_last' is supported");
}

std::string padding_from(const Cfg& c) {
    const std::string p = c.str_or("padding", "valid");
    if (p != "valid" && p != "same")
        throw ValueError(c.ctx + ": " + c.where + ": padding '" + p + "' is not supported (valid, same)");
    return p;
}

std::shared_ptr<layers::Layer> conv2d_from(const Cfg& c, const std::string& name) {
    require_channels_last(c);
    const double filters = c.num("filters");
    if (filters < 1 || filters > 1e7 || filters != static_cast<double>(static_cast<std::int64_t>(filters)))
        c.fail("'filters' must be a positive integer");
    if (c.has("groups") && c.num("groups") != 1) throw ValueError(c.ctx + ": " + c.where + ": groups != 1 is not supported");
    for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer"}) c.require_null(k, "regularizers");
    for (const char* k : {"kernel_constraint", "bias_constraint"}) c.require_null(k, "constraints");
    c.require_null("lora_rank", "LoRA");
    if (!c.has("kernel_size")) c.fail("missing key 'kernel_size'");
    layers::Conv2DOptions o;
    o.strides = pair_from(c, "strides", 1);
    o.padding = padding_from(c);
    o.dilation_rate = pair_from(c, "dilation_rate", 1);
    o.activation = std::string(ops::name(c.has("activation") ? activation_from(c) : ops::Activation::Linear));
    o.use_bias = c.flag_or("use_bias", true);
    o.kernel_initializer = initializer_from(c, "kernel_initializer", "glorot_uniform");
    o.bias_initializer = initializer_from(c, "bias_initializer", "zeros");
    o.dtype = dtype_from(c);
    o.name = name;
    return std::make_shared<layers::Conv2D>(static_cast<std::int64_t>(filters), pair_from(c, "kernel_size", 1), std::move(o));
}

std::shared_ptr<layers::Layer> batch_norm_from(const Cfg& c, const std::string& name) {
    const Json& axis = c.has("axis") ? c.at("axis") : Json(-1);
    if (!(axis == Json(-1) || axis == Json::array({-1})))
        throw ValueError(c.ctx + ": " + c.where + ": axis " + axis.dump() +
                         " is not supported; nabla normalises the last axis (-1)");
    if (c.flag_or("synchronized", false) || c.flag_or("renorm", false))
        throw ValueError(c.ctx + ": " + c.where + ": synchronized and renorm batch normalisation are not supported");
    for (const char* k : {"beta_regularizer", "gamma_regularizer"}) c.require_null(k, "regularizers");
    for (const char* k : {"beta_constraint", "gamma_constraint"}) c.require_null(k, "constraints");
    dtype_from(c);
    layers::BatchNormalizationOptions o;
    o.momentum = c.num_or("momentum", 0.99);
    o.epsilon = c.num_or("epsilon", 1e-3);
    o.center = c.flag_or("center", true);
    o.scale = c.flag_or("scale", true);
    o.beta_initializer = initializer_from(c, "beta_initializer", "zeros");
    o.gamma_initializer = initializer_from(c, "gamma_initializer", "ones");
    o.moving_mean_initializer = initializer_from(c, "moving_mean_initializer", "zeros");
    o.moving_variance_initializer = initializer_from(c, "moving_variance_initializer", "ones");
    o.name = name;
    return std::make_shared<layers::BatchNormalization>(std::move(o));
}

std::shared_ptr<layers::Layer> reshape_from(const Cfg& c, const std::string& name) {
    const Json& t = c.at("target_shape");
    if (!t.is_array() || t.empty() || t.size() > 16) c.fail("'target_shape' is not a shape list");
    Shape target;
    for (const Json& d : t) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < -1 || d.get<std::int64_t>() == 0 ||
            d.get<std::int64_t>() > (std::int64_t(1) << 40))
            c.fail("'target_shape' has a bad dimension " + d.dump());
        target.push_back(d.get<std::int64_t>());
    }
    return std::make_shared<layers::Reshape>(target, layers::ReshapeOptions{{}, name});
}

// The image layers; nullptr for any other class.
std::shared_ptr<layers::Layer> image_layer_from(const std::string& cls, const Cfg& c, const std::string& name) {
    if (cls == "Conv2D") return conv2d_from(c, name);
    if (cls == "BatchNormalization") return batch_norm_from(c, name);
    if (cls == "Reshape") return reshape_from(c, name);
    if (cls == "MaxPooling2D" || cls == "AveragePooling2D") {
        require_channels_last(c);
        const ops::Size2 pool = pair_from(c, "pool_size", 2);
        layers::Pooling2DOptions o{pair_from(c, "strides", pool), padding_from(c), {}, name};
        if (cls == "MaxPooling2D") return std::make_shared<layers::MaxPooling2D>(pool, std::move(o));
        return std::make_shared<layers::AveragePooling2D>(pool, std::move(o));
    }
    if (cls == "GlobalAveragePooling2D") {
        require_channels_last(c);
        return std::make_shared<layers::GlobalAveragePooling2D>(
            layers::GlobalPooling2DOptions{c.flag_or("keepdims", false), {}, name});
    }
    return nullptr;
}

layers::LayerHandle layer_from(const Json& j, const std::string& ctx, std::size_t index) {
    Cfg o{j, ctx, "layer " + std::to_string(index)};
    const std::string cls = o.str("class_name");
    static const Json empty = Json::object();
    const Json& cj = o.has("config") ? o.at("config") : empty;
    if (!cj.is_object()) o.fail("'config' is not an object");
    Cfg c{cj, ctx, "layer " + std::to_string(index) + " (" + cls + ")"};
    const std::string name = c.str_or("name", "");
    c.where = "layer '" + name + "' (" + cls + ")";
    std::shared_ptr<layers::Layer> layer = image_layer_from(cls, c, name);
    if (layer) {
        // built above
    } else if (cls == "Dense") {
        const double units = c.num("units");
        if (units < 1 || units > 1e9 || units != static_cast<double>(static_cast<std::int64_t>(units)))
            c.fail("'units' must be a positive integer");
        for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer"}) c.require_null(k, "regularizers");
        for (const char* k : {"kernel_constraint", "bias_constraint"}) c.require_null(k, "constraints");
        c.require_null("quantization_config", "quantization");
        if (c.has("lora_rank")) c.require_null("lora_rank", "LoRA");
        layers::DenseOptions opts;
        opts.use_bias = c.flag_or("use_bias", true);
        opts.kernel_initializer = initializer_from(c, "kernel_initializer", "glorot_uniform");
        opts.bias_initializer = initializer_from(c, "bias_initializer", "zeros");
        opts.dtype = dtype_from(c);
        opts.name = name;
        ops::Activation act = c.has("activation") ? activation_from(c) : ops::Activation::Linear;
        layer = std::make_shared<layers::Dense>(static_cast<std::int64_t>(units), act, std::move(opts));
    } else if (cls == "Dropout") {
        c.require_null("noise_shape", "Dropout noise_shape");
        layers::DropoutOptions opts;
        if (c.has("seed")) {
            if (!c.at("seed").is_number_integer()) c.fail("'seed' is not an integer");
            opts.seed = c.at("seed").get<std::uint64_t>();
        }
        opts.name = name;
        layer = std::make_shared<layers::Dropout>(c.num("rate"), opts);
    } else if (cls == "Flatten") {
        if (c.str_or("data_format", "channels_last") != "channels_last")
            throw ValueError(ctx + ": " + c.where + ": only data_format 'channels_last' is supported");
        layers::FlattenOptions opts;
        opts.name = name;
        layer = std::make_shared<layers::Flatten>(opts);
    } else if (cls == "Activation") {
        layer = std::make_shared<layers::Activation>(activation_from(c), name);
    } else if (cls == "InputLayer") {
        const char* key = c.has("batch_shape") ? "batch_shape" : "batch_input_shape";
        Shape s = shape_from(c, c.at(key), key);
        if (s.empty()) c.fail("the input shape has no batch axis");
        s.erase(s.begin());
        for (std::int64_t d : s)
            if (d < 0) throw ValueError(ctx + ": " + c.where + ": unknown sample dimensions are not supported");
        dtype_from(c);
        if (c.flag_or("sparse", false) || c.flag_or("ragged", false))
            throw ValueError(ctx + ": " + c.where + ": sparse and ragged inputs are not supported");
        layer = std::make_shared<layers::InputLayer>(s, name);
    } else {
        throw ValueError(ctx + ": unknown layer class '" + cls + "'; supported: " + kLayers);
    }
    if (!c.flag_or("trainable", true)) layer->set_trainable(false);
    return layer;
}

std::shared_ptr<optimizers::Optimizer> optimizer_from(const Json& j, const std::string& ctx) {
    if (j.is_string()) return optimizers::get(j.get<std::string>());
    Cfg o{j, ctx, "compile_config optimizer"};
    const std::string cls = o.str("class_name");
    static const Json empty = Json::object();
    Cfg c{o.has("config") ? o.at("config") : empty, ctx, "optimizer " + cls};
    if (c.has("learning_rate") && !c.at("learning_rate").is_number())
        throw ValueError(ctx + ": " + c.where + ": a learning-rate schedule is not supported; nabla reads constant rates");
    if (c.flag_or("use_ema", false)) throw ValueError(ctx + ": " + c.where + ": use_ema is not supported");
    c.require_null("gradient_accumulation_steps", "gradient accumulation");
    c.require_null("loss_scale_factor", "loss scaling");
    const std::optional<double> wd = c.opt_num("weight_decay"), cn = c.opt_num("clipnorm"),
                                cv = c.opt_num("clipvalue"), gcn = c.opt_num("global_clipnorm");
    if (cls == "SGD")
        return std::make_shared<optimizers::SGD>(optimizers::SGDOptions{c.num_or("learning_rate", 0.01), c.num_or("momentum", 0.0),
                                                                        c.flag_or("nesterov", false), wd, cn, cv, gcn});
    if (cls == "RMSprop")
        return std::make_shared<optimizers::RMSprop>(optimizers::RMSpropOptions{
            c.num_or("learning_rate", 0.001), c.num_or("rho", 0.9), c.num_or("momentum", 0.0), c.num_or("epsilon", 1e-7),
            c.flag_or("centered", false), wd, cn, cv, gcn});
    if (cls == "Adagrad")
        return std::make_shared<optimizers::Adagrad>(optimizers::AdagradOptions{
            c.num_or("learning_rate", 0.001), c.num_or("initial_accumulator_value", 0.1), c.num_or("epsilon", 1e-7), wd, cn,
            cv, gcn});
    if (cls == "Adam")
        return std::make_shared<optimizers::Adam>(optimizers::AdamOptions{
            c.num_or("learning_rate", 0.001), c.num_or("beta_1", 0.9), c.num_or("beta_2", 0.999), c.num_or("epsilon", 1e-7),
            c.flag_or("amsgrad", false), wd, cn, cv, gcn});
    throw ValueError(ctx + ": unknown optimizer class '" + cls + "'; supported: SGD, RMSprop, Adagrad, Adam");
}

std::shared_ptr<losses::Loss> loss_from(const Json& j, const std::string& ctx) {
    if (j.is_string()) return losses::get(j.get<std::string>());
    Cfg o{j, ctx, "compile_config loss"};
    if (o.has("config") && o.at("config").is_string()) return losses::get(o.at("config").get<std::string>());  // builtins function
    const std::string cls = o.str("class_name");
    static const Json empty = Json::object();
    Cfg c{o.has("config") ? o.at("config") : empty, ctx, "loss " + cls};
    const bool logits = c.flag_or("from_logits", false);
    if (c.num_or("label_smoothing", 0.0) != 0.0) throw ValueError(ctx + ": " + c.where + ": label_smoothing is not supported");
    if (cls == "CategoricalCrossentropy") return std::make_shared<losses::CategoricalCrossentropy>(logits);
    if (cls == "SparseCategoricalCrossentropy") {
        c.require_null("ignore_class", "ignore_class");
        return std::make_shared<losses::SparseCategoricalCrossentropy>(logits);
    }
    if (cls == "BinaryCrossentropy") return std::make_shared<losses::BinaryCrossentropy>(logits);
    if (cls == "MeanSquaredError") return std::make_shared<losses::MeanSquaredError>();
    throw ValueError(ctx + ": unknown loss class '" + cls +
                     "'; supported: CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy, "
                     "MeanSquaredError");
}

void metrics_from(const Json& j, const std::string& ctx, std::vector<std::shared_ptr<metrics::Metric>>& out) {
    if (j.is_null()) return;
    if (j.is_string()) {
        out.push_back(metrics::get(j.get<std::string>()));
    } else if (j.is_array()) {
        for (const Json& m : j) metrics_from(m, ctx, out);
    } else if (j.is_object()) {
        Cfg o{j, ctx, "compile_config metric"};
        if (o.has("config") && o.at("config").is_object() && o.at("config").contains("name") &&
            o.at("config")["name"].is_string()) {
            try {
                out.push_back(metrics::get(o.at("config")["name"].get<std::string>()));
                return;
            } catch (const ValueError&) {
            }
        }
        out.push_back(metrics::get(snake_case(o.str("class_name"))));
    } else {
        throw IOError(ctx + ": compile_config metrics: " + j.dump().substr(0, 80) + " is not a metric");
    }
}

}  // namespace

models::Sequential model_from_config(const Json& j, const std::string& ctx) {
    Cfg top{j, ctx, "config.json"};
    const std::string cls = top.str("class_name");
    if (cls != "Sequential")
        throw ValueError(ctx + ": the model class is '" + cls + "'; nabla loads Sequential models only");
    Cfg c{top.at("config"), ctx, "Sequential config"};
    const Json& layers = c.at("layers");
    if (!layers.is_array()) c.fail("'layers' is not a list");
    models::Sequential model(c.str_or("name", ""));
    for (std::size_t i = 0; i < layers.size(); ++i) model.add(layer_from(layers[i], ctx, i));
    if (!model.built() && !model.layers().empty()) {
        std::optional<Shape> shape;
        if (c.has("build_input_shape"))
            shape = shape_from(c, c.at("build_input_shape"), "build_input_shape");
        else if (top.has("build_config") && top.at("build_config").is_object() &&
                 top.at("build_config").contains("input_shape"))
            shape = shape_from(top, top.at("build_config")["input_shape"], "build_config input_shape");
        if (shape && !shape->empty()) model.build(*shape);
    }
    return model;
}

std::optional<CompileState> compile_from_config(const Json& j, const std::string& ctx) {
    Cfg top{j, ctx, "config.json"};
    if (!top.has("compile_config")) return std::nullopt;
    Cfg c{top.at("compile_config"), ctx, "compile_config"};
    if (!c.has("optimizer") || !c.has("loss")) return std::nullopt;
    CompileState st;
    st.optimizer = optimizer_from(c.at("optimizer"), ctx);
    st.loss = loss_from(c.at("loss"), ctx);
    if (c.has("metrics")) metrics_from(c.at("metrics"), ctx, st.metrics);
    return st;
}

Json parse_json(std::string_view text, const std::string& context) {
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
        throw IOError(context + ": malformed JSON: " + e.what());
    }
}

}  // namespace nabla::saving::detail
