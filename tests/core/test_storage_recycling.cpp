// Large Storage blocks are recycled by size (src/core/storage.cpp): a freed
// block serves the next request of the same size, and recycled memory is
// still zeroed when zeros are asked for. Not under AddressSanitizer, which
// must see every free.
#include <gtest/gtest.h>

#include <thread>

#include "nabla/core/storage.hpp"
#include "nabla/core/tensor.hpp"

using namespace nabla;

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycles = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRecycles = false;
#else
constexpr bool kRecycles = true;
#endif
#else
constexpr bool kRecycles = true;
#endif
constexpr std::size_t kLarge = std::size_t{3} << 20;  // well above the 256 KiB threshold
}  // namespace

TEST(StorageRecycling, AFreedLargeBlockServesTheNextOfItsSize) {
    if (!kRecycles) GTEST_SKIP() << "AddressSanitizer build: blocks are not recycled";
    const std::byte* first = nullptr;
    {
        Storage s(kLarge, false);
        first = s.data();
    }
    Storage again(kLarge, false);
    EXPECT_EQ(again.data(), first);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.data()) % 64, 0u);
}

TEST(StorageRecycling, RecycledBlocksAreZeroedWhenAskedAndSizesDoNotMix) {
    {
        Storage dirty(kLarge, false);
        std::fill(dirty.data(), dirty.data() + kLarge, std::byte{0xab});
    }
    Storage clean(kLarge);  // zero_fill
    for (std::size_t i = 0; i < kLarge; i += 4093) ASSERT_EQ(clean.data()[i], std::byte{0}) << i;
    // A block of another size is never handed out for this one.
    const std::byte* held = clean.data();
    Storage other(kLarge + 4096, false);
    EXPECT_NE(other.data(), held);
}

TEST(StorageRecycling, BlocksFreedOnOneThreadServeAnother) {
    Tensor made_elsewhere;
    std::thread([&] { made_elsewhere = Tensor::uninitialized({1 << 20}, float32); }).join();
    const void* p = made_elsewhere.data<float>();
    made_elsewhere = Tensor();  // freed here
    std::thread([&] {
        Tensor t = Tensor::uninitialized({1 << 20}, float32);
        if (kRecycles) EXPECT_EQ(static_cast<const void*>(t.data<float>()), p);
        t.data<float>()[0] = 1.0f;
    }).join();
}
