// Views: indexing, reshape, transpose, expand_dims, squeeze — each with its
// backward rule right below its forward.
#include <algorithm>
#include <numeric>

#include "nabla/core/graph.hpp"
#include "nabla/core/tensor.hpp"
#include "tensor_impl.hpp"

namespace nabla {

namespace {

struct AxisRange {
    std::int64_t start, step, length;
};

// The number of elements start, start+step, ... before stop, for resolved
// bounds (|start|, |stop| <= n + 1). In unsigned arithmetic: with a step
// near +-2^63, stop - start + step - 1 overflows and -INT64_MIN does not exist.
std::int64_t slice_length(std::int64_t start, std::int64_t stop, std::int64_t step) {
    if (step > 0 ? stop <= start : start <= stop) return 0;
    const std::uint64_t span = step > 0 ? static_cast<std::uint64_t>(stop - start) : static_cast<std::uint64_t>(start - stop);
    const std::uint64_t by = step > 0 ? static_cast<std::uint64_t>(step) : std::uint64_t{0} - static_cast<std::uint64_t>(step);
    return static_cast<std::int64_t>((span - 1) / by + 1);
}

// Python's slice.indices(n) followed by the length computation.
AxisRange resolve_slice(const Slice& s, std::int64_t n) {
    const std::int64_t step = s.step.value_or(1);
    if (step == 0) throw ValueError("slice step cannot be zero");
    std::int64_t start, stop;
    auto clamp = [](std::int64_t v, std::int64_t lo, std::int64_t hi) { return std::clamp(v, lo, hi); };
    if (step > 0) {
        start = s.start ? clamp(*s.start < 0 ? *s.start + n : *s.start, 0, n) : 0;
        stop = s.stop ? clamp(*s.stop < 0 ? *s.stop + n : *s.stop, 0, n) : n;
    } else {
        start = s.start ? clamp(*s.start < 0 ? *s.start + n : *s.start, -1, n - 1) : n - 1;
        stop = s.stop ? clamp(*s.stop < 0 ? *s.stop + n : *s.stop, -1, n - 1) : -1;
    }
    return {start, step, slice_length(start, stop, step)};
}

std::int64_t resolve_int(std::int64_t i, std::int64_t n, int axis) {
    if (i < -n || i >= n)
        throw IndexError("index " + std::to_string(i) + " is out of bounds for axis " + std::to_string(axis) +
                         " with size " + std::to_string(n));
    return i < 0 ? i + n : i;
}

Tensor index_view(const Tensor& x, const std::vector<Index>& items) {
    int consumed = 0, ellipses = 0;
    for (const auto& it : items) {
        if (std::holds_alternative<std::int64_t>(it.item) || std::holds_alternative<Slice>(it.item)) ++consumed;
        if (std::holds_alternative<EllipsisType>(it.item)) ++ellipses;
    }
    if (ellipses > 1) throw IndexError("an index can only have a single ellipsis (Ellipsis)");
    if (consumed > x.ndim())
        throw IndexError("too many indices for tensor: tensor is " + std::to_string(x.ndim()) + "-dimensional, but " +
                         std::to_string(consumed) + " were indexed");
    Shape shape;
    Strides strides;
    std::int64_t offset = x.offset();
    int axis = 0;
    auto keep_axis = [&](int a) {
        shape.push_back(x.shape()[a]);
        strides.push_back(x.strides()[a]);
    };
    for (const auto& it : items) {
        if (auto* i = std::get_if<std::int64_t>(&it.item)) {
            offset += resolve_int(*i, x.shape()[axis], axis) * x.strides()[axis];
            ++axis;
        } else if (auto* s = std::get_if<Slice>(&it.item)) {
            const AxisRange r = resolve_slice(*s, x.shape()[axis]);
            if (r.length > 0) offset += r.start * x.strides()[axis];
            shape.push_back(r.length);
            strides.push_back(r.length > 1 ? x.strides()[axis] * r.step : x.strides()[axis]);  // no overflow for a huge step
            ++axis;
        } else if (std::holds_alternative<EllipsisType>(it.item)) {
            for (int k = 0; k < x.ndim() - consumed; ++k) keep_axis(axis++);
        } else {
            shape.push_back(1);
            strides.push_back(0);
        }
    }
    while (axis < x.ndim()) keep_axis(axis++);
    return detail::make_view(x, std::move(shape), std::move(strides), offset);
}

// The gradient of x.index(items): g written into zeros of x's shape. The
// write itself is in place (never recorded), so when an outer tape is
// recording (gradients of gradients) the scatter records itself as one node
// whose backward is the same indexing, itself recorded.
Tensor scatter_index_gradient(const Tensor& g, const Shape& shape, const std::vector<Index>& items) {
    Tensor gx = zeros(shape, g.dtype());
    index_view(gx, items).assign(g);
    if (graph::recording() && is_floating(gx.dtype()))
        graph::record("index_gradient", {g}, gx,
                      [items](const Tensor& gg) { return std::vector<Tensor>{gg.index(items)}; });
    return gx;
}

void record_index(const Tensor& x, const Tensor& out, std::vector<Index> items) {
    if (!graph::recording()) return;
    graph::record("index", {x}, out, [shape = x.shape(), items = std::move(items)](const Tensor& g) {
        return std::vector<Tensor>{scatter_index_gradient(g, shape, items)};
    });
}

// NumPy's _attempt_nocopy_reshape: strides for `to` over the same elements
// as (shape, strides), or nothing if a copy is needed.
std::optional<Strides> nocopy_strides(const Shape& from, const Strides& fst, const Shape& to) {
    Shape os;
    Strides ost;
    for (std::size_t i = 0; i < from.size(); ++i)
        if (from[i] != 1) {
            os.push_back(from[i]);
            ost.push_back(fst[i]);
        }
    Strides nst(to.size(), 0);
    std::size_t oi = 0, oj = 1, ni = 0, nj = 1;
    const std::size_t on = os.size(), nn = to.size();
    while (ni < nn && oi < on) {
        std::int64_t np = to[ni], op = os[oi];
        while (np != op) {
            if (np < op) np *= to[nj++];
            else op *= os[oj++];
        }
        for (std::size_t ok = oi; ok + 1 < oj; ++ok)
            if (ost[ok] != os[ok + 1] * ost[ok + 1]) return std::nullopt;
        nst[nj - 1] = ost[oj - 1];
        for (std::size_t nk = nj - 1; nk > ni; --nk) nst[nk - 1] = nst[nk] * to[nk];
        ni = nj++;
        oi = oj++;
    }
    // trailing length-1 axes
    for (std::size_t k = ni; k < nn; ++k) nst[k] = ni > 0 ? nst[ni - 1] : 1;
    return nst;
}

Shape infer_shape(Shape shape, std::int64_t size) {
    int unknown = -1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (unknown >= 0) throw ValueError("reshape: can only specify one unknown dimension (-1)");
            unknown = static_cast<int>(i);
        } else if (shape[i] < 0) {
            throw ValueError("reshape: negative dimension in " + to_string(shape));
        }
    }
    Shape known_sizes = shape;  // the -1 counted as 1; an overflowing product is refused
    if (unknown >= 0) known_sizes[unknown] = 1;
    const std::int64_t known = checked_numel(known_sizes, "reshape");
    if (unknown >= 0 && known != 0 && size % known == 0) shape[unknown] = size / known;
    if ((unknown >= 0 && (known == 0 || size % known != 0)) || numel(shape) != size) {
        Shape shown = shape;
        throw ShapeError("cannot reshape tensor of size " + std::to_string(size) + " into shape " + to_string(shown));
    }
    return shape;
}

}  // namespace

