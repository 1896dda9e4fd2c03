// Catch2 main for the AArch64 cross-built kernel tests (run under qemu-user).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
