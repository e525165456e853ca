// float32 convolution on oneDNN 2.6 primitives, NHWC activations and HWIO
// (Keras's layout) weights, so nothing is reordered on the way in or out.
//
// Creating a primitive costs milliseconds (it JIT-compiles a kernel), so the
// calling thread keeps the primitives it has made, keyed by the geometry, the
// direction and the batch chunk, with their memory objects, a stream and a
// user-managed scratchpad: a training step finds its primitives already made
// and only points the memory objects at this step's buffers. The cache is
// the calling thread's, and each chunk of a split batch has its own entry,
// so two threads never share a scratchpad, a memory object or a stream.
#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "conv_kernels.hpp"
#include "core/parallel.hpp"
#include "gemm.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/threading.hpp"

namespace nabla::detail::conv {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

enum class Direction { Forward, BackwardData, BackwardWeights };

dnnl::engine& engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
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

// oneDNN picks its weights layout (format "any"): with Keras's HWIO it
// falls back to its im2col+gemm convolution, several times slower than its
// direct JIT kernels on the book's layers (measured with DNNL_VERBOSE). The
// weights are reordered to that layout on each call (a few hundred KB).
memory::desc any_weights(const memory::desc& md) {
    return memory::desc(md.dims(), memory::data_type::f32, tag::any);
}

dnnl::convolution_forward::primitive_desc forward_pd(const Geometry& g, bool bias) {
    Dims d = dims_of(g, bias);
    d.weights = any_weights(d.weights);
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
    Direction dir = Direction::Forward;
    bool bias = false;
    int threads = 1;  // oneDNN fixes a primitive's thread count when it makes it
    std::int64_t chunk = 0;  // the batch chunk it runs (on whichever thread takes the chunk)
    dnnl::stream stream;     // its own: used by one thread at a time, made with the entry
    dnnl::primitive prim;
    memory scratchpad;
    std::vector<std::pair<int, memory>> slots;  // argument id -> memory object (the caller's buffers)
    std::unordered_map<int, memory> args;
    // When oneDNN's weights layout is not HWIO: the weights in its layout,
    // reordered from the caller's before the run (forward, backward data)
    // or to them after it (backward weights).
    memory weights;
    std::optional<dnnl::reorder> before, after;
    std::size_t weights_slot = 0;
};

// Uses oneDNN's layout `chosen` for the weights argument when it differs.
void adopt_weights(Entry& e, int arg, const memory::desc& chosen, bool gradient) {
    for (std::size_t i = 0; i < e.slots.size(); ++i) {
        if (e.slots[i].first != arg) continue;
        const memory& user = e.slots[i].second;
        if (chosen == user.get_desc()) return;
        e.weights = memory(chosen, engine());
        e.weights_slot = i;
        if (gradient)
            e.after = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), chosen, engine(), user.get_desc()));
        else
            e.before = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user.get_desc(), engine(), chosen));
        return;
    }
}

