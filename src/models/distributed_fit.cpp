#include "distributed_fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>

#include "nabla/training/optimizers.hpp"

namespace nabla::models::detail {

std::int64_t stable_hash(std::string_view text) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return static_cast<std::int64_t>(h >> 1);
}

// --- agreement at start ---

namespace {

// [ok, n, values..., error text]: what each rank sends.
std::vector<std::byte> encode(bool ok, const Descriptor& d, const std::string& error) {
    std::vector<std::int64_t> words = {ok ? 1 : 0, static_cast<std::int64_t>(d.size())};
    for (const auto& [name, value] : d) words.push_back(value);
    std::vector<std::byte> out(words.size() * sizeof(std::int64_t) + error.size());
    std::memcpy(out.data(), words.data(), words.size() * sizeof(std::int64_t));
    std::memcpy(out.data() + words.size() * sizeof(std::int64_t), error.data(), error.size());
    return out;
}

struct Decoded {
    bool ok = false;
    std::vector<std::int64_t> values;
    std::string error;
};

Decoded decode(const std::byte* p, std::size_t n) {
    Decoded d;
    std::int64_t head[2] = {0, 0};
    std::memcpy(head, p, sizeof head);
    d.ok = head[0] != 0;
    d.values.resize(static_cast<std::size_t>(head[1]));
    const std::size_t words = (2 + d.values.size()) * sizeof(std::int64_t);
    if (!d.values.empty())  // memcpy of nothing still needs a non-null pointer
        std::memcpy(d.values.data(), p + sizeof head, d.values.size() * sizeof(std::int64_t));
    d.error.assign(reinterpret_cast<const char*>(p) + words, n - words);
    return d;
}

}  // namespace

void agree(distributed::Communicator& comm, const char* who, const std::function<void()>& setup,
           const std::function<Descriptor()>& describe) {
    Descriptor mine;
    std::exception_ptr failure;
    std::string error;
    try {
        setup();
        mine = describe();
    } catch (const std::exception& e) {
        failure = std::current_exception();
        error = e.what();
    }
    std::vector<std::size_t> counts;
    const std::vector<std::byte> all = comm.allgather(encode(!failure, mine, error), &counts);
    std::vector<Decoded> ranks;
    for (std::size_t r = 0, at = 0; r < counts.size(); at += counts[r], ++r) ranks.push_back(decode(all.data() + at, counts[r]));
    if (failure) std::rethrow_exception(failure);
    const std::string prefix = std::string(who) + " (distributed, rank " + std::to_string(comm.rank()) + " of " +
                               std::to_string(comm.size()) + "): ";
    for (std::size_t r = 0; r < ranks.size(); ++r)
        if (!ranks[r].ok)
            throw ValueError(prefix + "rank " + std::to_string(r) + " failed before training started, so no rank "
                             "trains: " + ranks[r].error);
    for (std::size_t r = 1; r < ranks.size(); ++r)
        for (std::size_t i = 0; i < mine.size(); ++i)
            if (ranks[r].values[i] != ranks[0].values[i])
                throw ValueError(prefix + "the ranks disagree on " + mine[i].first + ": rank " + std::to_string(r) +
                                 " has " + std::to_string(ranks[r].values[i]) + ", rank 0 has " +
                                 std::to_string(ranks[0].values[i]) +
                                 ". Every rank must run the same program on the same data with the same options");
}

// --- rank 0's state everywhere ---

namespace {

void broadcast_tensor(distributed::Communicator& comm, Tensor& t) {
    comm.broadcast(std::span(static_cast<std::byte*>(t.raw_data()), t.nbytes()), 0);
}

void adopt_optimizer_state(distributed::Communicator& comm, Sequential& model) {
    optimizers::Optimizer* opt = model.optimizer();
    if (!opt) return;
    const std::int64_t iterations = comm.broadcast_value(opt->iterations(), 0);
    const bool built = comm.broadcast_value(opt->built(), 0);
    std::vector<Variable> vars = model.trainable_weights();
    std::vector<std::pair<const Variable*, std::vector<Tensor>>> slots;
    if (built) {
        std::vector<const Variable*> ptrs;
        for (const Variable& v : vars) ptrs.push_back(&v);
        if (comm.rank() == 0) opt->build(ptrs);  // every variable gets its slots (no-op for those that have them)
        for (const Variable& v : vars) {
            std::vector<Tensor> per;
            for (const std::string& name : opt->slot_names()) {
                Tensor s = comm.rank() == 0 ? opt->slot(v, name).contiguous() : Tensor::uninitialized(v.shape(), v.dtype());
                broadcast_tensor(comm, s);
                per.push_back(s);
            }
            slots.emplace_back(&v, std::move(per));
        }
    }
    if (comm.rank() != 0) opt->set_state(iterations, slots);
}

}  // namespace

