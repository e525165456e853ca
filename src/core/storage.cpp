#include "nabla/core/storage.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "core/storage_recycling.hpp"

namespace nabla {

namespace {

// Freed large blocks, kept for the next allocation of exactly their size.
// glibc serves blocks this large with mmap (or trims them off the heap's
// top) and returns them to the kernel on free, so a training step that
// makes the same activations every step page-faulted all of them in again:
// 30% of the book's convnet step was the kernel zeroing pages (perf). Small
// blocks are left to malloc, which reuses them without faults. The bound
// keeps what is held but unused small next to a model's working set.
constexpr std::size_t kMinCached = std::size_t{256} << 10;
constexpr std::size_t kMaxHeld = std::size_t{256} << 20;
constexpr std::size_t kSlots = 64;

constexpr bool kRecycle = detail::kStorageRecycles;  // off under ASan (storage_recycling.hpp)

// Set when the cache is destroyed at exit: later frees (tensors in other
// static objects) go straight to free().
std::atomic<bool> cache_gone{false};

class BlockCache {
public:
    ~BlockCache() {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < used_; ++i) std::free(slots_[i].p);
        used_ = 0;
        cache_gone.store(true, std::memory_order_relaxed);
    }

    std::byte* take(std::size_t bytes) {
        std::lock_guard lock(mutex_);
        for (std::size_t i = used_; i-- > 0;)  // the most recent first: warm in cache
            if (slots_[i].bytes == bytes) {
                std::byte* p = slots_[i].p;
                remove(i);
                held_ -= bytes;
                return p;
            }
        return nullptr;
    }

    // Frees every held block (an allocation failed: the memory is needed).
    void release_all() {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < used_; ++i) std::free(slots_[i].p);
        used_ = held_ = 0;
    }

    // Keeps `p` unless it is too large; evicts the oldest blocks for room.
    bool give(std::byte* p, std::size_t bytes) {
        if (bytes > kMaxHeld / 4) return false;
        std::lock_guard lock(mutex_);
        while (used_ > 0 && (used_ == kSlots || held_ + bytes > kMaxHeld)) {
            std::free(slots_[0].p);
            held_ -= slots_[0].bytes;
            remove(0);
        }
        slots_[used_++] = {p, bytes};
        held_ += bytes;
        return true;
    }

private:
    struct Slot {
        std::byte* p = nullptr;
        std::size_t bytes = 0;
    };
    void remove(std::size_t i) {
        for (std::size_t j = i + 1; j < used_; ++j) slots_[j - 1] = slots_[j];
        --used_;
    }

    std::mutex mutex_;
    std::array<Slot, kSlots> slots_{};  // oldest first; fixed: recycling allocates nothing
    std::size_t used_ = 0, held_ = 0;
};

BlockCache& cache() {
    static BlockCache c;
    return c;
}

}  // namespace

void Storage::AlignedFree::operator()(std::byte* p) const noexcept {
    if (kRecycle && bytes >= kMinCached && !cache_gone.load(std::memory_order_relaxed) && cache().give(p, bytes))
        return;
    std::free(p);
}

Storage::Storage(std::size_t nbytes, bool zero_fill) : nbytes_(nbytes) {
    constexpr std::size_t kAlign = 64;  // a cache line, and one AVX-512 register
    const std::size_t padded = (nbytes + kAlign - 1) / kAlign * kAlign + kAlign;
    const bool recycled = kRecycle && padded >= kMinCached && !cache_gone.load(std::memory_order_relaxed);
    std::byte* p = recycled ? cache().take(padded) : nullptr;
    if (!p) p = static_cast<std::byte*>(std::aligned_alloc(kAlign, padded));
    if (!p && kRecycle && !cache_gone.load(std::memory_order_relaxed)) {
        cache().release_all();  // idle recycled blocks must not cause a MemoryError
        p = static_cast<std::byte*>(std::aligned_alloc(kAlign, padded));
    }
    if (!p) throw std::bad_alloc();
    if (zero_fill) std::memset(p, 0, padded);
    data_ = std::unique_ptr<std::byte[], AlignedFree>(p, AlignedFree{padded});
}

}  // namespace nabla
