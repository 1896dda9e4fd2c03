// Runs a fuzz target's LLVMFuzzerTestOneInput over files (directories walked),
// without libFuzzer: ctest replays the seeds and every saved crash input in the
// GCC release and ASan+UBSan builds, so a fixed crash stays fixed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::size_t n = 0;
    auto run = [&](const fs::path& p) {
        std::ifstream f(p, std::ios::binary);
        const std::vector<char> b((std::istreambuf_iterator<char>(f)), {});
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
        ++n;
    };
    for (int i = 1; i < argc; ++i) {
        const fs::path root = argv[i];
        if (fs::is_directory(root)) {
            for (const auto& e : fs::recursive_directory_iterator(root))
                if (e.is_regular_file() && e.path().filename() != "README") run(e.path());
        } else if (fs::is_regular_file(root)) {
            run(root);
        }
    }
    std::printf("replayed %zu inputs\n", n);
    return n > 0 ? 0 : 1;
}
