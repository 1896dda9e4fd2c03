// LD_PRELOAD fault injector for testing the CLI and the shared library as
// they run: makes one chosen allocation or thread creation fail.
//
//   HG_FAULT_NEW=K             the K-th call of operator new in the process throws
//                              std::bad_alloc (nothrow new returns null)
//   HG_FAULT_NEW_COUNT_FILE=F  writes the number of operator new calls to F at exit
//   HG_FAULT_THREADS=N         pthread_create fails with EAGAIN after N successes
//   HG_FAULT_BACKTRACE=1       on SIGSEGV/SIGABRT, print a backtrace to stderr (debugging)
//
// Built only for the plain (non-sanitizer) build: a sanitizer runtime must be
// the first library loaded.
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

long env_long(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? std::atol(v) : -1;
}

std::atomic<long> g_new_calls{0};
const long g_fail_new = env_long("HG_FAULT_NEW");
std::atomic<long> g_threads{0};
const long g_max_threads = env_long("HG_FAULT_THREADS");

// True when this call is the one to fail.
bool fail_this_new() { return g_new_calls.fetch_add(1, std::memory_order_relaxed) + 1 == g_fail_new; }

void* allocate(std::size_t n) {
    if (fail_this_new()) throw std::bad_alloc();
    void* p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    return p;
}

void* allocate_aligned(std::size_t n, std::align_val_t a) {
    if (fail_this_new()) throw std::bad_alloc();
    const std::size_t al = static_cast<std::size_t>(a);
    void* p = std::aligned_alloc(al, (n + al - 1) / al * al);
    if (!p) throw std::bad_alloc();
    return p;
}

extern "C" void print_backtrace(int sig) {
    void* frames[64];
    const int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, 2);
    signal(sig, SIG_DFL);
    raise(sig);
}

struct InstallBacktrace {
    InstallBacktrace() {
        if (std::getenv("HG_FAULT_BACKTRACE")) {
            signal(SIGSEGV, print_backtrace);
            signal(SIGABRT, print_backtrace);
        }
    }
} g_install_backtrace;

struct CountAtExit {
    ~CountAtExit() {
        if (const char* f = std::getenv("HG_FAULT_NEW_COUNT_FILE"))
            if (std::FILE* out = std::fopen(f, "w")) {
                std::fprintf(out, "%ld\n", g_new_calls.load());
                std::fclose(out);
            }
    }
} g_count_at_exit;

}  // namespace

#include "replace_new.hpp"  // operator new/delete over allocate() and allocate_aligned()

extern "C" int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
    using Real = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
    static const Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "pthread_create"));
    if (g_max_threads >= 0 && g_threads.fetch_add(1) >= g_max_threads) return EAGAIN;
    return real(t, attr, fn, arg);
}
