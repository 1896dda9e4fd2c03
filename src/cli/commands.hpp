// Subcommands implemented outside main.cpp.
#pragma once

namespace hgcli {
int cmd_scan(int argc, char** argv);   // src/cli/scan_cmd.cpp
int cmd_bench(int argc, char** argv);  // src/cli/bench_cmd.cpp
}  // namespace hgcli
