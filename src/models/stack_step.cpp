#include "stack_step.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "nabla/layers/conv2d.hpp"
#include "nabla/layers/dense.hpp"
#include "nabla/layers/flatten.hpp"
#include "nabla/layers/input_layer.hpp"
#include "nabla/layers/pooling.hpp"
#include "nabla/layers/reshape.hpp"
#include "nabla/models/sequential.hpp"
#include "ops/conv_kernels.hpp"
#include "ops/conv_pool.hpp"
#include "ops/dense_kernels.hpp"
#include "ops/sparse_kernels.hpp"

namespace nabla::models::detail {

namespace {

using ops::Activation;
namespace kernels = nabla::detail::dense;

// Keras's backend epsilon: probabilities are clipped to [eps, 1 - eps] before
// the log, exactly as ops::categorical_crossentropy does on the tape.
constexpr float kEpsilon = 1e-7f;

namespace conv = nabla::detail::conv;

enum class Kind { Dense, Conv, MaxPool, AvgPool, Reshape };

// Marks the step's input where a stage index is expected.
constexpr std::size_t kInput = static_cast<std::size_t>(-1);

// One layer of the stack, as planned; sizes are per sample.
struct Stage {
    Kind kind = Kind::Reshape;
    const layers::Layer* layer = nullptr;
    const Variable* kernel = nullptr;  // Dense and Conv2D: the layer's own variables
    const Variable* bias = nullptr;    // null without a bias
    std::uint64_t kernel_id = 0, bias_id = 0;  // a replaced weight re-plans
    Activation activation = Activation::Linear;
    std::int64_t in = 0, out = 0;  // features per sample
    conv::Geometry window;         // Conv and pooling, for one sample
    // The stage whose buffer holds this stage's output: itself, except for a
    // Reshape (Flatten included), whose output is its input's memory.
    std::size_t producer = 0;

    const float* W() const { return kernel->value().data<float>(); }
    const float* b() const { return bias ? bias->value().data<float>() : nullptr; }
    conv::Geometry at(std::int64_t rows) const {
        conv::Geometry g = window;
        g.n = rows;
        return g;
    }
    bool same_weights() const {
        return kernel_id == (kernel ? kernel->value().id() : 0) && bias_id == (bias ? bias->value().id() : 0);
    }
};

std::int64_t features(const Shape& s) {
    std::int64_t n = 1;
    for (std::size_t i = 1; i < s.size(); ++i) n = s[i] < 0 ? -1 : (n < 0 ? -1 : n * s[i]);
    return n;
}

// Loss of one row and, with `grad`, d(loss)/d(logits) scaled by `scale`.
// Softmax output: the clipped-probability rule of the tape (Keras's
// categorical_crossentropy): with q = clip(p), dp_j = -t_j / q_j where p_j
// is inside the clip range (0 outside), and dz = p ⊙ (dp - Σ dp·p).
// Logits output: -Σ t·log_softmax(z) and dz = softmax(z)·Σt - t.
// `t` is the row's target distribution (one-hot rows are the common case).
struct RowLoss {
    bool from_logits;

    double operator()(const float* out, const float* t, std::int64_t n, float* grad, float scale, float* scratch) const {
        return from_logits ? logits(out, t, n, grad, scale, scratch) : probabilities(out, t, n, grad, scale);
    }

    static double probabilities(const float* p, const float* t, std::int64_t n, float* grad, float scale) {
        double loss = 0;
        float s = 0;
        for (std::int64_t j = 0; j < n; ++j) {
            const float q = std::min(std::max(p[j], kEpsilon), 1.0f - kEpsilon);
            loss -= double(t[j]) * std::log(double(q));
            const bool inside = p[j] >= kEpsilon && p[j] <= 1.0f - kEpsilon;
            const float dp = inside ? -t[j] / q : 0.0f;
            if (grad) grad[j] = dp;
            s += dp * p[j];
        }
        if (grad)
            for (std::int64_t j = 0; j < n; ++j) grad[j] = scale * p[j] * (grad[j] - s);
        return loss;
    }

