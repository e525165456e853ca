// Under AddressSanitizer, an allocation that cannot be served returns NULL
// (so nabla throws std::bad_alloc -> MemoryError, as in a real program)
// instead of aborting the test binary: the memory-limit tests
// (tests/io/test_memory_limits.cpp) check exactly that path.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif
