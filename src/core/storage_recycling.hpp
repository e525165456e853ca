#pragma once
// Internal: whether Storage recycles large blocks (storage.cpp). Not in
// AddressSanitizer builds, which must see every free to find a use after it;
// the tests read the same switch.
namespace nabla::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kStorageRecycles = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kStorageRecycles = false;
#else
inline constexpr bool kStorageRecycles = true;
#endif
#else
inline constexpr bool kStorageRecycles = true;
#endif

}  // namespace nabla::detail