    static double logits(const float* z, const float* t, std::int64_t n, float* grad, float scale, float* sm) {
        const float m = nabla::detail::nn::row_max(z, n);
        double sum = 0, tz = 0, tsum = 0;
        for (std::int64_t j = 0; j < n; ++j) {
            sm[j] = std::exp(z[j] - m);
            sum += sm[j];
            tz += double(t[j]) * (z[j] - m);
            tsum += t[j];
        }
        const double log_sum = std::log(sum);
        if (grad)
            for (std::int64_t j = 0; j < n; ++j)
                grad[j] = scale * (static_cast<float>(sm[j] / sum * tsum) - t[j]);
        return tsum * log_sum - tz;
    }
};

class StackStep final : public TrainStep {
public:
    StackStep(Sequential& model, const losses::Loss& loss, optimizers::Optimizer& optimizer,
              std::unique_ptr<TrainStep> fallback)
        : model_(model), optimizer_(optimizer), fallback_(std::move(fallback)) {
        if (auto* c = dynamic_cast<const losses::CategoricalCrossentropy*>(&loss)) {
            loss_kind_ = LossKind::one_hot;
            from_logits_ = c->from_logits();
        } else if (auto* s = dynamic_cast<const losses::SparseCategoricalCrossentropy*>(&loss)) {
            loss_kind_ = LossKind::class_ids;
            from_logits_ = s->from_logits();
        }
    }

    StepResult train(const Tensor& x, const Tensor& y) override {
        if (!ready(x, y)) return fallback_->train(x, y);
        StepResult r = forward_and_loss(x, y, /*with_gradient=*/true);
        if (!std::isfinite(r.loss)) {
            r.applied = false;  // the weights keep their values, as the tape step
            if (sync_) return apply_synced(*sync_, optimizer_, r, {}, false, x.shape(0));
            return r;
        }
        backward(x.data<float>(), x.shape(0));
        // Data-parallel fit: the gradients averaged over the ranks first.
        if (sync_) return apply_synced(*sync_, optimizer_, r, pairs_, true, x.shape(0));
        optimizer_.apply_gradients(pairs_);
        return r;
    }

    void set_sync(GradientSync* sync) override {
        TrainStep::set_sync(sync);
        fallback_->set_sync(sync);
    }

    StepResult test(const Tensor& x, const Tensor& y) override {
        if (!ready(x, y)) return fallback_->test(x, y);
        StepResult r = forward_and_loss(x, y, /*with_gradient=*/false);
        r.applied = false;
        return r;
    }

    // A fresh tensor: the caller (predict_on_batch) may keep it.
    Tensor predict(const Tensor& x) override {
        if (!ready(x, Tensor())) return fallback_->predict(x);
        const std::int64_t rows = x.shape(0);
        forward(x.data<float>(), rows);
        return output(rows).copy();
    }

private:
    enum class LossKind { other, one_hot, class_ids };

    // --- planning: is this a model and batch the fused step handles? ---

    bool ready(const Tensor& x, const Tensor& y) {
        if (loss_kind_ == LossKind::other || !model_.built() || !plan_current()) return false;
        if (x.dtype() != float32 || !x.is_contiguous() || !input_fits(x.shape()) || x.shape(0) < 1) return false;
        if (y.defined() && !targets_ok(y, x.shape(0))) return false;
        reserve(x.shape(0));
        return true;
    }

    // Compared by hand: a Shape temporary would allocate.
    bool input_fits(const Shape& s) const {
        if (s.size() != input_dims_.size() + 1) return false;
        for (std::size_t i = 0; i < input_dims_.size(); ++i)
            if (s[i + 1] != input_dims_[i]) return false;
        return true;
    }

    // Re-plans when the layers or their weights changed; false when the model
    // is not a stack the fused step handles.
    bool plan_current() {
        const auto& layers = model_.layers();
        bool same = layers.size() == stages_.size();
        for (std::size_t i = 0; same && i < layers.size(); ++i) {
            const Stage& s = stages_[i];
            same = layers[i].get() == s.layer && (!s.kernel || s.layer->trainable()) && s.same_weights();
        }
        if (same) return planned_ok_;
        planned_ok_ = plan(layers);
        return planned_ok_;
    }