Tensor Tensor::index(const std::vector<Index>& items) const {
    Tensor out = index_view(*this, items);
    record_index(*this, out, items);
    return out;
}

Tensor Tensor::index(std::initializer_list<Index> items) const { return index(std::vector<Index>(items)); }
Tensor Tensor::operator[](std::int64_t i) const { return index(std::vector<Index>{Index(i)}); }
Tensor Tensor::operator[](Slice s) const { return index(std::vector<Index>{Index(s)}); }

Tensor Tensor::reshape(Shape new_shape) const {
    new_shape = infer_shape(std::move(new_shape), size());
    Tensor out;
    if (is_contiguous()) {
        out = detail::make_view(*this, new_shape, contiguous_strides(new_shape), offset());
    } else if (auto st = size() > 0 ? nocopy_strides(shape(), strides(), new_shape) : std::nullopt) {
        out = detail::make_view(*this, new_shape, *st, offset());
    } else {
        Tensor c = Tensor::uninitialized(shape(), dtype());
        detail::copy_into(*this, c);
        out = detail::make_view(c, new_shape, contiguous_strides(new_shape), c.offset());
    }
    if (graph::recording())
        graph::record("reshape", {*this}, out,
                      [s = shape()](const Tensor& g) { return std::vector<Tensor>{g.reshape(s)}; });
    return out;
}