int adopt_rank0_state(distributed::Communicator& comm, Sequential& model, int epoch) {
    if (comm.size() == 1) return epoch;
    epoch = comm.broadcast_value(epoch, 0);
    for (const Variable& v : model.weights()) {
        Tensor value = v.value();
        if (!value.is_contiguous())
            throw ValueError("fit (distributed): weight '" + v.name() + "' is not contiguous");
        broadcast_tensor(comm, value);
    }
    adopt_optimizer_state(comm, model);
    callbacks::ModelHandle::RandomState streams = model.random_state();
    for (auto& [name, state] : streams) state = comm.broadcast_value(state, 0);
    if (comm.rank() != 0) model.set_random_state(streams);
    return epoch;
}

bool rank0_flag(distributed::Communicator& comm, bool flag) {
    return comm.size() == 1 ? flag : comm.broadcast_value(flag, 0);
}

void reduce_metrics(distributed::Communicator& comm, metrics::Mean& loss_tracker, std::vector<double>& metric_results,
                    double local_samples) {
    if (comm.size() == 1) return;
    std::vector<double> buf = {loss_tracker.total(), loss_tracker.count(), local_samples};
    for (double m : metric_results) buf.push_back(local_samples > 0 ? m * local_samples : 0.0);
    comm.allreduce(std::span(buf), distributed::ReduceOp::sum);
    loss_tracker.reset_state();
    loss_tracker.merge(buf[0], buf[1]);
    for (std::size_t i = 0; i < metric_results.size(); ++i) metric_results[i] = buf[2] > 0 ? buf[3 + i] / buf[2] : 0.0;
}

// --- the gradient allreduce ---

GradientAllreduce::GradientAllreduce(distributed::Communicator& comm, std::vector<Variable> variables)
    : comm_(comm), vars_(std::move(variables)) {
    std::int64_t total = 0;
    for (const Variable& v : vars_) {
        if (v.dtype() != float32)
            throw DTypeError("fit (distributed): the gradient allreduce takes float32 weights; '" + v.name() +
                             "' is " + std::string(nabla::name(v.dtype())));
        offsets_.push_back(total);
        total += static_cast<std::int64_t>(v.value().size());
    }
    offsets_.push_back(total);
    flat_ = Tensor::uninitialized({total + 1}, float32);
    std::fill(flat_.data<float>(), flat_.data<float>() + total + 1, 0.0f);
    for (std::size_t i = 0; i < vars_.size(); ++i)
        reduced_.emplace_back(flat_(Slice(offsets_[i], offsets_[i + 1])).reshape(vars_[i].shape()), &vars_[i]);
}

std::size_t GradientAllreduce::slot_of(const Variable* v, std::size_t hint) const {
    const std::uint64_t id = v->value().id();
    if (hint < vars_.size() && vars_[hint].value().id() == id) return hint;
    for (std::size_t i = 0; i < vars_.size(); ++i)
        if (vars_[i].value().id() == id) return i;
    throw ValueError("fit (distributed): weight '" + v->name() +
                     "' was not trainable when fit started; change what trains between fit() calls only");
}

std::span<const optimizers::GradientAndVariable> GradientAllreduce::reduce(
    std::span<const optimizers::GradientAndVariable> pairs, double local_loss, std::int64_t rows, double& loss) {
    float* flat = flat_.data<float>();
    const std::int64_t n = offsets_.back();
    // Every slot a gradient does not fill (none given: an empty shard, a
    // non-finite loss) contributes zero.
    if (pairs.size() != vars_.size()) std::fill(flat, flat + n, 0.0f);
    // rows / global rows: the power of two 1/2 for an even split, so the sum
    // over ranks is the global batch's mean gradient.
    const float weight = static_cast<float>(double(rows) / double(global_rows_));
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const std::size_t s = slot_of(pairs[i].second, i);
        const Tensor g = pairs[i].first.dtype() == float32 ? pairs[i].first.contiguous()
                                                           : pairs[i].first.astype(float32).contiguous();
        const float* src = g.data<float>();
        float* dst = flat + offsets_[s];
        const std::int64_t len = offsets_[s + 1] - offsets_[s];
        if (weight == 1.0f) std::memcpy(dst, src, static_cast<std::size_t>(len) * sizeof(float));
        else
            for (std::int64_t k = 0; k < len; ++k) dst[k] = src[k] * weight;
    }
    const bool finite = rows == 0 || std::isfinite(local_loss);
    flat[n] = finite ? 0.0f : 1.0f;
    const auto t0 = std::chrono::steady_clock::now();
    comm_.allreduce(std::span(flat, static_cast<std::size_t>(n + 1)), distributed::ReduceOp::sum);
    allreduce_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++steps_;
    // The loss fit logs is reduced at the epoch's end (in double); here only
    // whether any rank's was invalid, which stops every rank alike.
    loss = flat[n] == 0.0f ? (rows == 0 ? 0.0 : local_loss) : std::numeric_limits<double>::quiet_NaN();
    return reduced_;
}

std::string failure_message(const distributed::Communicator& comm, const char* who, const char* what) {
    return "nabla: rank " + std::to_string(comm.rank()) + " of " + std::to_string(comm.size()) + " failed in " + who +
           ": " + what + "\nnabla: ending every rank of the job (" + comm.engine() + " abort)";
}

}  // namespace nabla::models::detail
