// The CLI as users run it, with failures injected from outside the process
// (tests/support/fault_preload.cpp, LD_PRELOAD): a failed allocation anywhere
// never turns a listed image into a clean verdict, and a thread that cannot be
// created is an error exit, never an abort.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return "'" + s + "'"; }

// Runs the CLI with the injector; returns the exit status (128 + signal when killed).
int run_faulty(const std::string& env, const std::string& args, std::string& out) {
    const std::string cmd = "env LD_PRELOAD=" + q(HG_TEST_FAULT_PRELOAD) + " " + env + " " + q(hgtest::cli_path()) +
                            " " + args + " 2>/dev/null";
    out.clear();
    std::FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

long allocations_of(const std::string& args) {
    const std::string count = (fs::temp_directory_path() / ("hg_count_" + std::to_string(getpid()))).string();
    std::string out;
    run_faulty("HG_FAULT_NEW_COUNT_FILE=" + q(count), args, out);
    std::ifstream f(count);
    long n = 0;
    f >> n;
    fs::remove(count);
    return n;
}

}  // namespace

TEST_CASE("hashguard match: a failed allocation at any point never reports the listed image clean") {
    const std::string list = hgtest::data_dir() + "/lists/sample-blocklist.txt";
    const std::string args = "match --list " + q(list) + " " + q(hgtest::data_dir() + "/photos/messi5.jpg");
    // Allocations up to the scan (the same command on a file that cannot be read), and in all.
    const long before_scan = allocations_of("match --list " + q(list) + " /nonexistent");
    const long total = allocations_of(args);
    REQUIRE(before_scan > 10);
    REQUIRE(total > before_scan);
    // Every allocation from a little before the scan to the end, and a spread of the start-up ones.
    std::vector<long> points;
    for (long k = 1; k < before_scan - 20; k += std::max(1L, before_scan / 100)) points.push_back(k);
    for (long k = std::max(1L, before_scan - 20); k <= total; ++k) points.push_back(k);
    long matched = 0, failed = 0;
    for (long k : points) {
        std::string out;
        const int rc = run_faulty("HG_FAULT_NEW=" + std::to_string(k), args, out);
        INFO("allocation " << k << " of " << total << " failed: exit " << rc << ", output: " << out);
        REQUIRE(rc != 0);                                   // 0 would say "nothing matched"
        REQUIRE(rc < 128);                                  // no crash, no abort
        REQUIRE(out.find("no_match") == std::string::npos);  // never a clean verdict
        REQUIRE((rc == 3 || rc == 1 || rc == 2));
        (rc == 3 ? matched : failed) += 1;
    }
    std::printf("hashguard match, %ld allocations (%ld of them in the scan): %zu runs each failing one (all "
                "of the scan's): %ld still matched, %ld reported an error, 0 clean\n",
                total, total - before_scan, points.size(), matched, failed);
}

TEST_CASE("hashguard scan: failed allocations across the pipeline never report the listed image clean") {
    const fs::path dir = fs::temp_directory_path() / ("hg_cli_faults_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const char* f : {"messi5.jpg", "aero1.jpg", "baboon.jpg"})
        fs::copy_file(hgtest::data_dir() + "/photos/" + f, dir / f);
    const std::string list = hgtest::data_dir() + "/lists/sample-blocklist.txt";
    const std::string args = "scan --quiet --threads 2 --list " + q(list) + " " + q(dir.string());
    const long total = allocations_of(args);
    REQUIRE(total > 50);
    const long step = std::max(1L, total / 120);  // ~120 points spread over the run
    long points = 0;
    for (long k = 1; k <= total; k += step, ++points) {
        std::string out;
        const int rc = run_faulty("HG_FAULT_NEW=" + std::to_string(k), args, out);
        INFO("allocation " << k << " of " << total << " failed: exit " << rc << ", output: " << out);
        REQUIRE(rc < 128);
        REQUIRE(rc != 0);  // the listed file is in the folder: 0 would mean it was reported clean
        for (const auto& line : hgtest::split(out, '\n'))
            if (line.find("messi5.jpg") != std::string::npos) REQUIRE(line.find("\"no_match\"") == std::string::npos);
    }
    std::printf("hashguard scan with %ld of its %ld allocations failed (one per run): never clean\n", points, total);
    fs::remove_all(dir);
}

TEST_CASE("a thread that cannot be created is an error exit naming the cause, not an abort") {
    const std::string args = "scan --quiet --threads 4 " + q(hgtest::data_dir() + "/photos");
    for (int allowed : {0, 1, 3, 5}) {
        INFO(allowed << " threads allowed");
        const std::string cmd = "env LD_PRELOAD=" + q(HG_TEST_FAULT_PRELOAD) +
                                " HG_FAULT_THREADS=" + std::to_string(allowed) + " " + q(hgtest::cli_path()) + " " +
                                args + " 2>&1 >/dev/null";
        std::string err;
        CHECK(hgtest::run(cmd, err) == 2);
        CHECK(err.find("hashguard scan: cannot create a thread") != std::string::npos);
    }
    std::string out;  // bench too
    CHECK(run_faulty("HG_FAULT_THREADS=0", "bench --images 2 --size 64x64 --lists 10 --seconds 0.1", out) == 2);
}
