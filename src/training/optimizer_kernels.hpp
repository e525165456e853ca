#pragma once
// Internal: the fused optimizer updates. Each reads and writes w, g and the
// slots once, in place, over raw contiguous arrays; threads split the
// elements above detail::kParallelGrain.
//
// Square roots: without -fno-math-errno GCC will not vectorise std::sqrt
// (it keeps a scalar call to set errno for negative inputs), so the
// kernels run in blocks of kBlock elements: a vector loop writes the
// radicands into a stack buffer, sqrt_block() takes their roots with
// explicit SIMD, and a second vector loop finishes the block while it is
// still in L1. Memory is still traversed once.
#include <cstdint>

namespace nabla::training_detail {

// Scalars of one step, already in the variable's dtype.
template <typename T>
struct StepScalars {
    T lr;
    T grad_scale;  // clipnorm / global_clipnorm factor (1 when off)
    T clip;        // clipvalue bound (+inf when off)
    T decay;       // weight_decay (0 when off)
};

template <typename T>
struct SGDKernel {
    T momentum;
    bool nesterov;
    T* m;  // null without momentum
};

template <typename T>
struct RMSpropKernel {
    T rho, one_minus_rho, momentum, epsilon;
    T* v;   // velocity
    T* m;   // momentum, or null
    T* mg;  // average gradient (centered), or null
};

template <typename T>
struct AdagradKernel {
    T epsilon;
    T* a;  // accumulator
};

template <typename T>
struct AdamKernel {
    T alpha, one_minus_beta_1, one_minus_beta_2, epsilon;
    T* m;
    T* v;
    T* v_hat;  // amsgrad, or null
};

// w and g have n elements; slots are in the kernel structs.
template <typename T>
void sgd_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const SGDKernel<T>& k);
template <typename T>
void rmsprop_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const RMSpropKernel<T>& k);
template <typename T>
void adagrad_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const AdagradKernel<T>& k);
template <typename T>
void adam_update(T* w, const T* g, std::int64_t n, const StepScalars<T>& s, const AdamKernel<T>& k);

// sum(g^2) in double, threaded; for clipnorm / global_clipnorm.
template <typename T>
double squared_norm(const T* g, std::int64_t n);

}  // namespace nabla::training_detail
