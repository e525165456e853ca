#include "dense_stack_step.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "nabla/layers/dense.hpp"
#include "nabla/models/sequential.hpp"
#include "ops/dense_kernels.hpp"
#include "ops/sparse_kernels.hpp"

namespace nabla::models::detail {

namespace {

using ops::Activation;
namespace kernels = nabla::detail::dense;

// Keras's backend epsilon: probabilities are clipped to [eps, 1 - eps] before
// the log, exactly as ops::categorical_crossentropy does on the tape.
constexpr float kEpsilon = 1e-7f;

// One Dense layer of the stack, as planned.
struct Stage {
    layers::Dense* layer = nullptr;
    std::uint64_t kernel_id = 0, bias_id = 0;  // a replaced weight re-plans
    Activation activation = Activation::Linear;
    std::int64_t in = 0, units = 0;
    bool has_bias = false;
    const float* W() const { return layer->kernel().value().data<float>(); }
    const float* b() const { return has_bias ? layer->bias().value().data<float>() : nullptr; }
};

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

class DenseStackStep final : public TrainStep {
public:
    DenseStackStep(Sequential& model, const losses::Loss& loss, optimizers::Optimizer& optimizer,
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
        if (x.dtype() != float32 || x.ndim() != 2 || !x.is_contiguous() || x.shape(1) != stages_.front().in)
            return false;
        if (x.shape(0) < 1) return false;
        if (y.defined() && !targets_ok(y, x.shape(0))) return false;
        reserve(x.shape(0));
        return true;
    }

    // Re-plans when the layers or their weights changed; false when the model
    // is not a stack the fused step handles.
    bool plan_current() {
        const auto& layers = model_.layers();
        bool same = layers.size() == stages_.size();
        for (std::size_t i = 0; same && i < layers.size(); ++i) {
            const Stage& s = stages_[i];
            same = layers[i].get() == s.layer && s.layer->trainable() &&
                   s.layer->kernel().value().id() == s.kernel_id &&
                   (!s.has_bias || s.layer->bias().value().id() == s.bias_id);
        }
        if (same) return planned_ok_;
        planned_ok_ = plan(layers);
        return planned_ok_;
    }

    bool plan(const std::vector<std::shared_ptr<layers::Layer>>& layers) {
        stages_.clear();
        vars_.clear();
        grads_.clear();
        pairs_.clear();
        capacity_ = 0;
        if (layers.empty()) return false;
        for (std::size_t i = 0; i < layers.size(); ++i) {
            auto* dense = dynamic_cast<layers::Dense*>(layers[i].get());
            if (!dense || !dense->trainable() || dense->kernel().dtype() != float32) return false;
            const bool last = i + 1 == layers.size();
            const Activation act = dense->activation();
            if (!last && act == Activation::Softmax) return false;
            if (last && act != (from_logits_ ? Activation::Linear : Activation::Softmax)) return false;
            Stage s{dense, dense->kernel().value().id(), 0, act, dense->kernel().shape()[0],
                    dense->kernel().shape()[1], dense->use_bias()};
            if (s.has_bias) s.bias_id = dense->bias().value().id();
            stages_.push_back(s);
        }
        for (const Stage& s : stages_) {
            vars_.push_back(s.layer->kernel());
            if (s.has_bias) vars_.push_back(s.layer->bias());
        }
        for (const Variable& v : vars_) grads_.push_back(Tensor::uninitialized(v.shape(), float32));
        for (std::size_t i = 0; i < vars_.size(); ++i) pairs_.emplace_back(grads_[i], &vars_[i]);
        return true;
    }

