// Helpers shared by the test programs.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hashguard/image.hpp"
#include "hashguard/index.hpp"
#include "hashguard/pdq.hpp"

namespace hgtest {

/// ../shared (or $HASHGUARD_SHARED_DIR); empty when it does not exist.
std::string shared_dir();
/// The project's data/ directory.
std::string data_dir();
/// Path of the built CLI.
std::string cli_path();

std::vector<std::uint8_t> read_bytes(const std::string& path);  // throws on failure
/// Reads a file, gunzipping it when the name ends in .gz.
std::vector<std::uint8_t> read_maybe_gz(const std::string& path);

std::vector<std::string> split(const std::string& s, char sep);
/// Non-empty lines of a text file.
std::vector<std::string> read_lines(const std::string& path);

/// One row of a reference CSV: hashes (1 or 8), quality, file name.
struct RefRow {
    std::vector<std::string> hashes;
    int quality = -1;
    std::string file;  ///< as listed, e.g. "anim.gif#frame1"
    std::string path;  ///< file without any "#frameN" suffix
    int frame = 0;     ///< N of "#frameN", else 0
};
/// Parses `hash,quality,file` or the 8-hash dihedral form.
std::vector<RefRow> read_ref_csv(const std::string& path);

/// The reference PDQ hash (original orientation) of a bundled photo, from
/// data/photos/reference-dihedral-across.csv; FAILs the test when not listed.
std::string photo_ref_hash(const std::string& file);

/// CHECKs quality and every listed hash of `row` against `got`; true when all match.
bool check_ref_row(const RefRow& row, const hashguard::PdqDihedral& got);

/// Decodes bytes and hashes them (dihedral), REQUIREing success.
hashguard::PdqDihedral hash_bytes(const std::vector<std::uint8_t>& bytes, bool pre_resize = true,
                                  int frame = 0);

/// Runs a shell command, returning its exit status and captured stdout.
int run(const std::string& cmd, std::string& out);

/// Records that the running test case could not run here (printed with the
/// reason). The program then exits 77 (ctest: "skipped") unless a check
/// failed, so a skip never shows as a pass. Test cases that may skip are
/// tagged [skippable]: CMake runs them as a ctest entry of their own.
void mark_skipped(const std::string& why);
bool any_skipped();
#define HG_SKIP(why)                  \
    do {                              \
        ::hgtest::mark_skipped(why);  \
        return;                       \
    } while (0)

/// Checks a JSON Lines text with an independent parser (/usr/bin/python3's
/// json module): returns the number of lines it parsed as JSON objects, or
/// -1 (with the reason in `why`) when python3 rejects the text.
long python_jsonl_objects(const std::string& text, std::string& why);

/// Small deterministic PRNG (splitmix64) for generated inputs.
struct Rng {
    std::uint64_t s;
    explicit Rng(std::uint64_t seed) : s(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
};

/// A uniformly random hash, and `h` with `bits` random bits flipped (a bit may
/// be drawn twice).
hashguard::Hash256 random_hash(Rng& rng);
hashguard::Hash256 flip_bits(hashguard::Hash256 h, int bits, Rng& rng);

/// Every (query, entry) within `r`, by query then entry: the answer every index must give.
std::vector<hashguard::IndexMatch> brute_range(const std::vector<hashguard::Hash256>& list,
                                               const std::vector<hashguard::Hash256>& qs, int r);

}  // namespace hgtest
