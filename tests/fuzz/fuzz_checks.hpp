// Checks the decode fuzz targets (fuzz_decode, fuzz_scan) run around every
// input, in the libFuzzer build and in the plain replay build alike:
//
// - Nothing may be written to standard output or error while the library
//   runs: fds 1 and 2 point at a private temp file for the duration of each
//   input, and any byte in it aborts the run (after restoring the real fds
//   and printing what was written). Sanitizer reports are sent to the real
//   stderr (__sanitizer_set_report_fd), so a crash still shows its report.
// - Under ASan: the live heap is tracked with malloc/free hooks, and an input
//   whose peak (above what was live when it started) exceeds the bound the
//   target gives aborts. The bound is the target's max_memory_bytes plus a
//   margin for what the decode estimates leave out by design (see the
//   targets): a decoder whose real use outgrows its estimate is caught.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define HG_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HG_FUZZ_ASAN 1
#endif
#endif

#ifdef HG_FUZZ_ASAN
#include <sanitizer/allocator_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace hgfuzz {

struct State {
    int real_out = -1, real_err = -1, trap = -1;
    std::atomic<std::int64_t> live{0}, peak{0};  // signed: frees of blocks from before the hooks go below 0
    std::atomic<bool> tracking{false};
};

inline State& state() {
    static State s;
    return s;
}

#ifdef HG_FUZZ_ASAN
inline void on_malloc(const volatile void*, std::size_t size) {
    State& s = state();
    const auto n = static_cast<std::int64_t>(size);
    const std::int64_t now = s.live.fetch_add(n, std::memory_order_relaxed) + n;
    std::int64_t p = s.peak.load(std::memory_order_relaxed);
    while (now > p && !s.peak.compare_exchange_weak(p, now, std::memory_order_relaxed)) {}
}
inline void on_free(const volatile void* ptr) {
    if (ptr)
        state().live.fetch_sub(static_cast<std::int64_t>(__sanitizer_get_allocated_size(const_cast<const void*>(ptr))),
                               std::memory_order_relaxed);
}
#endif

inline void init() {
    State& s = state();
    std::fflush(stdout);
    std::fflush(stderr);
    s.real_out = dup(1);
    s.real_err = dup(2);
    char path[] = "/tmp/hashguard-fuzz-stdio-XXXXXX";
    s.trap = mkstemp(path);
    if (s.real_out < 0 || s.real_err < 0 || s.trap < 0) std::abort();
    unlink(path);
#ifdef HG_FUZZ_ASAN
    __sanitizer_set_report_fd(reinterpret_cast<void*>(static_cast<std::intptr_t>(s.real_err)));
    // Counted from here on; blocks allocated earlier are freed without having
    // been counted (live may go negative): only differences are used.
    if (!__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free)) std::abort();
#endif
}

/// Before the library sees an input: stdout/stderr into the trap, peak
/// reset. Returns the live heap now, for end_input.
inline std::int64_t begin_input() {
    static const bool once = (init(), true);
    (void)once;
    State& s = state();
    std::fflush(stdout);
    std::fflush(stderr);
    if (ftruncate(s.trap, 0) != 0 || lseek(s.trap, 0, SEEK_SET) != 0) std::abort();
    dup2(s.trap, 1);
    dup2(s.trap, 2);
    const std::int64_t now = s.live.load();
    s.peak.store(now);
    return now;
}

/// After it: anything printed, or a heap peak above `max_heap_bytes` (ASan
/// builds only), aborts with the evidence on the real stderr.
inline void end_input(std::int64_t start_live, std::size_t max_heap_bytes) {
    State& s = state();
    std::fflush(stdout);
    std::fflush(stderr);
    dup2(s.real_out, 1);
    dup2(s.real_err, 2);
    struct stat st {};
    if (fstat(s.trap, &st) == 0 && st.st_size > 0) {
        char buf[2048];
        const ssize_t n = pread(s.trap, buf, sizeof buf - 1, 0);
        buf[n > 0 ? n : 0] = 0;
        std::fprintf(stderr, "FAIL: the library wrote %lld bytes to stdout/stderr during this input:\n%s\n",
                     static_cast<long long>(st.st_size), buf);
        std::abort();
    }
    const std::int64_t peak = s.peak.load() - start_live;
    if (max_heap_bytes && peak > static_cast<std::int64_t>(max_heap_bytes)) {
        std::fprintf(stderr, "FAIL: heap peak of %lld bytes during this input, above the bound of %zu\n",
                     static_cast<long long>(peak), max_heap_bytes);
        std::abort();
    }
}

}  // namespace hgfuzz
