// float32 convolution on oneDNN 2.6 primitives, NHWC activations and HWIO
// (Keras's layout) weights, so nothing is reordered on the way in or out.
//
// Creating a primitive costs milliseconds (it JIT-compiles a kernel), so each
// thread keeps the primitives it has made, keyed by the geometry and the
// direction, with their memory objects and a user-managed scratchpad: a
// training step finds its three primitives per layer already made and only
// points the memory objects at this step's buffers. The cache is
// thread-local, so two threads never share a scratchpad or a memory object.
#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <string>
#include <vector>

#include "conv_kernels.hpp"
#include "gemm.hpp"
#include "nabla/core/error.hpp"

namespace nabla::detail::conv {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

enum class Direction { Forward, BackwardData, BackwardWeights };

dnnl::engine& engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

dnnl::stream& stream() {
    thread_local dnnl::stream s(engine());
    return s;
}

struct Dims {
    memory::desc src, weights, bias, dst;
    memory::dims strides, dilates, pad_l, pad_r;
};

Dims dims_of(const Geometry& g, bool bias) {
    const auto f32 = memory::data_type::f32;
    Dims d;
    d.src = memory::desc({g.n, g.c, g.h, g.w}, f32, tag::nhwc);
    d.weights = memory::desc({g.o, g.c, g.kh, g.kw}, f32, tag::hwio);
    if (bias) d.bias = memory::desc({g.o}, f32, tag::x);
    d.dst = memory::desc({g.n, g.o, g.oh, g.ow}, f32, tag::nhwc);
    d.strides = {g.sh, g.sw};
    d.dilates = {g.dh - 1, g.dw - 1};  // oneDNN counts the gaps
    d.pad_l = {g.pt, g.pl};
    d.pad_r = {g.pb, g.pr};
    return d;
}

dnnl::primitive_attr user_scratchpad() {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return attr;
}

dnnl::convolution_forward::primitive_desc forward_pd(const Geometry& g, bool bias) {
    const Dims d = dims_of(g, bias);
    const auto alg = dnnl::algorithm::convolution_direct;
    const auto prop = dnnl::prop_kind::forward_training;
    auto desc = bias ? dnnl::convolution_forward::desc(prop, alg, d.src, d.weights, d.bias, d.dst, d.strides,
                                                       d.dilates, d.pad_l, d.pad_r)
                     : dnnl::convolution_forward::desc(prop, alg, d.src, d.weights, d.dst, d.strides, d.dilates,
                                                       d.pad_l, d.pad_r);
    return {desc, user_scratchpad(), engine()};
}

// One cached primitive with its memory objects (pointed at the caller's
// buffers on every call) and its scratchpad (owned, reused).
struct Entry {
    Geometry g;
    Direction dir;
    bool bias;
    dnnl::primitive prim;
    memory scratchpad;
    std::vector<std::pair<int, memory>> slots;  // argument id -> memory object
    std::unordered_map<int, memory> args;
};

Entry make_entry(const Geometry& g, Direction dir, bool bias) {
    const Dims d = dims_of(g, bias);
    const auto alg = dnnl::algorithm::convolution_direct;
    Entry e{g, dir, bias, {}, {}, {}, {}};
    const auto fwd = forward_pd(g, bias);
    memory::desc scratch;
    auto slot = [&](int arg, const memory::desc& md) { e.slots.emplace_back(arg, memory(md, engine(), nullptr)); };
    if (dir == Direction::Forward) {
        e.prim = dnnl::convolution_forward(fwd);
        scratch = fwd.scratchpad_desc();
        slot(DNNL_ARG_SRC, d.src);
        slot(DNNL_ARG_WEIGHTS, d.weights);
        if (bias) slot(DNNL_ARG_BIAS, d.bias);
        slot(DNNL_ARG_DST, d.dst);
    } else if (dir == Direction::BackwardData) {
        const dnnl::convolution_backward_data::desc desc(alg, d.src, d.weights, d.dst, d.strides, d.dilates, d.pad_l,
                                                         d.pad_r);
        const dnnl::convolution_backward_data::primitive_desc pd(desc, user_scratchpad(), engine(), fwd);
        e.prim = dnnl::convolution_backward_data(pd);
        scratch = pd.scratchpad_desc();
        slot(DNNL_ARG_DIFF_DST, d.dst);
        slot(DNNL_ARG_WEIGHTS, d.weights);
        slot(DNNL_ARG_DIFF_SRC, d.src);
    } else {
        auto desc = bias ? dnnl::convolution_backward_weights::desc(alg, d.src, d.weights, d.bias, d.dst, d.strides,
                                                                    d.dilates, d.pad_l, d.pad_r)
                         : dnnl::convolution_backward_weights::desc(alg, d.src, d.weights, d.dst, d.strides,
                                                                    d.dilates, d.pad_l, d.pad_r);
        const dnnl::convolution_backward_weights::primitive_desc pd(desc, user_scratchpad(), engine(), fwd);
        e.prim = dnnl::convolution_backward_weights(pd);
        scratch = pd.scratchpad_desc();
        slot(DNNL_ARG_SRC, d.src);
        slot(DNNL_ARG_DIFF_DST, d.dst);
        slot(DNNL_ARG_DIFF_WEIGHTS, d.weights);
        if (bias) slot(DNNL_ARG_DIFF_BIAS, d.bias);
    }
    e.scratchpad = memory(scratch, engine());  // allocated once, here
    for (const auto& [arg, mem] : e.slots) e.args.emplace(arg, mem);
    e.args.emplace(DNNL_ARG_SCRATCHPAD, e.scratchpad);
    return e;
}

Entry& cached(const Geometry& g, Direction dir, bool bias) {
    // A handful of entries per model (three per conv layer and batch size):
    // a linear search is shorter than hashing eighteen numbers.
    thread_local std::vector<std::unique_ptr<Entry>> cache;
    for (auto& e : cache)
        if (e->dir == dir && e->bias == bias && e->g == g) return *e;
    cache.push_back(std::make_unique<Entry>(make_entry(g, dir, bias)));
    return *cache.back();
}

// Points the entry's memory objects at `buffers` (in slot order) and runs it.
void run(Entry& e, std::initializer_list<const float*> buffers, const char* what) {
    std::size_t i = 0;
    for (const float* p : buffers) e.slots[i++].second.set_data_handle(const_cast<float*>(p));
    // oneDNN allocates a little bookkeeping on every execute; the steady-state
    // allocation test tells those from nabla's own through this counter.
    matrix_library_calls().fetch_add(1, std::memory_order_relaxed);
    try {
        e.prim.execute(stream(), e.args);
        stream().wait();
    } catch (const dnnl::error& err) {
        matrix_library_calls().fetch_sub(1, std::memory_order_relaxed);
        throw Error(std::string(what) + ": oneDNN failed: " + err.what());
    }
    matrix_library_calls().fetch_sub(1, std::memory_order_relaxed);
}

Entry& entry(const Geometry& g, Direction dir, bool bias, const char* what) {
    try {
        return cached(g, dir, bias);
    } catch (const dnnl::error& err) {
        throw Error(std::string(what) + ": oneDNN could not create the primitive: " + err.what());
    }
}

}  // namespace

void conv_dnnl_forward(const Geometry& g, const float* x, const float* k, const float* bias, float* y) {
    Entry& e = entry(g, Direction::Forward, bias != nullptr, "conv2d");
    if (bias)
        run(e, {x, k, bias, y}, "conv2d");
    else
        run(e, {x, k, y}, "conv2d");
}

void conv_dnnl_backward_data(const Geometry& g, const float* dy, const float* k, float* dx) {
    run(entry(g, Direction::BackwardData, false, "conv2d gradient"), {dy, k, dx}, "conv2d gradient");
}

void conv_dnnl_backward_weights(const Geometry& g, const float* x, const float* dy, float* dk, float* dbias) {
    Entry& e = entry(g, Direction::BackwardWeights, dbias != nullptr, "conv2d gradient");
    if (dbias)
        run(e, {x, dy, dk, dbias}, "conv2d gradient");
    else
        run(e, {x, dy, dk}, "conv2d gradient");
}

}  // namespace nabla::detail::conv
