// dot, matmul and tensordot with NumPy's semantics. All three reduce to one
// differentiable primitive, a batched matrix product (batch, m, k)·(batch,
// k, n), plus views; so their backward rules come from that primitive's.
#include "nabla/ops/linalg.hpp"

#include <algorithm>
#include <numeric>

#include "core/dispatch.hpp"
#include "core/tensor_impl.hpp"
#include "elementwise_impl.hpp"
#include "gemm.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla {

namespace {

// How one operand of a 3-D product is laid out in memory: its last two axes
// must be row-major or column-major (transposed) for gemm; the batch stride
// may be anything, including 0 for a broadcast batch.
struct Operand {
    Tensor t;
    bool trans = false;
    std::int64_t ld = 0, batch_stride = 0;
};

Operand as_gemm_operand(const Tensor& x) {
    const auto& s = x.strides();
    const std::int64_t rows = x.shape(1), cols = x.shape(2);
    if (s[2] == 1 && (s[1] >= std::max<std::int64_t>(cols, 1) || rows == 1)) return {x, false, std::max(s[1], cols), s[0]};
    if (s[1] == 1 && (s[2] >= std::max<std::int64_t>(rows, 1) || cols == 1)) return {x, true, std::max(s[2], rows), s[0]};
    Tensor c = x.contiguous();
    return {c, false, cols, c.strides()[0]};
}

// (B, m, k)·(B, k, n) -> (B, m, n), same dtype, no recording.
Tensor bmm_kernel(const Tensor& a, const Tensor& b) {
    const std::int64_t B = a.shape(0), M = a.shape(1), K = a.shape(2), N = b.shape(2);
    Tensor out = zeros({B, M, N}, a.dtype());
    if (K == 0) return out;
    const Operand oa = as_gemm_operand(a), ob = as_gemm_operand(b);
    detail::dispatch(a.dtype(), [&]<typename T>() {
        const T* pa = static_cast<const T*>(oa.t.raw_data());
        const T* pb = static_cast<const T*>(ob.t.raw_data());
        T* pc = out.data<T>();
        for (std::int64_t i = 0; i < B; ++i)
            detail::gemm<T>(oa.trans, ob.trans, M, N, K, T(1), pa + i * oa.batch_stride, oa.ld,
                            pb + i * ob.batch_stride, ob.ld, T(0), pc + i * M * N, N);
    });
    return out;
}

Tensor swap_last(const Tensor& x) {
    std::vector<int> perm(static_cast<std::size_t>(x.ndim()));
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return x.transpose(perm);
}

// The differentiable primitive: a, b are 3-D with equal batch and dtype.
Tensor bmm(const Tensor& a, const Tensor& b) {
    Tensor out = bmm_kernel(a, b);
    if (detail::should_record(out))
        graph::record("matmul", {a, b}, out, [a, b](const Tensor& g) {
            return std::vector<Tensor>{graph::needs_gradient(0) ? bmm(g, swap_last(b)) : Tensor(),
                                       graph::needs_gradient(1) ? bmm(swap_last(a), g) : Tensor()};
        });
    return out;
}

[[noreturn]] void not_aligned(const char* op, const Tensor& a, const Tensor& b, int da, int db) {
    throw ShapeError(std::string(op) + ": shapes " + to_string(a.shape()) + " and " + to_string(b.shape()) +
                     " not aligned: " + std::to_string(a.shape(da)) + " (dim " + std::to_string(a.ndim() + da) +
                     ") != " + std::to_string(b.shape(db)) + " (dim " + std::to_string((db < 0 ? b.ndim() : 0) + db) + ")");
}

std::pair<Tensor, Tensor> promoted(const Tensor& a, const Tensor& b, const char* op) {
    detail::require_defined(a, op);
    detail::require_defined(b, op);
    const DType dt = promote_types(a.dtype(), b.dtype());
    return {a.dtype() == dt ? a : a.astype(dt), b.dtype() == dt ? b : b.astype(dt)};
}

// a (m, k) · b (k, n) through the primitive.
Tensor mm(const Tensor& a, const Tensor& b) {
    return bmm(a.reshape({1, a.shape(0), a.shape(1)}), b.reshape({1, b.shape(0), b.shape(1)}))
        .reshape({a.shape(0), b.shape(1)});
}

Shape concat_shapes(Shape a, const Shape& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

inline namespace ops {

Tensor dot(const Tensor& a_in, const Tensor& b_in) {
    auto [a, b] = promoted(a_in, b_in, "dot");
    if (a.ndim() == 0 || b.ndim() == 0) return multiply(a, b);
    const int db = b.ndim() == 1 ? 0 : b.ndim() - 2;
    if (a.shape(-1) != b.shape(db)) not_aligned("dot", a, b, -1, db);
    const std::int64_t k = a.shape(-1);
    const Shape a_lead(a.shape().begin(), a.shape().end() - 1);
    if (b.ndim() == 1) {  // (..., k)·(k,) -> (...)
        // Floats: a summed product (pairwise, vectorised). Integers and bool
        // go through the product kernel so the result keeps their dtype and
        // wraps, as NumPy's dot does (int32·int32 is int32, bool·bool bool);
        // sum() would accumulate them in int64.
        if (a.ndim() == 1) {
            if (is_floating(a.dtype())) return sum(multiply(a, b));
            return mm(a.reshape({1, k}), b.reshape({k, 1})).reshape({});
        }
        return mm(a.reshape({numel(a_lead), k}), b.reshape({k, 1})).reshape(a_lead);
    }
    // (..., k)·(..., k, n): move b's contracted axis first, flatten the rest.
    std::vector<int> perm{db};
    for (int d = 0; d < b.ndim(); ++d)
        if (d != db) perm.push_back(d);
    // Explicit sizes, not -1: a zero-length k (NumPy: a zero matrix) leaves -1 undefined.
    Shape b_rest = b.shape();
    b_rest.erase(b_rest.begin() + db);
    Tensor b2 = b.transpose(perm).reshape({k, numel(b_rest)});
    return mm(a.reshape({numel(a_lead), k}), b2).reshape(concat_shapes(a_lead, b_rest));
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
    auto [a, b] = promoted(a_in, b_in, "matmul");
    if (a.ndim() == 0 || b.ndim() == 0)
        throw ValueError("matmul: input operand " + std::string(a.ndim() == 0 ? "0" : "1") +
                         " does not have enough dimensions (a scalar); use multiply");
    const bool a_vec = a.ndim() == 1, b_vec = b.ndim() == 1;
    Tensor a2 = a_vec ? a.reshape({1, a.shape(0)}) : a, b2 = b_vec ? b.reshape({b.shape(0), 1}) : b;
    if (a2.shape(-1) != b2.shape(-2))
        throw ShapeError("matmul: shapes " + to_string(a.shape()) + " and " + to_string(b.shape()) +
                         " not aligned: " + std::to_string(a2.shape(-1)) + " (last axis of the first) != " +
                         std::to_string(b2.shape(-2)) + " (" + (b_vec ? "only" : "second-to-last") + " axis of the second)");
    const std::int64_t m = a2.shape(-2), k = a2.shape(-1), n = b2.shape(-1);
    const Shape batch_a(a2.shape().begin(), a2.shape().end() - 2), batch_b(b2.shape().begin(), b2.shape().end() - 2);
    const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
    Tensor out;
    if (batch_b.empty()) {  // (..., m, k)·(k, n): one big product
        out = mm(a2.reshape({numel(batch_a) * m, k}), b2).reshape(concat_shapes(batch, {m, n}));
    } else {
        const std::int64_t B = numel(batch);
        Tensor a3 = broadcast_to(a2, concat_shapes(batch, {m, k})).reshape({B, m, k});
        Tensor b3 = broadcast_to(b2, concat_shapes(batch, {k, n})).reshape({B, k, n});
        out = bmm(a3, b3).reshape(concat_shapes(batch, {m, n}));
    }
    if (a_vec) out = out.squeeze(out.ndim() - 2);
    if (b_vec) out = out.squeeze(out.ndim() - 1);
    return out;
}

Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int>& a_axes, const std::vector<int>& b_axes) {
    detail::require_defined(a, "tensordot");
    detail::require_defined(b, "tensordot");
    if (a_axes.size() != b_axes.size())
        throw ValueError("tensordot: the two axis lists have different lengths (" + std::to_string(a_axes.size()) +
                         " and " + std::to_string(b_axes.size()) + ")");
    std::vector<bool> a_sum(static_cast<std::size_t>(a.ndim())), b_sum(static_cast<std::size_t>(b.ndim()));
    std::int64_t k = 1;
    for (std::size_t i = 0; i < a_axes.size(); ++i) {
        const int x = normalize_axis(a_axes[i], a.ndim(), "tensordot"), y = normalize_axis(b_axes[i], b.ndim(), "tensordot");
        if (a.shape(x) != b.shape(y))
            throw ShapeError("tensordot: shape-mismatch for sum: axis " + std::to_string(x) + " of " + to_string(a.shape()) +
                             " has size " + std::to_string(a.shape(x)) + ", axis " + std::to_string(y) + " of " +
                             to_string(b.shape()) + " has size " + std::to_string(b.shape(y)));
        a_sum[x] = b_sum[y] = true;
        k *= a.shape(x);
    }
    Shape out_shape;
    std::vector<int> a_perm, b_perm;
    for (int d = 0; d < a.ndim(); ++d)
        if (!a_sum[d]) a_perm.push_back(d), out_shape.push_back(a.shape(d));
    for (int x : a_axes) a_perm.push_back(normalize_axis(x, a.ndim(), "tensordot"));
    for (int y : b_axes) b_perm.push_back(normalize_axis(y, b.ndim(), "tensordot"));
    for (int d = 0; d < b.ndim(); ++d)
        if (!b_sum[d]) b_perm.push_back(d), out_shape.push_back(b.shape(d));
    auto [pa_t, pb_t] = promoted(a.transpose(a_perm), b.transpose(b_perm), "tensordot");
    const std::int64_t rows = numel(Shape(pa_t.shape().begin(), pa_t.shape().end() - static_cast<std::ptrdiff_t>(a_axes.size())));
    const std::int64_t cols = numel(Shape(pb_t.shape().begin() + static_cast<std::ptrdiff_t>(b_axes.size()), pb_t.shape().end()));
    return mm(pa_t.reshape({rows, k}), pb_t.reshape({k, cols})).reshape(out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int axes) {
    if (axes < 0 || axes > std::min(a.ndim(), b.ndim()))
        throw ValueError("tensordot: axes must be between 0 and " + std::to_string(std::min(a.ndim(), b.ndim())) +
                         ", got " + std::to_string(axes));
    std::vector<int> aa, ba;
    for (int i = 0; i < axes; ++i) aa.push_back(a.ndim() - axes + i), ba.push_back(i);
    return tensordot(a, b, aa, ba);
}

}  // namespace ops
}  // namespace nabla