Entry make_entry(const Geometry& g, Direction dir, bool bias, int threads, std::int64_t chunk) {
    const Dims d = dims_of(g, bias);
    const auto alg = dnnl::algorithm::convolution_direct;
    Entry e;
    e.g = g;
    e.dir = dir;
    e.bias = bias;
    e.threads = threads;
    e.chunk = chunk;
    e.stream = dnnl::stream(engine());
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
        adopt_weights(e, DNNL_ARG_WEIGHTS, fwd.weights_desc(), false);
    } else if (dir == Direction::BackwardData) {
        const dnnl::convolution_backward_data::desc desc(alg, d.src, any_weights(d.weights), d.dst, d.strides,
                                                         d.dilates, d.pad_l, d.pad_r);
        const dnnl::convolution_backward_data::primitive_desc pd(desc, user_scratchpad(), engine(), fwd);
        e.prim = dnnl::convolution_backward_data(pd);
        scratch = pd.scratchpad_desc();
        slot(DNNL_ARG_DIFF_DST, d.dst);
        slot(DNNL_ARG_WEIGHTS, d.weights);
        slot(DNNL_ARG_DIFF_SRC, d.src);
        adopt_weights(e, DNNL_ARG_WEIGHTS, pd.weights_desc(), false);
    } else {
        const memory::desc w = any_weights(d.weights);
        auto desc = bias ? dnnl::convolution_backward_weights::desc(alg, d.src, w, d.bias, d.dst, d.strides,
                                                                    d.dilates, d.pad_l, d.pad_r)
                         : dnnl::convolution_backward_weights::desc(alg, d.src, w, d.dst, d.strides,
                                                                    d.dilates, d.pad_l, d.pad_r);
        const dnnl::convolution_backward_weights::primitive_desc pd(desc, user_scratchpad(), engine(), fwd);
        e.prim = dnnl::convolution_backward_weights(pd);
        scratch = pd.scratchpad_desc();
        slot(DNNL_ARG_SRC, d.src);
        slot(DNNL_ARG_DIFF_DST, d.dst);
        slot(DNNL_ARG_DIFF_WEIGHTS, d.weights);
        if (bias) slot(DNNL_ARG_DIFF_BIAS, d.bias);
        adopt_weights(e, DNNL_ARG_DIFF_WEIGHTS, pd.diff_weights_desc(), true);
    }
    e.scratchpad = memory(scratch, engine());  // allocated once, here
    for (std::size_t i = 0; i < e.slots.size(); ++i)
        e.args.emplace(e.slots[i].first, e.weights && i == e.weights_slot ? e.weights : e.slots[i].second);
    e.args.emplace(DNNL_ARG_SCRATCHPAD, e.scratchpad);
    return e;
}

// The calling thread's entry for chunk `chunk` of a batch split.
Entry& cached(const Geometry& g, Direction dir, bool bias, int threads, std::int64_t chunk) {
    // A handful of entries per model (three per conv layer, batch size and
    // chunk): a linear search is shorter than hashing eighteen numbers.
    thread_local std::vector<std::unique_ptr<Entry>> cache;
    // oneDNN sizes a primitive's OpenMP team from the thread that makes it.
    set_openmp_threads(threads);
    for (auto& e : cache)
        if (e->dir == dir && e->bias == bias && e->threads == threads && e->chunk == chunk && e->g == g) return *e;
    cache.push_back(std::make_unique<Entry>(make_entry(g, dir, bias, threads, chunk)));
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
        memory& user_weights = e.slots[e.weights_slot].second;
        if (e.before) e.before->execute(e.stream, user_weights, e.weights);
        e.prim.execute(e.stream, e.args);
        if (e.after) e.after->execute(e.stream, e.weights, user_weights);
        e.stream.wait();
    } catch (const dnnl::error& err) {
        matrix_library_calls().fetch_sub(1, std::memory_order_relaxed);
        throw Error(std::string(what) + ": oneDNN failed: " + err.what());
    }
    matrix_library_calls().fetch_sub(1, std::memory_order_relaxed);
}

Entry& entry(const Geometry& g, Direction dir, bool bias, std::int64_t chunk, const char* what) {
    try {
        return cached(g, dir, bias, 1, chunk);
    } catch (const dnnl::error& err) {
        throw Error(std::string(what) + ": oneDNN could not create the primitive: " + err.what());
    }
}