    bool plan(const std::vector<std::shared_ptr<layers::Layer>>& layers) {
        conv_pool_.reset();
        conv_pool_stage_ = kInput;
        stages_.clear();
        vars_.clear();
        grads_.clear();
        pairs_.clear();
        capacity_ = 0;
        if (layers.empty() || !layers.front()->built()) return false;
        const Shape& in0 = layers.front()->input_shape();
        input_dims_.assign(in0.begin() + 1, in0.end());
        first_weighted_ = kInput;
        for (std::size_t i = 0; i < layers.size(); ++i) {
            Stage s;
            if (!plan_stage(*layers[i], i + 1 == layers.size(), s)) return false;
            s.producer = s.kind != Kind::Reshape ? i : (i == 0 ? kInput : stages_.back().producer);
            if (s.kernel && first_weighted_ == kInput) first_weighted_ = i;
            stages_.push_back(s);
        }
        plan_conv_pool();
        for (const Stage& s : stages_) {
            if (s.kernel) vars_.push_back(*s.kernel);
            if (s.bias) vars_.push_back(*s.bias);
        }
        for (const Variable& v : vars_) grads_.push_back(Tensor::uninitialized(v.shape(), float32));
        for (std::size_t i = 0; i < vars_.size(); ++i) pairs_.emplace_back(grads_[i], &vars_[i]);
        return true;
    }

    // One layer as a stage; false for a layer the fused step does not do.
    bool plan_stage(const layers::Layer& layer, bool last, Stage& s) const {
        if (!layer.built()) return false;
        const Shape& in = layer.input_shape();
        s.layer = &layer;
        s.in = features(in);
        s.out = features(layer.output_shape());
        if (s.in <= 0 || s.out <= 0) return false;
        if (auto* dense = dynamic_cast<const layers::Dense*>(&layer)) {
            if (in.size() != 2) return false;  // Dense on (batch, ..., features) acts per position
            s.kind = Kind::Dense;
            s.activation = dense->activation();
            if (!weighted(s, dense->trainable(), dense->kernel(), dense->use_bias() ? &dense->bias() : nullptr))
                return false;
        } else if (auto* c = dynamic_cast<const layers::Conv2D*>(&layer)) {
            if (last || in.size() != 4 || c->activation() == Activation::Softmax) return false;
            s.kind = Kind::Conv;
            s.activation = c->activation();
            if (!weighted(s, c->trainable(), c->kernel(), c->use_bias() ? &c->bias() : nullptr)) return false;
            const Shape& k = c->kernel().shape();
            s.window = image_geometry(in);
            s.window.kh = k[0], s.window.kw = k[1], s.window.o = k[3];
            conv::plan(s.window, c->strides(), c->padding(), c->dilation_rate(), "conv2d");
        } else if (auto* p = dynamic_cast<const layers::Pooling2D*>(&layer)) {
            if (last || in.size() != 4) return false;
            s.kind = dynamic_cast<const layers::MaxPooling2D*>(&layer) ? Kind::MaxPool : Kind::AvgPool;
            s.window = image_geometry(in);
            s.window.o = s.window.c;
            s.window.kh = p->pool_size().h, s.window.kw = p->pool_size().w;
            conv::plan(s.window, p->strides(), p->padding(), 1, "pooling");
        } else if (dynamic_cast<const layers::Flatten*>(&layer) || dynamic_cast<const layers::Reshape*>(&layer) ||
                   dynamic_cast<const layers::InputLayer*>(&layer)) {
            if (last) return false;
            s.kind = Kind::Reshape;  // the identity or a row-major view: the same memory
        } else {
            return false;
        }
        if (s.kind == Kind::Dense && s.activation == Activation::Softmax && !last) return false;
        if (last && (s.kind != Kind::Dense || s.activation != (from_logits_ ? Activation::Linear : Activation::Softmax)))
            return false;
        return true;
    }

