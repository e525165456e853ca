#pragma once
// Internal: the first Dense layer's two products with the input batch X
// (rows × K, row-major) that skip X's zeros (docs/PERFORMANCE.md, "Sparse
// first layer"). MNIST digits are ~81% zeros and the first layer does ~99%
// of the book model's arithmetic, so on such batches
//   forward          Z  (rows × N) = X · W        (W: K × N)
//   weight gradient  dW (K × N)    = Xᵀ · dY      (dY: rows × N)
// cost nnz(X)·N multiply-adds each instead of rows·K·N.
//
// SparseInput decides per batch from X's measured density (one count of its
// zeros) and keeps the batch's nonzeros by row (forward) and by column
// (weight gradient) in buffers that only grow: no allocation in the steady
// state of a training step. Each output element is one thread's sum over its
// nonzeros in increasing k (or i) order, so results do not depend on the
// thread count; they differ from the dense product only by rounding (the
// dense product sums in its own blocked order).
#include <cstdint>
#include <vector>

namespace nabla::detail::sparse {

// auto: per batch from the density; dense / sparse: forced (tests, and the
// environment variable NABLA_SPARSE_INPUT=auto|dense|sparse, read once).
enum class Mode { automatic, dense, sparse };
Mode mode();
void set_mode(Mode m);  // for tests; overrides the environment

// The density (nonzero fraction) at or below which the sparse path is taken
// (measured: docs/PERFORMANCE.md).
inline constexpr double kMaxDensity = 0.25;

// Batches that took the sparse path, process-wide (a test hook).
std::int64_t sparse_batches();

// Nonzeros of a rows × K batch.
std::int64_t count_nonzeros(const float* X, std::int64_t rows, std::int64_t K);

class SparseInput {
public:
    // Counts X's nonzeros and decides; on the sparse path also indexes
    // them. True when the sparse path is taken for this batch.
    bool prepare(const float* X, std::int64_t rows, std::int64_t K);
    bool active() const { return active_; }
    // The nonzero fraction measured (a dense batch: of the rows counted
    // before the count stopped).
    double density() const { return density_; }

    // Z (rows × N) = X·W, W: K × N; Z is overwritten.
    void forward(const float* W, std::int64_t N, float* Z);
    // dW (K × N) = Xᵀ·dY, dY: rows × N; dW is overwritten.
    void weight_gradient(const float* dY, std::int64_t N, float* dW);

private:
    void index(const float* X, std::int64_t rows, std::int64_t K);
    float* scratch(std::int64_t R, std::int64_t N);

    bool active_ = false;
    double density_ = 1.0;
    std::int64_t rows_ = 0, K_ = 0;
    std::vector<std::int32_t> row_start_, cols_;     // by row (CSR)
    std::vector<float> row_vals_;
    std::vector<std::int32_t> col_start_, row_ids_;  // by column (CSC)
    std::vector<float> col_vals_;
    std::vector<float> packed_;  // W or dY in column tiles (sparse_kernels.cpp)
};

}  // namespace nabla::detail::sparse