    bool targets_ok(const Tensor& y, std::int64_t rows) {
        const std::int64_t classes = stages_.back().units;
        // Shapes are compared by hand: a Shape temporary would allocate.
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

    // Buffers for `rows` rows; they only ever grow.
    void reserve(std::int64_t rows) {
        if (rows <= capacity_) return;
        acts_.clear();
        deltas_.clear();
        for (const Stage& s : stages_) {
            acts_.push_back(Tensor::uninitialized({rows, s.units}, float32));
            deltas_.push_back(Tensor::uninitialized({rows, s.units}, float32));
        }
        const std::int64_t classes = stages_.back().units;
        targets_.assign(static_cast<std::size_t>(rows * classes), 0.0f);
        scratch_.assign(static_cast<std::size_t>(classes), 0.0f);
        capacity_ = rows;
        view_rows_ = -1;
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
        const float* a = x;
        for (std::size_t i = 0; i < stages_.size(); ++i) {
            const Stage& s = stages_[i];
            float* z = acts_[i].data<float>();
            // s.W() is placed for the product: Variable storage comes from
            // detail::copy_placed_for_product. A sparse enough input batch
            // skips its zeros (ops/sparse_kernels.hpp).
            if (i == 0 && first_input_.prepare(a, rows, s.in)) first_input_.forward(s.W(), s.units, z);
            else kernels::product<float>(false, false, rows, s.units, s.in, a, s.W(), z);
            kernels::bias_activation<float>(z, s.b(), rows, s.units, s.activation);
            a = z;
        }
    }

    // The batch's mean loss; with_gradient also writes d(loss)/d(logits) of
    // the last layer into its delta buffer.
    double loss(const Tensor& y, std::int64_t rows, bool with_gradient) {
        const std::int64_t n = stages_.back().units;
        const float* out = acts_.back().data<float>();
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

    void backward(const float* x, std::int64_t rows) {
        std::size_t g = grads_.size();
        for (std::size_t i = stages_.size(); i-- > 0;) {
            const Stage& s = stages_[i];
            const float* delta = deltas_[i].data<float>();
            const float* input = i == 0 ? x : acts_[i - 1].data<float>();
            if (s.has_bias) kernels::column_sums<float>(delta, rows, s.units, grads_[--g].data<float>());
            float* dW = grads_[--g].data<float>();
            if (i == 0 && first_input_.active()) first_input_.weight_gradient(delta, s.units, dW);
            else kernels::product<float>(true, false, s.in, s.units, rows, input, delta, dW);
            if (i == 0) break;  // the input's gradient is never needed
            const Stage& below = stages_[i - 1];
            float* d = deltas_[i - 1].data<float>();
            kernels::product<float>(false, true, rows, s.in, s.units, delta, s.W(), d);
            if (below.activation != Activation::Linear) {
                const float* a = acts_[i - 1].data<float>();
                const kernels::ActivationGradRow grad_row{below.activation};
                kernels::for_rows(rows, s.in, [&](std::int64_t r) {
                    grad_row(d + r * s.in, s.in, a + r * s.in, d + r * s.in);
                });
            }
        }
    }

    // The last layer's output for `rows` rows (a view kept for reuse).
    Tensor output(std::int64_t rows) {
        if (rows == capacity_) return acts_.back();
        if (rows != view_rows_) {
            output_view_ = acts_.back()(Slice(0, rows));
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
    bool planned_ok_ = false;
    std::vector<Variable> vars_;
    std::vector<Tensor> grads_;
    std::vector<optimizers::GradientAndVariable> pairs_;

    std::int64_t capacity_ = 0, view_rows_ = -1;
    std::vector<Tensor> acts_, deltas_;  // per stage: outputs, d(loss)/d(pre-activation)
    std::vector<float> targets_, scratch_;
    std::vector<std::int32_t> class_ids_;
    Tensor output_view_;
    nabla::detail::sparse::SparseInput first_input_;  // the batch's nonzeros, when sparse enough
};

}  // namespace

std::unique_ptr<TrainStep> make_dense_stack_step(Sequential& model, const losses::Loss& loss,
                                                 optimizers::Optimizer& optimizer,
                                                 std::unique_ptr<TrainStep> fallback) {
    return std::make_unique<DenseStackStep>(model, loss, optimizer, std::move(fallback));
}

}  // namespace nabla::models::detail
