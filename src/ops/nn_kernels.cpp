#include "nn_kernels.hpp"

#include <numeric>

namespace nabla::detail::nn {

Tensor contiguous_as(const Tensor& t, DType dt) {
    if (t.is_contiguous() && t.dtype() == dt) return t;
    Tensor out = Tensor::uninitialized(t.shape(), dt);
    copy_into(t, out);
    return out;
}

namespace {
// t's axes permuted by perm, as an unrecorded view.
Tensor permuted(const Tensor& t, const std::vector<int>& perm) {
    Shape sh;
    Strides st;
    for (int a : perm) {
        sh.push_back(t.shape()[a]);
        st.push_back(t.strides()[a]);
    }
    return make_view(t, std::move(sh), std::move(st), t.offset());
}
}  // namespace

Tensor move_axis_last(const Tensor& t, int axis, DType dt) {
    std::vector<int> perm(static_cast<std::size_t>(t.ndim()));
    std::iota(perm.begin(), perm.end(), 0);
    perm.erase(perm.begin() + axis);
    perm.push_back(axis);
    Tensor v = permuted(t, perm);
    Tensor out = Tensor::uninitialized(v.shape(), dt);
    copy_into(v, out);
    return out;
}

Tensor move_last_to(const Tensor& y, int axis) {
    const int n = y.ndim();
    // y's axis k holds original axis perm[k] (perm as in move_axis_last);
    // the inverse permutation puts original axis j back at position j.
    std::vector<int> inverse(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) inverse[j] = j < axis ? j : (j == axis ? n - 1 : j - 1);
    Tensor v = permuted(y, inverse);
    Tensor out = Tensor::uninitialized(v.shape(), y.dtype());
    copy_into(v, out);
    return out;
}

Tensor reshaped(const Tensor& t, Shape shape) {
    Strides st = contiguous_strides(shape);
    return make_view(t, std::move(shape), std::move(st), t.offset());
}

}  // namespace nabla::detail::nn
