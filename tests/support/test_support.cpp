#include "support/test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <catch2/catch.hpp>

namespace hgtest {

namespace {
bool is_dir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
}  // namespace

std::string shared_dir() {
    const char* env = std::getenv("HASHGUARD_SHARED_DIR");
    const std::string d = env && *env ? env : HG_TEST_SHARED_DIR;
    return is_dir(d + "/pdq-reference") ? d : std::string();
}

std::string data_dir() { return HG_TEST_DATA_DIR; }
std::string cli_path() { return HG_TEST_CLI; }

std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::vector<std::uint8_t> out;
    if (hashguard::Error e = hashguard::read_file(path, out)) throw std::runtime_error(path + ": " + e.message);
    return out;
}

std::vector<std::uint8_t> read_maybe_gz(const std::string& path) {
    if (path.size() < 3 || path.compare(path.size() - 3, 3, ".gz") != 0) return read_bytes(path);
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error(path + ": cannot open");
    std::vector<std::uint8_t> out;
    std::uint8_t buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    if (n < 0) throw std::runtime_error(path + ": gzip read error");
    return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(cur);
    return parts;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open");
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

std::string photo_ref_hash(const std::string& file) {
    for (const auto& r : read_ref_csv(data_dir() + "/photos/reference-dihedral-across.csv"))
        if (r.file == file) return r.hashes[0];
    FAIL("no reference for " << file);
    return {};
}

std::vector<RefRow> read_ref_csv(const std::string& path) {
    std::vector<RefRow> rows;
    for (const auto& line : read_lines(path)) {
        const auto f = split(line, ',');
        if (f.size() != 3 && f.size() != 10) throw std::runtime_error(path + ": unexpected line: " + line);
        RefRow r;
        r.hashes.assign(f.begin(), f.end() - 2);
        r.quality = std::stoi(f[f.size() - 2]);
        r.file = f.back();
        r.path = r.file;
        if (const auto pos = r.file.find("#frame"); pos != std::string::npos) {
            r.path.resize(pos);
            r.frame = std::stoi(r.file.substr(pos + 6));
        }
        rows.push_back(r);
    }
    return rows;
}

bool check_ref_row(const RefRow& row, const hashguard::PdqDihedral& got) {
    INFO(row.file);
    CHECK(got.quality == row.quality);
    bool all = got.quality == row.quality;
    for (std::size_t t = 0; t < row.hashes.size(); ++t) {
        INFO("transform " << hashguard::transform_name(static_cast<hashguard::Transform>(t)));
        const std::string hex = got.hashes[t].to_hex();
        CHECK(hex == row.hashes[t]);
        all = all && hex == row.hashes[t];
    }
    return all;
}

hashguard::PdqDihedral hash_bytes(const std::vector<std::uint8_t>& bytes, bool pre_resize, int frame) {
    hashguard::DecodeOptions dopt;
    dopt.frame = frame;
    hashguard::PdqOptions popt;
    popt.pre_resize = pre_resize;
    hashguard::PdqDihedral h;
    const hashguard::Error e = hashguard::pdq_hash_bytes(bytes.data(), bytes.size(), h, dopt, popt);
    INFO(e.message);
    REQUIRE(e.ok());
    return h;
}

int run(const std::string& cmd, std::string& out) {
    out.clear();
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

namespace {
std::vector<std::string>& skips() {
    static std::vector<std::string> s;
    return s;
}
}  // namespace

void mark_skipped(const std::string& why) {
    std::printf("SKIPPED: %s\n", why.c_str());
    skips().push_back(why);
}

bool any_skipped() { return !skips().empty(); }

long python_jsonl_objects(const std::string& text, std::string& why) {
    char tmpl[] = "/tmp/hg-jsonl-XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0) return why = "mkstemp failed", -1;
    const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    std::string out;
    const int rc = wrote ? run("/usr/bin/python3 -c 'import json,sys\n"
                               "n=0\n"
                               "for line in open(sys.argv[1], encoding=\"utf-8\"):\n"
                               "    v=json.loads(line)\n"
                               "    assert isinstance(v, dict), line\n"
                               "    n+=1\n"
                               "print(n)' " +
                                   std::string(tmpl) + " 2>&1",
                               out)
                         : -1;
    std::remove(tmpl);
    if (rc != 0) return why = "python3 rejected the JSON Lines: " + out, -1;
    return std::stol(out);
}

hashguard::Hash256 random_hash(Rng& rng) {
    hashguard::Hash256 h;
    for (auto& w : h.w) w = static_cast<std::uint16_t>(rng.next());
    return h;
}

hashguard::Hash256 flip_bits(hashguard::Hash256 h, int bits, Rng& rng) {
    for (int i = 0; i < bits; ++i) {
        const int b = static_cast<int>(rng.below(256));
        h.w[b >> 4] = static_cast<std::uint16_t>(h.w[b >> 4] ^ (1u << (b & 15)));
    }
    return h;
}

std::vector<hashguard::IndexMatch> brute_range(const std::vector<hashguard::Hash256>& list,
                                               const std::vector<hashguard::Hash256>& qs, int r) {
    std::vector<hashguard::IndexMatch> out;
    for (std::uint32_t i = 0; i < qs.size(); ++i)
        for (std::uint32_t j = 0; j < list.size(); ++j) {
            const int d = hashguard::hamming_distance(qs[i], list[j]);
            if (d <= r) out.push_back({i, j, static_cast<std::uint32_t>(d)});
        }
    return out;
}

}  // namespace hgtest