Tensor Tensor::transpose() const {
    std::vector<int> axes(static_cast<std::size_t>(ndim()));
    std::iota(axes.rbegin(), axes.rend(), 0);
    return transpose(axes);
}

Tensor Tensor::transpose(const std::vector<int>& axes) const {
    const int n = ndim();
    if (static_cast<int>(axes.size()) != n)
        throw ValueError("transpose: axes don't match tensor: " + std::to_string(axes.size()) +
                         " axes for a tensor of dimension " + std::to_string(n));
    std::vector<int> perm(axes.size());
    std::vector<bool> seen(axes.size(), false);
    Shape sh(axes.size());
    Strides st(axes.size());
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const int a = normalize_axis(axes[i], n, "transpose");
        if (seen[a]) throw ValueError("transpose: repeated axis " + std::to_string(axes[i]));
        seen[a] = true;
        perm[i] = a;
        sh[i] = shape()[a];
        st[i] = strides()[a];
    }
    Tensor out = detail::make_view(*this, std::move(sh), std::move(st), offset());
    if (graph::recording()) {
        std::vector<int> inverse(perm.size());
        for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int>(i);
        graph::record("transpose", {*this}, out,
                      [inverse](const Tensor& g) { return std::vector<Tensor>{g.transpose(inverse)}; });
    }
    return out;
}

Tensor Tensor::expand_dims(int axis) const {
    const int a = normalize_axis(axis, ndim() + 1, "expand_dims");
    Shape sh = shape();
    Strides st = strides();
    sh.insert(sh.begin() + a, 1);
    st.insert(st.begin() + a, 0);
    Tensor out = detail::make_view(*this, std::move(sh), std::move(st), offset());
    if (graph::recording())
        graph::record("expand_dims", {*this}, out, [a](const Tensor& g) { return std::vector<Tensor>{g.squeeze(a)}; });
    return out;
}

Tensor Tensor::squeeze() const {
    Shape sh;
    Strides st;
    for (int i = 0; i < ndim(); ++i)
        if (shape()[i] != 1) {
            sh.push_back(shape()[i]);
            st.push_back(strides()[i]);
        }
    Tensor out = detail::make_view(*this, std::move(sh), std::move(st), offset());
    if (graph::recording())
        graph::record("squeeze", {*this}, out, [s = shape()](const Tensor& g) { return std::vector<Tensor>{g.reshape(s)}; });
    return out;
}

Tensor Tensor::squeeze(int axis) const {
    const int a = normalize_axis(axis, ndim(), "squeeze");
    if (shape()[a] != 1)
        throw ValueError("squeeze: cannot select an axis to squeeze out which has size not equal to one (axis " +
                         std::to_string(axis) + " has size " + std::to_string(shape()[a]) + ")");
    Shape sh = shape();
    Strides st = strides();
    sh.erase(sh.begin() + a);
    st.erase(st.begin() + a);
    Tensor out = detail::make_view(*this, std::move(sh), std::move(st), offset());
    if (graph::recording())
        graph::record("squeeze", {*this}, out, [a](const Tensor& g) { return std::vector<Tensor>{g.expand_dims(a)}; });
    return out;
}

Tensor Tensor::flatten() const { return copy().reshape({-1}); }

}  // namespace nabla
