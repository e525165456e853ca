// The serving path of predict (inference.hpp): per-thread plans and
// buffers, and a one-row kernel that stays on the calling thread.
#include "inference.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/layers/activation.hpp"
#include "nabla/layers/dense.hpp"
#include "nabla/layers/dropout.hpp"
#include "nabla/layers/flatten.hpp"
#include "nabla/layers/input_layer.hpp"
#include "nabla/models/sequential.hpp"
#include "ops/dense_kernels.hpp"
#include "ops/kernels/float_kernels.hpp"

namespace nabla::models::detail {

namespace {

using ops::Activation;

// A Dense (weights) or an Activation layer (weights null); Flatten,
// Dropout and InputLayer change nothing in a contiguous row-major buffer.
struct Stage {
    const float* kernel = nullptr;
    const float* bias = nullptr;
    std::int64_t in = 0, units = 0;
    Activation activation = Activation::Linear;
};

struct Plan {
    const Sequential* model = nullptr;
    bool supported = false;
    std::vector<const layers::Layer*> layers;  // what the plan was made from
    std::vector<std::uint64_t> weight_ids;
    std::vector<Stage> stages;
    std::int64_t last_dense = -1;  // index in stages
    std::int64_t widest = 0;       // the largest row, in floats
    std::vector<float> buffers[2];
};

// One plan per thread: a serving thread usually serves one model; another
// model (or a changed one) is planned again, which allocates once.
thread_local Plan plan;

const layers::Dense* as_dense(const layers::Layer* l) { return dynamic_cast<const layers::Dense*>(l); }

bool plan_is_current(const Sequential& model) {
    if (plan.model != &model) return false;
    const auto& layers = model.layers();
    if (layers.size() != plan.layers.size()) return false;
    std::size_t w = 0;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (layers[i].get() != plan.layers[i]) return false;
        if (const auto* d = as_dense(layers[i].get())) {
            if (w >= plan.weight_ids.size() || d->kernel().value().id() != plan.weight_ids[w++]) return false;
            if (d->use_bias() && (w >= plan.weight_ids.size() || d->bias().value().id() != plan.weight_ids[w++]))
                return false;
        }
    }
    return true;
}

bool usable(const Tensor& t) { return t.dtype() == float32 && t.is_contiguous(); }

// Fills `plan` for `model`; supported = false for a layer it cannot run.
void make_plan(const Sequential& model) {
    plan.model = &model;
    plan.supported = false;
    plan.layers.clear();
    plan.weight_ids.clear();
    plan.stages.clear();
    plan.last_dense = -1;
    const Shape& input = model.input_shape();
    std::int64_t width = 1;
    for (std::size_t i = 1; i < input.size(); ++i) width *= input[i];
    plan.widest = width;
    bool ok = true;
    for (const auto& l : model.layers()) {
        plan.layers.push_back(l.get());
        if (const auto* d = as_dense(l.get())) {
            const Tensor& k = d->kernel().value();
            plan.weight_ids.push_back(k.id());
            ok = ok && usable(k);
            Stage s{.kernel = k.data<float>(), .in = k.shape(0), .units = d->units(), .activation = d->activation()};
            if (d->use_bias()) {
                const Tensor& b = d->bias().value();
                plan.weight_ids.push_back(b.id());
                ok = ok && usable(b);
                s.bias = b.data<float>();
            }
            ok = ok && s.in == width;
            width = s.units;
            plan.last_dense = static_cast<std::int64_t>(plan.stages.size());
            plan.stages.push_back(s);
        } else if (const auto* a = dynamic_cast<const layers::Activation*>(l.get())) {
            plan.stages.push_back({.in = width, .units = width, .activation = a->activation()});
        } else {
            ok = ok && (dynamic_cast<const layers::Flatten*>(l.get()) || dynamic_cast<const layers::Dropout*>(l.get()) ||
                        dynamic_cast<const layers::InputLayer*>(l.get()));
        }
        plan.widest = std::max(plan.widest, width);
    }
    plan.supported = ok;
}

float* scratch(int which, std::int64_t floats) {
    std::vector<float>& b = plan.buffers[which];
    if (static_cast<std::int64_t>(b.size()) < floats) b.resize(static_cast<std::size_t>(floats));
    return b.data();
}

}  // namespace

bool infer(const Sequential& model, const float* x, std::int64_t rows, float* out) {
    if (!model.built()) return false;
    if (!plan_is_current(model)) make_plan(model);
    if (!plan.supported) return false;
    const float* cur = x;
    std::int64_t width = plan.stages.empty() ? plan.widest : plan.stages.front().in;
    int next = 0;  // the scratch buffer the next stage may write
    const auto destination = [&](std::int64_t i) {
        if (i >= plan.last_dense) return out;  // from the last Dense on, work in `out`
        float* d = scratch(next, rows * plan.widest);
        next ^= 1;
        return d;
    };
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(plan.stages.size()); ++i) {
        const Stage& s = plan.stages[static_cast<std::size_t>(i)];
        float* dst;
        if (s.kernel) {
            dst = destination(i);
            if (rows == 1) nabla::detail::kernels::float_kernels().matvec(cur, s.kernel, s.in, s.units, dst);
            else nabla::detail::dense::product(false, false, rows, s.units, s.in, cur, s.kernel, dst);
        } else if (cur == x) {  // an Activation before any Dense: never write the input
            dst = destination(i);
            std::memcpy(dst, cur, static_cast<std::size_t>(rows * width) * sizeof(float));
        } else {
            dst = const_cast<float*>(cur);  // a buffer of ours (or out)
        }
        nabla::detail::dense::bias_activation(dst, s.bias, rows, s.units, s.activation);
        cur = dst;
        width = s.units;
    }
    if (cur != out) std::memcpy(out, cur, static_cast<std::size_t>(rows * width) * sizeof(float));
    return true;
}

void check_predict_into(const Sequential& model, const Tensor& x, const Tensor& out) {
    const Shape& in_shape = model.input_shape();
    const Shape& out_shape = model.output_shape();
    const auto fits = [](const Tensor& t, const Shape& want, std::int64_t rows) {
        if (t.ndim() != static_cast<int>(want.size()) || t.shape(0) != rows) return false;
        for (std::size_t i = 1; i < want.size(); ++i)
            if (t.shape(static_cast<int>(i)) != want[i]) return false;
        return true;
    };
    const auto describe = [](const Tensor& t) {
        return std::string(nabla::name(t.dtype())) + " " + to_string(t.shape()) +
               (t.is_contiguous() ? "" : " (not contiguous)");
    };
    if (!x.defined() || !out.defined())
        throw ValueError("predict_into: " + std::string(x.defined() ? "out" : "x") + " is an undefined tensor");
    if (!usable(x) || !usable(out))
        throw DTypeError("predict_into: x and out must be contiguous float32 tensors; got x " + describe(x) +
                         " and out " + describe(out) + " (x.astype(float32) / out = Tensor::uninitialized(...))");
    if (x.ndim() < 1 || !fits(x, in_shape, x.shape(0)))
        throw ShapeError("predict_into: x of shape " + to_string(x.shape()) + " does not fit model '" + model.name() +
                         "', which takes " + layers::shape_string(in_shape));
    if (!fits(out, out_shape, x.shape(0))) {
        Shape want = out_shape;
        want[0] = x.shape(0);
        throw ShapeError("predict_into: out has shape " + to_string(out.shape()) + "; for x of shape " +
                         to_string(x.shape()) + " model '" + model.name() + "' writes " + to_string(want));
    }
}

}  // namespace nabla::models::detail