    // A first layer with weights that is a small convolution under a max
    // pooling runs as one fused pass (ops/conv_pool.hpp): its full-size
    // output is never stored, and the pooling has no backward pass of its own.
    void plan_conv_pool() {
        const std::size_t f = first_weighted_;
        if (f == kInput || f + 1 >= stages_.size()) return;
        const Stage &c = stages_[f], &p = stages_[f + 1];
        const bool linear_or_relu = c.activation == Activation::Linear || c.activation == Activation::ReLU;
        if (c.kind != Kind::Conv || p.kind != Kind::MaxPool || !linear_or_relu) return;
        if (!conv::ConvPool::fits(c.window, p.window)) return;
        conv_pool_.emplace(c.window, p.window, c.activation == Activation::ReLU);
        conv_pool_stage_ = f;
    }

    static bool weighted(Stage& s, bool trainable, const Variable& kernel, const Variable* bias) {
        if (!trainable || kernel.dtype() != float32 || (bias && bias->dtype() != float32)) return false;
        s.kernel = &kernel;
        s.bias = bias;
        s.kernel_id = kernel.value().id();
        s.bias_id = bias ? bias->value().id() : 0;
        return true;
    }

    static conv::Geometry image_geometry(const Shape& in) {
        conv::Geometry g;
        g.n = 1, g.h = in[1], g.w = in[2], g.c = in[3];
        return g;
    }

    bool targets_ok(const Tensor& y, std::int64_t rows) {
        const std::int64_t classes = stages_.back().out;
        const Shape& s = y.shape();
        if (loss_kind_ == LossKind::one_hot)
            return y.dtype() == float32 && y.is_contiguous() && s.size() == 2 && s[0] == rows && s[1] == classes;
        const bool shape_ok = (s.size() == 1 || (s.size() == 2 && s[1] == 1)) && s[0] == rows;
        if (!shape_ok || !y.is_contiguous()) return false;
        class_ids_.resize(static_cast<std::size_t>(rows));
        switch (y.dtype()) {
            case uint8: return read_ids(y.data<std::uint8_t>(), rows, classes);
            case int32: return read_ids(y.data<std::int32_t>(), rows, classes);
            case int64: return read_ids(y.data<std::int64_t>(), rows, classes);
            default: return false;  // float labels and the like: the tape step handles them
        }
    }

    // False on a label outside [0, classes): the tape step raises the error.
    template <typename T>
    bool read_ids(const T* ids, std::int64_t rows, std::int64_t classes) {
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto v = static_cast<std::int64_t>(ids[r]);
            if (v < 0 || v >= classes) return false;
            class_ids_[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(v);
        }
        return true;
    }

    // Buffers for `rows` rows; they only ever grow. A Reshape has none.
    void reserve(std::int64_t rows) {
        if (rows <= capacity_) return;
        outputs_.assign(stages_.size(), Tensor());
        deltas_.assign(stages_.size(), Tensor());
        for (std::size_t i = 0; i < stages_.size(); ++i) {
            if (stages_[i].kind == Kind::Reshape || i == conv_pool_stage_) continue;  // a fused conv: no buffers
            outputs_[i] = Tensor::uninitialized({rows, stages_[i].out}, float32);
            if (i >= first_weighted_) deltas_[i] = Tensor::uninitialized({rows, stages_[i].out}, float32);
        }
        if (conv_pool_) conv_pool_->reserve(rows);
        const std::int64_t classes = stages_.back().out;
        targets_.assign(static_cast<std::size_t>(rows * classes), 0.0f);
        scratch_.assign(static_cast<std::size_t>(classes), 0.0f);
        capacity_ = rows;
        view_rows_ = -1;
    }

    // Stage i's input: the step's input or the output below it.
    const float* input_of(std::size_t i, const float* x) const {
        const std::size_t p = i == 0 ? kInput : stages_[i - 1].producer;
        return p == kInput ? x : outputs_[p].data<float>();
    }

    // --- the arithmetic ---

