// The tape: a list of recorded nodes in execution (hence topological) order,
// walked backwards by gradient().
#include "nabla/autodiff/gradient_tape.hpp"

#include <unordered_map>
#include <unordered_set>

#include "nabla/ops/elementwise.hpp"

namespace nabla {
inline namespace autodiff {

struct GradientTape::Record final : graph::Recorder {
    struct Input {
        std::uint64_t id;
        Shape shape;
        DType dtype;
        bool variable;  // Variables always need their gradient
    };
    struct Node {
        const char* op;
        std::vector<Input> inputs;  // ids only: the closure keeps what it needs
        std::uint64_t output_id;
        BackwardFn backward;
    };
    std::vector<Node> nodes;
    std::unordered_set<std::uint64_t> watched;

    bool is_watched(const Tensor& t) const {
        return t.defined() && is_floating(t.dtype()) && (t.is_variable() || watched.count(t.id()));
    }

    void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output,
                const BackwardFn& backward) override {
        bool any = false;
        for (const auto& in : inputs) any = any || is_watched(in);
        if (!any || !is_floating(output.dtype())) return;
        Node node{op, {}, output.id(), backward};
        node.inputs.reserve(inputs.size());
        for (const auto& in : inputs)
            node.inputs.push_back(in.defined() ? Input{in.id(), in.shape(), in.dtype(), in.is_variable()}
                                                : Input{0, {}, float32, false});
        nodes.push_back(std::move(node));
        watched.insert(output.id());
    }

    // Which inputs of `node` need a gradient: those that can carry one to a
    // source — a Variable, a watched tensor or recorded op's output (the
    // watched set holds both), or a source itself (gradient() returns the
    // gradient of an unwatched constant source too). Input images and labels
    // are none of these, so their backward products are skipped.
    void needed_inputs(const Node& node, const std::unordered_set<std::uint64_t>& sources,
                       std::vector<bool>& needed) const {
        needed.assign(node.inputs.size(), false);
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const Input& in = node.inputs[i];
            needed[i] = in.id != 0 && is_floating(in.dtype) &&
                        (in.variable || watched.count(in.id) > 0 || sources.count(in.id) > 0);
        }
    }
};

GradientTape::GradientTape(bool persistent) : record_(std::make_unique<Record>()), persistent_(persistent) {
    graph::push_recorder(record_.get());
}

GradientTape::~GradientTape() { stop_recording(); }

void GradientTape::stop_recording() {
    if (active_ && record_) graph::pop_recorder(record_.get());
    active_ = false;
}

void GradientTape::watch(const Tensor& t) {
    if (!record_) throw ValueError("GradientTape.watch: the tape was already used by gradient() (not persistent)");
    if (!is_floating(t.dtype()))
        throw DTypeError("GradientTape.watch: only float32/float64 tensors can be watched, got " +
                         std::string(name(t.dtype())));
    record_->watched.insert(t.id());
}

std::size_t GradientTape::recorded_ops() const { return record_ ? record_->nodes.size() : 0; }

namespace {

void accumulate(std::unordered_map<std::uint64_t, Tensor>& grads, std::uint64_t id, const Tensor& g) {
    auto [it, inserted] = grads.try_emplace(id, g);
    if (!inserted) it->second = add(it->second, g);
}

void check_gradient_shape(const char* op, const Tensor& g, const Shape& expected) {
    if (g.shape() != expected)
        throw Error(std::string("internal error: the backward rule of '") + op + "' produced a gradient of shape " +
                    to_string(g.shape()) + " for an input of shape " + to_string(expected));
}

}  // namespace

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources) {
    if (!record_)
        throw ValueError(
            "GradientTape.gradient can only be called once on a non-persistent tape; "
            "create it with GradientTape(/*persistent=*/true) to compute several gradients");
    std::unordered_map<std::uint64_t, Tensor> grads;
    std::unordered_set<std::uint64_t> source_ids;
    for (const auto& s : sources)
        if (s.defined()) source_ids.insert(s.id());
    std::vector<bool> needed;
    {
        graph::PauseRecorder pause(record_.get());  // our own backward ops are not recorded here
        grads.emplace(target.id(), ones_like(target));
        for (auto node = record_->nodes.rbegin(); node != record_->nodes.rend(); ++node) {
            auto found = grads.find(node->output_id);
            if (found == grads.end()) continue;
            record_->needed_inputs(*node, source_ids, needed);
            std::vector<Tensor> in_grads;
            {
                graph::NeededGradients scope(needed);
                in_grads = node->backward(found->second);
            }
            for (std::size_t i = 0; i < node->inputs.size() && i < in_grads.size(); ++i) {
                const auto& in = node->inputs[i];
                if (!needed[i] || !in_grads[i].defined()) continue;
                check_gradient_shape(node->op, in_grads[i], in.shape);
                accumulate(grads, in.id, in_grads[i]);
            }
        }
    }
    std::vector<Tensor> out;
    out.reserve(sources.size());
    for (const auto& s : sources) {
        auto it = grads.find(s.id());
        if (it == grads.end()) out.push_back(zeros_like(s));
        else out.push_back(it->second.dtype() == s.dtype() ? it->second : it->second.astype(s.dtype()));
    }
    if (!persistent_) {
        stop_recording();
        record_.reset();
    }
    return out;
}

Tensor GradientTape::gradient(const Tensor& target, const Tensor& source) {
    return gradient(target, std::vector<Tensor>{source}).front();
}

}  // namespace autodiff
}  // namespace nabla