// The batch split over nabla's team, each chunk a single-threaded primitive
// on its images (as nabla's sgemm splits a product): one thread team in the
// process, whose idle threads sleep, instead of oneDNN's OpenMP team, whose
// idle threads spin and, next to nabla's, made two threads slower than one
// on a busy machine. f(chunk, its entry, its first image).
//
// The calling thread makes (or finds) every chunk's entry before the chunks
// run: a chunk goes to whichever thread is free first, so an entry kept by
// the thread that ran it would be made again in whichever later step first
// hands that chunk to another thread — an allocation in a steady-state step.
template <typename F>
void over_batch(const Geometry& g, Direction dir, bool bias, const char* what, F&& f) {
    const std::int64_t chunks = parallel_chunk_count(g.n, 1);
    thread_local std::vector<Entry*> mine;  // grows once
    std::vector<Entry*>& entries = mine;    // the caller's, on every team thread
    entries.resize(static_cast<std::size_t>(chunks));
    for (std::int64_t c = 0; c < chunks; ++c) {
        Geometry part = g;
        const ChunkRange r = chunk_range(g.n, chunks, c);  // the images parallel_chunks gives chunk c
        part.n = r.end - r.begin;
        entries[static_cast<std::size_t>(c)] = &entry(part, dir, bias, c, what);
    }
    parallel_chunks(g.n, 1, [&](std::int64_t c, std::int64_t b, std::int64_t) {
        set_openmp_threads(1);  // the reorders size their team when they run
        f(c, *entries[static_cast<std::size_t>(c)], b);
    });
}

}  // namespace

void conv_dnnl_forward(const Geometry& g, const float* x, const float* k, const float* bias, float* y) {
    over_batch(g, Direction::Forward, bias != nullptr, "conv2d", [&](std::int64_t, Entry& e, std::int64_t b) {
        const float* xb = x + b * g.h * g.w * g.c;
        float* yb = y + b * g.oh * g.ow * g.o;
        if (bias)
            run(e, {xb, k, bias, yb}, "conv2d");
        else
            run(e, {xb, k, yb}, "conv2d");
    });
}

void conv_dnnl_backward_data(const Geometry& g, const float* dy, const float* k, float* dx) {
    over_batch(g, Direction::BackwardData, false, "conv2d gradient", [&](std::int64_t, Entry& e, std::int64_t b) {
        run(e, {dy + b * g.oh * g.ow * g.o, k, dx + b * g.h * g.w * g.c}, "conv2d gradient");
    });
}

void conv_dnnl_backward_weights(const Geometry& g, const float* x, const float* dy, float* dk, float* dbias) {
    // Chunk 0 writes dk and dbias, the others their own partial sums (kept
    // per calling thread, grown once), added in chunk order: the result
    // depends only on the thread count, as the sgemm split's.
    const std::int64_t nk = g.kh * g.kw * g.c * g.o;
    const std::int64_t chunks = parallel_chunk_count(g.n, 1);
    thread_local std::vector<std::vector<float>> mine;
    std::vector<std::vector<float>>& partials = mine;  // the caller's, on every team thread
    if (partials.size() < static_cast<std::size_t>(chunks)) partials.resize(static_cast<std::size_t>(chunks));
    for (std::int64_t c = 1; c < chunks; ++c)
        if (partials[c].size() < static_cast<std::size_t>(nk + g.o)) partials[c].resize(static_cast<std::size_t>(nk + g.o));
    over_batch(g, Direction::BackwardWeights, dbias != nullptr, "conv2d gradient",
               [&](std::int64_t c, Entry& e, std::int64_t b) {
        float* kout = c == 0 ? dk : partials[c].data();
        float* bout = c == 0 ? dbias : partials[c].data() + nk;
        const float* xb = x + b * g.h * g.w * g.c;
        const float* dyb = dy + b * g.oh * g.ow * g.o;
        if (dbias)
            run(e, {xb, dyb, kout, bout}, "conv2d gradient");
        else
            run(e, {xb, dyb, kout}, "conv2d gradient");
    });
    for (std::int64_t c = 1; c < chunks; ++c) {
        const float* part = partials[c].data();
        for (std::int64_t i = 0; i < nk; ++i) dk[i] += part[i];
        if (dbias)
            for (std::int64_t i = 0; i < g.o; ++i) dbias[i] += part[nk + i];
    }
}

}  // namespace nabla::detail::conv
