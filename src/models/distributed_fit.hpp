#pragma once
// Internal: what fit / evaluate / predict do differently under a
// distributed::DataParallel strategy (docs/distributed.md). The loops stay
// in training.cpp; this is the communication they need.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/autodiff/variable.hpp"
#include "nabla/distributed/data_parallel.hpp"
#include "nabla/models/sequential.hpp"
#include "train_step.hpp"

namespace nabla::models::detail {

// What every rank must agree on before a collective run: (name, value).
using Descriptor = std::vector<std::pair<std::string, std::int64_t>>;

// FNV-1a of a text: the same on every rank and every build (std::hash is not).
std::int64_t stable_hash(std::string_view text);

// Runs `setup` (local checks and data preparation) and then compares every
// rank's describe() with rank 0's. When setup throws on one rank, that rank
// rethrows its error and every other rank throws a ValueError naming it;
// when the descriptors differ every rank throws a ValueError saying what
// differs and on which rank. Either way no rank is left waiting.
void agree(distributed::Communicator& comm, const char* who, const std::function<void()>& setup,
           const std::function<Descriptor()>& describe);

// Rank 0's weights (every weight, trainable or not), optimizer state,
// random streams and `epoch` on every rank; returns the epoch.
int adopt_rank0_state(distributed::Communicator& comm, Sequential& model, int epoch);

// Rank 0's flag on every rank (stop_training after rank 0's callbacks).
bool rank0_flag(distributed::Communicator& comm, bool flag);

// The loss tracker and metrics reduced over the ranks: each rank's figures
// weighted by the samples it saw. A world of one returns them unchanged.
void reduce_metrics(distributed::Communicator& comm, metrics::Mean& loss_tracker,
                    std::vector<double>& metric_results, double local_samples);

// The gradient allreduce of a data-parallel step: one allreduce over one
// flat buffer per step, each rank's gradient weighted by its share of the
// global batch (rows / global rows) so that the sum is the global batch's
// mean gradient even when the shards are uneven (the last batch).
class GradientAllreduce final : public GradientSync {
public:
    GradientAllreduce(distributed::Communicator& comm, std::vector<Variable> variables);
    // The global batch's rows for the next reduce().
    void begin_step(std::int64_t global_rows) { global_rows_ = global_rows; }
    std::span<const optimizers::GradientAndVariable> reduce(std::span<const optimizers::GradientAndVariable> pairs,
                                                            double local_loss, std::int64_t rows,
                                                            double& loss) override;
    // Figures for docs/distributed.md (NABLA_DISTRIBUTED_TIMING=1 prints them).
    std::int64_t steps() const { return steps_; }
    double allreduce_seconds() const { return allreduce_seconds_; }
    std::size_t bytes_per_step() const { return flat_.nbytes(); }

private:
    std::size_t slot_of(const Variable* v, std::size_t hint) const;

    distributed::Communicator& comm_;
    std::vector<Variable> vars_;
    std::vector<std::int64_t> offsets_;
    Tensor flat_;  // every gradient, then the count of ranks with a non-finite loss
    std::vector<optimizers::GradientAndVariable> reduced_;  // views of flat_
    std::int64_t global_rows_ = 0, steps_ = 0;
    double allreduce_seconds_ = 0;
};

// Sets the step's sync for a scope.
class SyncScope {
public:
    SyncScope(TrainStep& step, GradientSync* sync) : step_(step) { step_.set_sync(sync); }
    ~SyncScope() { step_.set_sync(nullptr); }
    SyncScope(const SyncScope&) = delete;
    SyncScope& operator=(const SyncScope&) = delete;

private:
    TrainStep& step_;
};

// "nabla: rank 1 of 2 failed in fit: <what>": the message before abort().
std::string failure_message(const distributed::Communicator& comm, const char* who, const char* what);

}  // namespace nabla::models::detail
