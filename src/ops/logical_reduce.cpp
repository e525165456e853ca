// NumPy's all/any/allclose/array_equal, composed from the element-wise ops
// and sum (none is on a hot path).
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

namespace nabla {
inline namespace ops {

Tensor any(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    // astype(bool) maps every nonzero (NaN included) to true, as NumPy does.
    return greater(sum(x.astype(bool_).astype(int64), axes, keepdims), 0);
}

Tensor all(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    return logical_not(any(logical_not(x.astype(bool_)), axes, keepdims));
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    const Tensor x = a.astype(float64), y = b.astype(float64);
    // NumPy's isclose: the tolerance for finite pairs, equality otherwise
    // (inf is close to inf only; |inf - -inf| <= inf must not pass).
    // v - v is 0 exactly when v is finite.
    const Tensor finite = logical_and(equal(x - x, 0.0), equal(y - y, 0.0));
    Tensor close = where(finite, less_equal(abs(x - y), atol + rtol * abs(y)), equal(x, y));
    if (equal_nan) close = logical_or(close, logical_and(not_equal(x, x), not_equal(y, y)));
    return all(close).item<bool>();
}

bool array_equal(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return false;
    return all(equal(a, b)).item<bool>();
}

}  // namespace ops
}  // namespace nabla
