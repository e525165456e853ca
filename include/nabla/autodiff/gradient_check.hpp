#pragma once
// Central finite differences in float64, for testing backward rules.
//
//   auto r = check_gradients([](const std::vector<Tensor>& in) {
//                return sum(tanh(in[0]) * in[1]); }, {a, b});
//   EXPECT_LT(r.max_rel_error, 1e-6) << r.report;
//
// The inputs are converted to float64, the function's (summed) output is
// differentiated with GradientTape and compared element by element with
// (f(x + h) - f(x - h)) / 2h.
#include <functional>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
inline namespace autodiff {

struct GradientCheckResult {
    double max_abs_error = 0;
    double max_rel_error = 0;  // |a - n| / max(1, |a|, |n|)
    std::string report;        // where the worst element is, and both values
};

GradientCheckResult check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                    const std::vector<Tensor>& inputs, double h = 1e-6);

}  // namespace autodiff
}  // namespace nabla
