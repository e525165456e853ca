#pragma once
// For the tests that train one model two ways (the fused step against the
// tape): element-wise comparison within a relative tolerance, and the
// side-by-side training itself.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "nabla/core/tensor.hpp"
#include "nabla/models/sequential.hpp"

namespace nabla::testing_fit {

inline void expect_close(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
    ASSERT_EQ(a.shape(), b.shape()) << what;
    const auto x = a.to_vector<double>(), y = b.to_vector<double>();
    for (std::size_t i = 0; i < x.size(); ++i)
        ASSERT_NEAR(x[i], y[i], tol * (1 + std::abs(y[i]))) << what << " at " << i;
}

// Trains `fused` and `tape` (the same weights) on four batches of x, y:
// three of 16 rows and a partial one of 5 (the buffers are sized for 16),
// then compares losses, accuracies, weights, predictions and evaluation.
// `around_fused(step, after)` runs just before and after each fused step.
inline void expect_trains_alike(models::Sequential& fused, models::Sequential& tape, const Tensor& x, const Tensor& y,
                                double weight_tol, const std::function<void(int, bool)>& around_fused = {}) {
    const std::int64_t n = x.shape(0);
    for (int step = 0; step < 4; ++step) {
        const std::int64_t start = step * 16 % n, count = step == 3 ? 5 : 16;
        const Tensor xb = x(Slice(start, start + count)).copy(), yb = y(Slice(start, start + count)).copy();
        if (around_fused) around_fused(step, false);
        const auto a = fused.train_on_batch(xb, yb);
        if (around_fused) around_fused(step, true);
        const auto b = tape.train_on_batch(xb, yb);
        EXPECT_NEAR(a.loss, b.loss, 1e-5 * (1 + std::abs(b.loss))) << "step " << step;
        EXPECT_DOUBLE_EQ(a["accuracy"], b["accuracy"]) << "step " << step;
    }
    const auto wa = fused.get_weights(), wb = tape.get_weights();
    ASSERT_EQ(wa.size(), wb.size());
    for (std::size_t i = 0; i < wa.size(); ++i) expect_close(wa[i], wb[i], weight_tol, "weight " + std::to_string(i));

    expect_close(fused.predict(x, 8), tape.predict(x, 8), 1e-5, "predict");
    const auto ea = fused.evaluate(x, y, {.batch_size = 10, .verbose = 0});
    const auto eb = tape.evaluate(x, y, {.batch_size = 10, .verbose = 0});
    EXPECT_NEAR(ea.loss, eb.loss, 1e-5 * (1 + std::abs(eb.loss)));
}

}  // namespace nabla::testing_fit
