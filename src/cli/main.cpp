// hashguard command-line tool: dispatches to the subcommands. Nothing may
// escape as an exception (std::terminate would abort the process): an
// allocation or thread-creation failure anywhere is reported and exits 2.
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "hashguard/hashguard.hpp"

namespace {

const char* kUsage =
    "usage: hashguard <command> [options]   ('hashguard <command> --help' for each)\n"
    "\n"
    "commands:\n"
    "  hash FILE...        PDQ hash of each image, in the reference CLI's format\n"
    "  vpdq FILE...        vPDQ hash of each video, in the reference's line format\n"
    "  match FILE...       scan files against hash lists, one verdict line per file\n"
    "  scan PATH...        batch-scan files and trees: JSON Lines or CSV, resumable\n"
    "  list build|import|info  build, import (NCMEC, StopNCII, ...) and verify list snapshots\n"
    "  decode FILE OUT     write the pixels the hash is computed from (binary PNM)\n"
    "  bench               detection throughput on a generated corpus\n"
    "  store init|import|publish|status|sync\n"
    "                      the list store in PostgreSQL and the directory scanners follow\n"
    "  version             library version and kernel set\n";

int dispatch(const std::string& cmd, int argc, char** argv) {
    if (cmd == "hash") return hgcli::cmd_hash(argc, argv);
    if (cmd == "match") return hgcli::cmd_match(argc, argv);
    if (cmd == "scan") return hgcli::cmd_scan(argc, argv);
    if (cmd == "list") return hgcli::cmd_list(argc, argv);
    if (cmd == "decode") return hgcli::cmd_decode(argc, argv);
    if (cmd == "bench") return hgcli::cmd_bench(argc, argv);
    if (cmd == "vpdq") return hgcli::cmd_vpdq(argc, argv);
    if (cmd == "store") return hgcli::cmd_store(argc, argv);
    if (cmd == "version" || cmd == "--version") {
        std::printf("hashguard %s (kernels: %s)\n", hg_version(), hg_kernel());
        return 0;
    }
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    std::fprintf(stderr, "hashguard: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    try {
        return dispatch(argv[1], argc - 2, argv + 2);
    } catch (const hg::Error& e) {
        std::fprintf(stderr, "hashguard %s: %s\n", argv[1], e.what());
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "hashguard %s: out of memory\n", argv[1]);
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "hashguard %s: %s\n", argv[1], e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hashguard %s: internal error: %s\n", argv[1], e.what());
    } catch (...) {
        std::fprintf(stderr, "hashguard %s: internal error\n", argv[1]);
    }
    return 2;
}