    StepResult forward_and_loss(const Tensor& x, const Tensor& y, bool with_gradient) {
        const std::int64_t rows = x.shape(0);
        forward(x.data<float>(), rows);
        StepResult r;
        r.loss = loss(y, rows, with_gradient);
        r.y_pred = output(rows);
        return r;
    }

    void forward(const float* x, std::int64_t rows) {
        for (std::size_t i = 0; i < stages_.size(); ++i) {
            const Stage& s = stages_[i];
            const float* a = input_of(i, x);
            if (i == conv_pool_stage_) {  // the convolution and the pooling above it
                conv_pool_->forward(rows, a, s.W(), s.b(), outputs_[++i].data<float>());
                continue;
            }
            float* z = s.kind == Kind::Reshape ? nullptr : outputs_[i].data<float>();
            switch (s.kind) {
                case Kind::Dense:
                    // s.W() is placed for the product: Variable storage comes from
                    // detail::copy_placed_for_product. A sparse enough input batch
                    // skips its zeros (ops/sparse_kernels.hpp).
                    if (i == 0 && first_input_.prepare(a, rows, s.in)) first_input_.forward(s.W(), s.out, z);
                    else kernels::product<float>(false, false, rows, s.out, s.in, a, s.W(), z);
                    kernels::bias_activation<float>(z, s.b(), rows, s.out, s.activation);
                    break;
                case Kind::Conv:  // oneDNN adds the bias, as conv2d on the tape
                    conv::conv_dnnl_forward(s.at(rows), a, s.W(), s.b(), z);
                    if (s.activation != Activation::Linear)
                        kernels::bias_activation<float>(z, nullptr, rows, s.out, s.activation);
                    break;
                case Kind::MaxPool: conv::max_pool_forward(s.at(rows), a, z); break;
                case Kind::AvgPool: conv::avg_pool_forward(s.at(rows), a, z); break;
                case Kind::Reshape: break;
            }
        }
    }

    // The batch's mean loss; with_gradient also writes d(loss)/d(logits) of
    // the last layer into its delta buffer.
    double loss(const Tensor& y, std::int64_t rows, bool with_gradient) {
        const std::int64_t n = stages_.back().out;
        const float* out = outputs_.back().data<float>();
        float* delta = with_gradient ? deltas_.back().data<float>() : nullptr;
        const float* t = targets(y, rows, n);
        const RowLoss row_loss{from_logits_};
        const float scale = 1.0f / static_cast<float>(rows);
        double total = 0;
        // Rows are few and short (batch × classes): one thread, a fixed order
        // of summation, so the loss does not depend on the thread count.
        for (std::int64_t r = 0; r < rows; ++r)
            total += row_loss(out + r * n, t + r * n, n, delta ? delta + r * n : nullptr, scale,
                              scratch_.data());
        return total / static_cast<double>(rows);
    }

    // The targets as rows of a distribution: y itself for one-hot labels,
    // one-hot rows built in a kept buffer for class ids.
    const float* targets(const Tensor& y, std::int64_t rows, std::int64_t n) {
        if (loss_kind_ == LossKind::one_hot) return y.data<float>();
        std::fill(targets_.begin(), targets_.begin() + rows * n, 0.0f);
        for (std::int64_t r = 0; r < rows; ++r) targets_[static_cast<std::size_t>(r * n + class_ids_[r])] = 1.0f;
        return targets_.data();
    }

