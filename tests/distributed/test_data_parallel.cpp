// nabla/distributed in one process: the shards, the one-process world, and
// a strategy over it, which must train bit for bit as no strategy (the
// multi-process checks run under mpirun: tests/distributed/mpi/).
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "nabla/nabla.hpp"

namespace nabla {
namespace {

TEST(DistributedShard, CoversEveryRowOnceInRankOrder) {
    for (std::int64_t total : {0, 1, 2, 7, 128, 129}) {
        for (int size : {1, 2, 3, 8}) {
            std::int64_t next = 0, smallest = total, largest = 0;
            for (int r = 0; r < size; ++r) {
                const distributed::Shard s = distributed::shard_of(total, r, size);
                EXPECT_EQ(s.offset, next) << total << " rows, rank " << r << " of " << size;
                next += s.count;
                smallest = std::min(smallest, s.count);
                largest = std::max(largest, s.count);
            }
            EXPECT_EQ(next, total);
            EXPECT_LE(largest - smallest, 1);
        }
    }
    EXPECT_EQ(distributed::shard_of(1, 1, 2).count, 0);  // the last batch may leave a rank empty
}

TEST(DistributedSingleProcess, CollectivesAreTheIdentity) {
    auto c = distributed::single_process();
    EXPECT_EQ(c->rank(), 0);
    EXPECT_EQ(c->size(), 1);
    std::vector<float> f = {1.5f, -2.0f};
    c->allreduce(std::span(f), distributed::ReduceOp::mean);
    EXPECT_EQ(f, (std::vector<float>{1.5f, -2.0f}));
    EXPECT_EQ(c->broadcast_value(42, 0), 42);
    const std::string text = "abc";
    std::vector<std::size_t> counts;
    const auto all = c->allgather(std::as_bytes(std::span(text)), &counts);
    EXPECT_EQ(counts, std::vector<std::size_t>{3});
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(all.data()), all.size()), "abc");
}

TEST(DistributedDataParallel, RefusesANullCommunicator) {
    EXPECT_THROW(distributed::DataParallel(nullptr), ValueError);
}

models::Sequential small_model(bool fused) {
    models::Sequential m;
    m.set_seed(5);
    m.add(layers::Dense(16, "relu", {.input_shape = Shape{6}}));
    m.add(layers::Dense(3, fused ? "softmax" : "sigmoid"));
    m.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    return m;
}

// A strategy over a world of one goes through the gradient allreduce, the
// agreement check and the reductions, and must still be the plain fit.
TEST(DistributedDataParallel, AWorldOfOneTrainsBitForBitAsNoStrategy) {
    random::Generator g(3);
    const Tensor x = random::uniform({101, 6}, 0.0, 1.0, g);
    Tensor ids = Tensor::uninitialized({101}, int64);
    for (std::int64_t i = 0; i < 101; ++i) ids.data<std::int64_t>()[i] = std::int64_t(g.next_u64() % 3);
    const Tensor y = utils::to_categorical(ids, 3);
    distributed::DataParallel one(distributed::single_process());
    for (bool fused : {true, false}) {  // a sigmoid output is not the fused step's: the tape
        models::Sequential a = small_model(fused), b = small_model(fused);
        models::FitOptions o{.epochs = 2, .batch_size = 32, .verbose = 0, .validation_split = 0.25};
        const auto ha = a.fit(x, y, o);
        o.distribution = &one;
        const auto hb = b.fit(x, y, o);
        EXPECT_EQ(ha.history, hb.history) << (fused ? "fused" : "tape");
        const auto wa = a.get_weights(), wb = b.get_weights();
        for (std::size_t i = 0; i < wa.size(); ++i)
            EXPECT_EQ(0, std::memcmp(wa[i].raw_data(), wb[i].raw_data(), wa[i].nbytes())) << "weight " << i;
        EXPECT_EQ(a.evaluate(x, y, {.verbose = 0}).logs, b.evaluate(x, y, {.verbose = 0, .distribution = &one}).logs);
        const Tensor pa = a.predict(x), pb = b.predict(x, {.distribution = &one});
        EXPECT_EQ(0, std::memcmp(pa.raw_data(), pb.raw_data(), pa.nbytes()));
    }
}

TEST(DistributedDataParallel, LocalErrorsStillComeOutAsThemselves) {
    distributed::DataParallel one(distributed::single_process());
    models::Sequential m = small_model(true);
    const Tensor x = zeros({10, 6}), y = zeros({9, 3});
    EXPECT_THROW(m.fit(x, y, {.verbose = 0, .distribution = &one}), ValueError);
    EXPECT_THROW(m.fit(x, zeros({10, 3}), {.batch_size = 0, .verbose = 0, .distribution = &one}), ValueError);
}

}  // namespace
}  // namespace nabla
