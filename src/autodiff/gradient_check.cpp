#include "nabla/autodiff/gradient_check.hpp"

#include <cmath>
#include <sstream>

#include "nabla/autodiff/gradient_tape.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla {
inline namespace autodiff {

namespace {
double scalar_value(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& xs) {
    return sum(f(xs)).item<double>();
}
}  // namespace

GradientCheckResult check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                    const std::vector<Tensor>& inputs, double h) {
    std::vector<Tensor> xs;
    for (const auto& in : inputs) xs.push_back(in.astype(float64));  // fresh contiguous copies
    std::vector<Tensor> analytic;
    {
        GradientTape tape;
        for (const auto& x : xs) tape.watch(x);
        Tensor y = f(xs);
        analytic = tape.gradient(y, xs);
    }
    GradientCheckResult r;
    std::ostringstream worst;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        double* p = xs[k].data<double>();
        const std::vector<double> a = analytic[k].to_vector<double>();
        for (std::int64_t i = 0; i < xs[k].size(); ++i) {
            const double saved = p[i];
            p[i] = saved + h;
            const double up = scalar_value(f, xs);
            p[i] = saved - h;
            const double down = scalar_value(f, xs);
            p[i] = saved;
            const double numeric = (up - down) / (2 * h);
            const double abs_err = std::abs(a[i] - numeric);
            const double rel_err = abs_err / std::max({1.0, std::abs(a[i]), std::abs(numeric)});
            r.max_abs_error = std::max(r.max_abs_error, abs_err);
            if (rel_err > r.max_rel_error || std::isnan(rel_err)) {
                r.max_rel_error = std::isnan(rel_err) ? INFINITY : rel_err;
                worst.str("");
                worst << "input " << k << " element " << i << ": analytic " << a[i] << ", numeric " << numeric;
            }
        }
    }
    r.report = worst.str();
    return r;
}

}  // namespace autodiff
}  // namespace nabla
