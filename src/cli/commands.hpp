// The subcommands of the `hashguard` CLI. Each takes the arguments after its
// name and returns the process exit status. The CLI uses the public API only.
#pragma once

namespace hgcli {
int cmd_hash(int argc, char** argv);    // src/cli/hash_cmd.cpp (also `decode`)
int cmd_decode(int argc, char** argv);  // src/cli/hash_cmd.cpp
int cmd_match(int argc, char** argv);   // src/cli/match_cmd.cpp
int cmd_list(int argc, char** argv);    // src/cli/list_cmd.cpp
int list_import(int argc, char** argv);  // src/cli/import_cmd.cpp: `hashguard list import`
int cmd_scan(int argc, char** argv);    // src/cli/scan_cmd.cpp
int cmd_bench(int argc, char** argv);   // src/cli/bench_cmd.cpp
int cmd_vpdq(int argc, char** argv);    // src/cli/vpdq_cmd.cpp
int cmd_store(int argc, char** argv);   // src/cli/store_cmd.cpp (the list store, src/store/)
}  // namespace hgcli