    // deltas_[i]: d(loss)/d(stage i's pre-activation output). A Reshape's is
    // its producer's, written by the stage above it.
    void backward(const float* x, std::int64_t rows) {
        std::size_t g = grads_.size();
        for (std::size_t i = stages_.size(); i-- > 0;) {
            const Stage& s = stages_[i];
            if (s.kind == Kind::Reshape || (conv_pool_ && i == conv_pool_stage_ + 1)) continue;  // fused: see below
            // A fused convolution's weight gradient comes from the pooling's gradient.
            const float* delta = deltas_[i == conv_pool_stage_ ? i + 1 : i].data<float>();
            const float* input = input_of(i, x);
            weight_gradients(i, input, delta, rows, g);
            if (i == first_weighted_) break;  // nobody needs the gradients below it
            const std::size_t below = stages_[i - 1].producer;
            float* d = deltas_[below].data<float>();
            const Stage& producer = stages_[below];
            // Max pooling over a relu's output applies relu's derivative itself.
            const bool relu_folded = s.kind == Kind::MaxPool && producer.activation == Activation::ReLU;
            switch (s.kind) {
                case Kind::Dense: kernels::product<float>(false, true, rows, s.in, s.out, delta, s.W(), d); break;
                case Kind::Conv: conv::conv_dnnl_backward_data(s.at(rows), delta, s.W(), d); break;
                case Kind::MaxPool:
                    conv::max_pool_backward(s.at(rows), input, outputs_[i].data<float>(), delta, d, relu_folded);
                    break;
                case Kind::AvgPool: conv::avg_pool_backward(s.at(rows), delta, d); break;
                case Kind::Reshape: break;
            }
            if (producer.activation != Activation::Linear && !relu_folded) {
                const float* a = outputs_[below].data<float>();
                const kernels::ActivationGradRow grad_row{producer.activation};
                kernels::for_rows(rows, s.in, [&](std::int64_t r) {
                    grad_row(d + r * s.in, s.in, a + r * s.in, d + r * s.in);
                });
            }
        }
    }

    // Stage i's kernel (and bias) gradients into grads_, walking down from g.
    void weight_gradients(std::size_t i, const float* input, const float* delta, std::int64_t rows, std::size_t& g) {
        const Stage& s = stages_[i];
        if (!s.kernel) return;
        float* db = s.bias ? grads_[--g].data<float>() : nullptr;
        float* dW = grads_[--g].data<float>();
        if (i == conv_pool_stage_) {
            conv_pool_->backward_weights(rows, input, delta, dW, db);
            return;
        }
        if (s.kind == Kind::Conv) {
            conv::conv_dnnl_backward_weights(s.at(rows), input, delta, dW, db);
            return;
        }
        if (db) kernels::column_sums<float>(delta, rows, s.out, db);
        if (i == 0 && first_input_.active()) first_input_.weight_gradient(delta, s.out, dW);
        else kernels::product<float>(true, false, s.in, s.out, rows, input, delta, dW);
    }

    // The last layer's output for `rows` rows (a view kept for reuse).
    Tensor output(std::int64_t rows) {
        if (rows == capacity_) return outputs_.back();
        if (rows != view_rows_) {
            output_view_ = outputs_.back()(Slice(0, rows));
            view_rows_ = rows;
        }
        return output_view_;
    }

    Sequential& model_;
    optimizers::Optimizer& optimizer_;
    std::unique_ptr<TrainStep> fallback_;
    LossKind loss_kind_ = LossKind::other;
    bool from_logits_ = false;

    std::vector<Stage> stages_;
    Shape input_dims_;                    // the model's input shape without the batch axis
    std::size_t first_weighted_ = kInput;  // the first stage with weights
    std::optional<nabla::detail::conv::ConvPool> conv_pool_;  // the first conv and its pooling, fused
    std::size_t conv_pool_stage_ = kInput;                     // that conv's stage; the pooling's is next
    bool planned_ok_ = false;
    std::vector<Variable> vars_;
    std::vector<Tensor> grads_;
    std::vector<optimizers::GradientAndVariable> pairs_;

    std::int64_t capacity_ = 0, view_rows_ = -1;
    std::vector<Tensor> outputs_, deltas_;  // per stage: outputs, d(loss)/d(pre-activation)
    std::vector<float> targets_, scratch_;
    std::vector<std::int32_t> class_ids_;
    Tensor output_view_;
    nabla::detail::sparse::SparseInput first_input_;  // the batch's nonzeros, when sparse enough
};

}  // namespace

std::unique_ptr<TrainStep> make_stack_step(Sequential& model, const losses::Loss& loss,
                                           optimizers::Optimizer& optimizer, std::unique_ptr<TrainStep> fallback) {
    return std::make_unique<StackStep>(model, loss, optimizer, std::move(fallback));
}

}  // namespace nabla::models::detail
