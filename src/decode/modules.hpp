// Format modules: shared objects loaded on first use (src/modules/module_abi.h).
#pragma once
#include <string>
#include <vector>

#include "modules/module_abi.h"

namespace hashguard::detail {

/// The module `name` ("heif": hashguard-heif.so), loaded the first time it is
/// asked for (once per process, thread-safe; later calls return the same
/// result). Null when it cannot be loaded, with `why` naming every place
/// looked in and what went wrong there.
const hg_module_v1* find_module(const char* name, std::string& why);

/// Directories searched for modules, in order: $HASHGUARD_MODULE_DIR alone
/// when set; else `hashguard-modules/` beside the object holding
/// libhashguard (the shared library, or the program it is linked into), then
/// the install directory (<libdir>/hashguard-modules).
std::vector<std::string> module_dirs();

}  // namespace hashguard::detail
