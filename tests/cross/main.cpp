// Catch2 main for the AArch64 cross-built kernel tests (run under qemu-user).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

// The cross build links no test_support.cpp: the skip record lives here.
// (NEON is mandatory on AArch64, so the kernel tests never skip there.)
namespace hgtest {
namespace {
std::vector<std::string> g_skips;
}
void mark_skipped(const std::string& why) {
    std::printf("SKIPPED: %s\n", why.c_str());
    g_skips.push_back(why);
}
bool any_skipped() { return !g_skips.empty(); }
}  // namespace hgtest
