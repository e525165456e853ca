// The fused step at the book's shape (784 -> 512 relu -> 10 softmax, batch
// 128), where the first layer's products are split over the team: each split
// of C (columns, rows) at 1, 2 and 3 threads trains to the same weights
// within float rounding, and a thread count and split repeat bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nabla/nabla.hpp"
#include "ops/gemm.hpp"
#include "support/sgemm_split_restore.hpp"

namespace {

using namespace nabla;
using detail::SgemmSplit;

using Restore = test::RestoreThreadsAndSplit;

// The weights after three fused steps from a fixed start.
std::vector<std::vector<float>> train(int threads, SgemmSplit split) {
    set_num_threads(threads);
    detail::set_sgemm_split(split);
    random::Generator gen(11);
    const Tensor x = random::uniform({384, 784}, 0.0, 1.0, gen);
    const Tensor y = utils::to_categorical(random::randint(0, 10, {384}, gen), 10);
    random::seed(5);
    models::Sequential m{{layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")}};
    m.compile("rmsprop", "categorical_crossentropy");
    for (std::int64_t b = 0; b < 384; b += 128) m.train_on_batch(x(Slice(b, b + 128)), y(Slice(b, b + 128)));
    std::vector<std::vector<float>> w;
    for (const Tensor& t : m.get_weights()) w.push_back(t.to_vector<float>());
    return w;
}

TEST(FusedStepSplit, EveryThreadCountAndSplitTrainsAlikeWithinRounding) {
    Restore restore;
    const auto want = train(1, SgemmSplit::columns);
    for (SgemmSplit split : {SgemmSplit::automatic, SgemmSplit::columns, SgemmSplit::rows}) {
        for (int threads : {1, 2, 3}) {
            const auto got = train(threads, split);
            ASSERT_EQ(got.size(), want.size());
            for (std::size_t i = 0; i < want.size(); ++i)
                for (std::size_t j = 0; j < want[i].size(); ++j)
                    ASSERT_NEAR(got[i][j], want[i][j], 1e-4 * (1 + std::fabs(want[i][j])))
                        << "weight " << i << " at " << j << ", threads " << threads;
        }
    }
}

TEST(FusedStepSplit, RepeatsBitForBit) {
    Restore restore;
    for (SgemmSplit split : {SgemmSplit::automatic, SgemmSplit::columns, SgemmSplit::rows}) EXPECT_EQ(train(2, split), train(2, split));
}

}  // namespace
