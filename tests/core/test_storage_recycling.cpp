// Large Storage blocks are recycled by size (src/core/storage.cpp): a freed
// block serves the next request of the same size, and recycled memory is
// still zeroed when zeros are asked for. Not under AddressSanitizer, which
// must see every free.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "nabla/core/storage.hpp"
#include "core/storage_recycling.hpp"
#include "nabla/core/tensor.hpp"

using namespace nabla;

namespace {
constexpr bool kRecycles = detail::kStorageRecycles;
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
        if (kRecycles) {
            EXPECT_EQ(static_cast<const void*>(t.data<float>()), p);
        }
        t.data<float>()[0] = 1.0f;
    }).join();
}

// Held blocks are given back when an allocation fails: in a child whose
// address space leaves 32 MiB beyond what it maps, 64 MiB of freed (recycled) blocks
// of one size must not stop a 64 MiB block of another size.
TEST(StorageRecycling, HeldBlocksAreReleasedWhenMemoryRunsOut) {
    if (!kRecycles) GTEST_SKIP() << "AddressSanitizer build: blocks are not recycled";
    const pid_t pid = ::fork();
    if (pid == 0) {
        {
            std::vector<Storage> blocks;
            for (int i = 0; i < 16; ++i) blocks.emplace_back(std::size_t{4} << 20, false);
        }  // 16 x 4 MiB now held by the cache
        struct rlimit now {};
        ::getrlimit(RLIMIT_AS, &now);
        std::ifstream status("/proc/self/status");
        std::string key;
        std::uint64_t kb = 0;
        while (status >> key && key != "VmSize:") {}
        status >> kb;
        struct rlimit lim {};
        lim.rlim_cur = lim.rlim_max = kb * 1024 + (std::uint64_t{32} << 20);
        if (::setrlimit(RLIMIT_AS, &lim) != 0) ::_exit(3);
        try {
            Storage big(std::size_t{64} << 20, false);
            ::_exit(0);
        } catch (const std::bad_alloc&) {
            ::_exit(1);
        }
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: bad_alloc although the cache held 64 MiB; 3: setrlimit failed";
}
