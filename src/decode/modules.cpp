// Loading format modules with dlopen. See modules.hpp and HACKING.md.
#include "decode/modules.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

// Both from CMakeLists.txt (HASHGUARD_MODULE_SUBDIR), the one place the
// directory name is written.
#ifndef HASHGUARD_MODULE_SUBDIR
#define HASHGUARD_MODULE_SUBDIR "hashguard-modules"
#endif
#ifndef HASHGUARD_MODULE_INSTALL_DIR
#define HASHGUARD_MODULE_INSTALL_DIR ""
#endif

namespace hashguard::detail {

namespace {

struct Loaded {
    const hg_module_v1* module = nullptr;
    std::string why;
};

// Tries one file; fills l.module or appends the reason to l.why.
void try_load(const std::string& path, const char* name, Loaded& l) {
    // RTLD_LOCAL: the module's libraries (libheif and its codecs) stay out of
    // the global symbol namespace of the host process.
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = dlerror();
        l.why += "; " + path + ": " + (e ? e : "dlopen failed");
        return;
    }
    auto entry = reinterpret_cast<hg_module_entry>(dlsym(h, HG_MODULE_SYMBOL));
    const hg_module_v1* m = entry ? entry() : nullptr;
    if (!m) {
        l.why += "; " + path + ": not a hashguard module (no " HG_MODULE_SYMBOL ")";
    } else if (m->abi != HG_MODULE_ABI || m->size < sizeof(hg_module_v1) || (!m->decode && !m->decode_video) || !m->name ||
               std::string(m->name) != name) {
        l.why += "; " + path + ": module interface " + std::to_string(m->abi) + " (this library speaks " +
                 std::to_string(HG_MODULE_ABI) + ") or a different module";
    } else {
        l.module = m;  // kept loaded for the life of the process
        return;
    }
    dlclose(h);
}

Loaded load(const char* name) {
    Loaded l;
    const std::string file = std::string("hashguard-") + name + ".so";
    for (const std::string& dir : module_dirs()) {
        try_load(dir + "/" + file, name, l);
        if (l.module) {
            l.why.clear();
            return l;
        }
    }
    l.why = "the " + std::string(name) + " module (" + file + ") could not be loaded" +
            (l.why.empty() ? std::string(": no directory to look in") : l.why) +
            " (set HASHGUARD_MODULE_DIR to the directory holding it)";
    return l;
}

}  // namespace

std::vector<std::string> module_dirs() {
    if (const char* env = std::getenv("HASHGUARD_MODULE_DIR"); env && *env) return {env};
    std::vector<std::string> dirs;
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&module_dirs), &info) && info.dli_fname) {
        std::string self = info.dli_fname;
        const std::size_t slash = self.rfind('/');
        dirs.push_back((slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/" HASHGUARD_MODULE_SUBDIR);
    }
    const std::string installed = HASHGUARD_MODULE_INSTALL_DIR;
    if (!installed.empty() && (dirs.empty() || dirs[0] != installed)) dirs.push_back(installed);
    return dirs;
}

const hg_module_v1* find_module(const char* name, std::string& why) {
    static std::mutex mu;
    static std::unordered_map<std::string, Loaded> loaded;  // guarded by mu; never freed (modules stay loaded)
    std::lock_guard<std::mutex> lock(mu);
    auto it = loaded.find(name);
    if (it == loaded.end()) it = loaded.emplace(name, load(name)).first;
    why = it->second.why;
    return it->second.module;
}

}  // namespace hashguard::detail
