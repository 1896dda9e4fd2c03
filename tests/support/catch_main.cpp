// Test main: programs built with HG_TEST_NEEDS_SHARED exit 77 (ctest: skipped)
// with a message when ../shared is absent, instead of failing or passing vacuously.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "support/test_support.hpp"

// Defined true (strongly) by test programs that need ../shared.
__attribute__((weak)) bool hg_test_needs_shared = false;

int main(int argc, char** argv) {
    // Test programs link the static library: point it at the build tree's
    // modules (a test that wants them missing sets the variable itself).
    setenv("HASHGUARD_MODULE_DIR", HG_TEST_MODULE_DIR, 0);
    if (hg_test_needs_shared && hgtest::shared_dir().empty()) {
        std::printf("SKIPPED: reference material not found (expected at %s or $HASHGUARD_SHARED_DIR)\n",
                    HG_TEST_SHARED_DIR);
        return 77;
    }
    if (const char* force = std::getenv("HASHGUARD_FORCE_KERNEL"); force && *force) {
        if (std::strcmp(force, hashguard::active_kernel()) != 0) {
            std::printf("SKIPPED: kernel set '%s' is not available on this CPU or build (active: %s)\n", force,
                        hashguard::active_kernel());
            return 77;
        }
        std::printf("kernel set: %s\n", hashguard::active_kernel());
    }
    const int rc = Catch::Session().run(argc, argv);
    if (rc == 0 && hgtest::any_skipped()) {
        std::printf("SKIPPED: a test case could not run here (see above); reported as skipped, not passed\n");
        return 77;
    }
    return rc;
}
