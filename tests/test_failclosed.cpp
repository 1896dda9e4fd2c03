// Verdicts you can trust: every failure inside a scan is an error verdict,
// never "no match" (faults injected at every allocation of a scan and at each
// lookup/digest/cache/hasher point, through the C API); a cache key no
// attacker can collide (two files with one XXH3-128 hash); lists that cannot
// silently lose entries; bounded per-thread scratch; the ABI additions
// (hg_scan_hash, hg_result_bytes, the option table, NULL-not-empty strings).
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/fault.hpp"
#include "hashguard/hashguard.hpp"
#include "hashguard/lists.hpp"
#include "scan/scanner.hpp"
#include "support/digests.hpp"
#include "support/test_support.hpp"

// ------------------------------------------------------------------ allocation faults
// operator new for this program: while armed on a thread, the K-th allocation
// made by that thread fails (throws, or returns null for nothrow new).
namespace {
thread_local long t_fail_at = 0;  // 0: not armed
thread_local long t_count = 0;
thread_local bool t_injected = false;

bool inject_now() {
    if (t_fail_at == 0 || ++t_count != t_fail_at) return false;
    t_injected = true;
    return true;
}

void* checked_malloc(std::size_t n) {
    if (inject_now()) throw std::bad_alloc();
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}

void* checked_aligned(std::size_t n, std::align_val_t a) {
    if (inject_now()) throw std::bad_alloc();
    const std::size_t al = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
    throw std::bad_alloc();
}

struct Armed {
    explicit Armed(long k) {
        t_count = 0;
        t_injected = false;
        t_fail_at = k;
    }
    ~Armed() { t_fail_at = 0; }
};
}  // namespace

namespace {
void* allocate(std::size_t n) { return checked_malloc(n); }
void* allocate_aligned(std::size_t n, std::align_val_t a) { return checked_aligned(n, a); }
}  // namespace
#include "support/replace_new.hpp"  // operator new/delete over allocate() and allocate_aligned()

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

std::string photo(const std::string& name) { return hgtest::data_dir() + "/photos/" + name; }

std::string ref_hash(const std::string& file) { return hgtest::photo_ref_hash(file); }

// A binary PNM of img placed inside flat black borders (letterboxed).
Bytes letterboxed_pnm(const std::string& file) {
    hashguard::Image img;
    const Bytes src = hgtest::read_bytes(photo(file));
    REQUIRE(hashguard::decode_image(src.data(), src.size(), img).ok());
    const int w = img.width, h = img.height + 200, ch = img.channels;
    std::string head = std::string(ch == 3 ? "P6\n" : "P5\n") + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
    Bytes out(head.begin(), head.end());
    out.resize(out.size() + static_cast<std::size_t>(w) * h * ch, 0);
    std::copy(img.pixels.begin(), img.pixels.begin() + static_cast<std::ptrdiff_t>(img.size_bytes()),
              out.begin() + static_cast<std::ptrdiff_t>(head.size() + static_cast<std::size_t>(100) * w * ch));
    return out;
}

struct ScanOutcome {
    hg_status status;
    hg_verdict verdict;
    hg_status result_status;
    bool cached;
};

ScanOutcome scan_once(hg_scanner* s, const Bytes& b) {
    hg_result* r = nullptr;
    const hg_status st = hg_scan(s, b.data(), b.size(), &r);
    ScanOutcome o{st, HG_VERDICT_ERROR, HG_ERR_INVALID_ARGUMENT, false};
    if (st == HG_OK) {
        o.verdict = hg_result_verdict(r);
        o.result_status = hg_result_status(r);
        o.cached = hg_result_int(r, HG_RESULT_CACHED) == 1;
    } else {
        CHECK(r == nullptr);  // no result means the caller sees an error status
    }
    hg_result_free(r);
    return o;
}

// Fails the K-th allocation of one scan, for K = 1, 2, ... until a scan runs
// through without reaching K: every outcome must be a match or an error,
// never no_match. Returns the number of allocation points failed.
long sweep_allocations(hg::Scanner& s, const hg::Lists& lists, const Bytes& listed) {
    long points = 0;
    for (long k = 1;; ++k) {
        s.set_lists(lists);  // a fresh (empty) cache for each run
        ScanOutcome o;
        bool injected;
        {
            const Armed armed(k);
            o = scan_once(s.get(), listed);
            injected = t_injected;
        }
        INFO("allocation " << k << " failed: status " << o.status << ", verdict " << o.verdict);
        if (!injected) {
            CHECK(o.verdict == HG_VERDICT_MATCH);  // the scan needs fewer than k allocations: done
            return points;
        }
        ++points;
        REQUIRE((o.status == HG_ERR_OUT_OF_MEMORY || o.status == HG_OK));
        if (o.status == HG_OK) {
            REQUIRE(o.verdict != HG_VERDICT_NO_MATCH);  // never fail open
            REQUIRE((o.verdict == HG_VERDICT_MATCH || o.verdict == HG_VERDICT_ERROR));
            if (o.verdict == HG_VERDICT_ERROR)
                CHECK((o.result_status == HG_ERR_OUT_OF_MEMORY || o.result_status == HG_ERR_INTERNAL));
        }
        // A failed scan was not cached: the next one, unarmed, is a fresh match.
        const ScanOutcome again = scan_once(s.get(), listed);
        CHECK(again.verdict == HG_VERDICT_MATCH);
        if (o.verdict == HG_VERDICT_ERROR) CHECK_FALSE(again.cached);
    }
}

// Fault hook state: fail the n-th call at `site` (0: every call).
std::atomic<int> g_site{-1};
std::atomic<int> g_nth{0}, g_calls{0};
bool hook(hashguard::detail::FaultSite s) {
    if (static_cast<int>(s) != g_site.load()) return false;
    const int c = ++g_calls;
    return g_nth == 0 || c == g_nth;
}
struct Hooked {
    Hooked(hashguard::detail::FaultSite s, int nth) {
        g_site = static_cast<int>(s);
        g_nth = nth;
        g_calls = 0;
        hashguard::detail::set_fault_hook(hook);
    }
    ~Hooked() {
        hashguard::detail::set_fault_hook(nullptr);
        g_site = -1;
    }
};

}  // namespace

TEST_CASE("a failed allocation anywhere in a scan is an error verdict, never no_match") {
    const Bytes jpg = hgtest::read_bytes(photo("messi5.jpg"));
    const Bytes boxed = letterboxed_pnm("aero1.jpg");
    struct Case {
        const char* name;
        const Bytes* bytes;
        bool cache, exact;
    } cases[] = {{"PDQ list, cache off", &jpg, false, false},
                 {"PDQ list, cache on", &jpg, true, false},
                 {"letterboxed: only the inside matches", &boxed, true, false},
                 {"MD5 + SHA-256 lists and a PDQ allow list that does not match", &jpg, true, true}};
    long total = 0;
    for (const Case& c : cases) {
        INFO(c.name);
        hg::Lists lists;
        lists.add_text("bad", (c.bytes == &boxed ? ref_hash("aero1.jpg") : ref_hash("messi5.jpg")) + ",case\n",
                       HG_KIND_PDQ);
        if (c.exact) {
            lists.add_text("md5", hgtest::hex_digest(EVP_md5(), *c.bytes) + "\n", HG_KIND_MD5)
                .add_text("sha256", std::string(64, 'a') + "\n", HG_KIND_SHA256)
                .add_text("memes", ref_hash("baboon.jpg") + "\n", HG_KIND_PDQ)
                .set("memes", HG_LIST_ROLE, HG_ROLE_ALLOW);
        }
        hg::Scanner s;
        s.set(HG_OPT_CACHE_ENTRIES, c.cache ? 64 : 0);
        const long points = sweep_allocations(s, lists, *c.bytes);
        std::printf("allocation faults, %s: %ld points, each an error or a match\n", c.name, points);
        CHECK(points >= 5);
        total += points;
    }
    std::printf("allocation faults: %ld points in all\n", total);
}

TEST_CASE("an allocation failure in hg_scan_hash is an error, never no_match") {
    hg::Lists lists;
    lists.add_text("bad", ref_hash("messi5.jpg") + "\n", HG_KIND_PDQ);
    hg::Scanner s;
    s.set_lists(lists);
    hashguard::Hash256 h;
    REQUIRE(hashguard::Hash256::from_hex(ref_hash("messi5.jpg"), h));
    std::uint8_t bytes[32];
    h.to_bytes(bytes);
    long points = 0;
    for (long k = 1;; ++k) {
        hg_result* r = nullptr;
        hg_status st;
        bool injected;
        {
            const Armed armed(k);
            st = hg_scan_hash(s.get(), HG_KIND_PDQ, bytes, 32, 100, &r);
            injected = t_injected;
        }
        if (st == HG_OK) CHECK(hg_result_verdict(r) != HG_VERDICT_NO_MATCH);
        else CHECK(r == nullptr);
        const bool done = !injected;
        if (done) CHECK(hg_result_verdict(r) == HG_VERDICT_MATCH);
        hg_result_free(r);
        if (done) break;
        ++points;
    }
    std::printf("allocation faults, hg_scan_hash: %ld points\n", points);
    CHECK(points >= 3);
}

TEST_CASE("a failed index lookup, digest, cache access or hash is an error verdict") {
    using hashguard::detail::FaultSite;
    const Bytes jpg = hgtest::read_bytes(photo("messi5.jpg"));
    const Bytes boxed = letterboxed_pnm("aero1.jpg");
    hg::Lists lists;
    lists.add_text("bad", ref_hash("messi5.jpg") + "\n" + ref_hash("aero1.jpg") + "\n", HG_KIND_PDQ)
        .add_text("md5", std::string(32, '0') + "\n", HG_KIND_MD5);
    struct Case {
        FaultSite site;
        int nth;
        const Bytes* bytes;
        const char* what;
    } cases[] = {{FaultSite::index_lookup, 0, &jpg, "every lookup"},
                 {FaultSite::index_lookup, 1, &boxed,
                  "the one lookup of a letterboxed image: its variants and those inside the borders"},
                 {FaultSite::digest, 0, &jpg, "MD5 / SHA-256"},
                 {FaultSite::cache_find, 0, &jpg, "the cache lookup"},
                 {FaultSite::cache_insert, 0, &jpg, "storing in the cache"},
                 {FaultSite::pdq_hash, 0, &jpg, "the hasher"}};
    int checked = 0;
    for (const Case& c : cases) {
        INFO(hashguard::detail::fault_site_name(c.site) << " (" << c.what << ")");
        hg::Scanner s;
        s.set_lists(lists);
        {
            const Hooked h(c.site, c.nth);
            hg::Result r = s.scan(c.bytes->data(), c.bytes->size());
            CHECK(r.verdict() == HG_VERDICT_ERROR);
            CHECK(r.status() == HG_ERR_INTERNAL);
            CHECK(r.error().find(std::string("injected failure: ") + hashguard::detail::fault_site_name(c.site)) !=
                  std::string::npos);
            CHECK(g_calls.load() >= std::max(1, c.nth));
        }
        hg::Result after = s.scan(c.bytes->data(), c.bytes->size());
        CHECK(after.verdict() == HG_VERDICT_MATCH);  // the failure was not cached
        CHECK_FALSE(after.cached());
        ++checked;
    }
    CHECK(checked == 6);
}

TEST_CASE("two files with one XXH3-128 hash get their own verdicts (the cache key is SHA-256)") {
    // XXH3 (long input) adds each 8-byte word w to one accumulator lane and
    // lo32(w ^ key) * hi32(w ^ key) to its neighbour. With lo32(w) equal to the
    // public default secret's word the product is 0, so only a plain sum of two
    // such words counts: move 1 between their high halves and nothing changes.
    const int w = 64, h = 64;
    const std::string head = "P5\n64 64\n255\n";
    Bytes clean(head.begin(), head.end());
    for (int i = 0; i < w * h; ++i) clean.push_back(static_cast<std::uint8_t>(40 + (i * 7919 % 160)));
    auto put64 = [](Bytes& b, std::size_t off, std::uint64_t v) { std::memcpy(b.data() + off, &v, 8); };
    auto key64 = [](std::size_t stripe, std::size_t lane) {
        std::uint64_t k;
        std::memcpy(&k, XXH3_kSecret + 8 * stripe + 8 * lane, 8);
        return k;
    };
    const std::size_t lane = 3, s1 = 2, s2 = 5;  // two stripes of the first block, inside the pixels
    const std::uint64_t lo1 = key64(s1, lane) & 0xffffffffu, lo2 = key64(s2, lane) & 0xffffffffu;
    put64(clean, 64 * s1 + 8 * lane, (std::uint64_t{0x50505050} << 32) | lo1);
    put64(clean, 64 * s2 + 8 * lane, (std::uint64_t{0x60606060} << 32) | lo2);
    Bytes listed = clean;
    put64(listed, 64 * s1 + 8 * lane, (std::uint64_t{0x50505051} << 32) | lo1);
    put64(listed, 64 * s2 + 8 * lane, (std::uint64_t{0x6060605f} << 32) | lo2);
    REQUIRE(clean != listed);
    const XXH128_hash_t a = XXH3_128bits(clean.data(), clean.size()), b = XXH3_128bits(listed.data(), listed.size());
    REQUIRE(a.low64 == b.low64);  // the construction works: one XXH3-128 for both
    REQUIRE(a.high64 == b.high64);

    hg::Lists lists;
    lists.add_text("md5", hgtest::hex_digest(EVP_md5(), listed) + ",listed twin\n", HG_KIND_MD5);
    hg::Scanner s;  // cache on (the default)
    s.set_lists(lists);
    hg::Result first = s.scan(clean.data(), clean.size());
    CHECK(first.verdict() == HG_VERDICT_NO_MATCH);
    hg::Result second = s.scan(listed.data(), listed.size());
    CHECK(second.verdict() == HG_VERDICT_MATCH);  // with an XXH3 key: the clean twin's cached no_match
    CHECK_FALSE(second.cached());
    CHECK(s.scan(clean.data(), clean.size()).cached());  // the cache still works for identical bytes
}

TEST_CASE("lists cannot silently lose entries") {
    const std::string a = ref_hash("aero1.jpg"), m = ref_hash("messi5.jpg"), f = ref_hash("fruits.jpg");
    SECTION("CR-only line ends separate entries") {
        hg::Lists lists;
        lists.add_text("cr", a + ",one\r" + m + ",two\r" + f + ",three\r", HG_KIND_PDQ);
        CHECK(lists.get("cr", HG_LIST_ENTRIES) == 3);
        hg::Scanner s;
        s.set_lists(lists);
        hg::Result r = s.scan_file(photo("messi5.jpg"));
        REQUIRE(r.verdict() == HG_VERDICT_MATCH);
        CHECK(r.matches()[0].metadata == "two");
        CHECK(r.matches()[0].id == "2");
    }
    SECTION("empty, blank, comment-only and header-only lists are errors unless allowed") {
        for (const std::string& text : {std::string(), std::string("\n\n  \n"), std::string("# nothing\n"),
                                       std::string("hash,id,note\n"), std::string("\xEF\xBB\xBF")}) {
            INFO("list text: '" << text << "'");
            hg::Lists lists;
            CHECK(hg_lists_add_text(lists.get(), "l", text.data(), text.size(), HG_KIND_PDQ, "l.txt") ==
                  HG_ERR_LIST_FORMAT);
            CHECK(std::string(hg_last_error()).find("l.txt: the list has no entries") != std::string::npos);
            CHECK(lists.size() == 0);
            lists.set_default(HG_LIST_ALLOW_EMPTY, 1);
            CHECK(hg_lists_add_text(lists.get(), "l", text.data(), text.size(), HG_KIND_PDQ, "l.txt") == HG_OK);
            CHECK(lists.get("l", HG_LIST_ENTRIES) == 0);
        }
        hg::Lists skip;  // every line malformed and skipped: no entries either
        skip.set_default(HG_LIST_SKIP_BAD_LINES, 1);
        CHECK(hg_lists_add_text(skip.get(), "s", "x\ny\n", 4, HG_KIND_PDQ, "s.txt") == HG_ERR_LIST_FORMAT);
        CHECK(std::string(hg_last_error()).find("malformed") != std::string::npos);
        CHECK(hg_lists_add_binary(skip.get(), "b", nullptr, 0, HG_KIND_PDQ) == HG_ERR_LIST_FORMAT);
    }
    SECTION("an empty snapshot, a 0-byte file, a device and a FIFO are refused") {
        const fs::path dir = fs::temp_directory_path() / ("hg_lists_" + std::to_string(getpid()));
        fs::create_directories(dir);
        hashguard::HashList empty;
        REQUIRE(hashguard::save_snapshot(empty, (dir / "empty.snap").string()).ok());
        { std::ofstream((dir / "zero.txt").string()); }
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
        hg::Lists lists;
        CHECK(hg_lists_add_file(lists.get(), "s", (dir / "empty.snap").c_str(), HG_KIND_PDQ) == HG_ERR_LIST_FORMAT);
        CHECK(std::string(hg_last_error()).find("no entries") != std::string::npos);
        CHECK(hg_lists_add_file(lists.get(), "z", (dir / "zero.txt").c_str(), HG_KIND_PDQ) == HG_ERR_LIST_FORMAT);
        CHECK(hg_lists_add_file(lists.get(), "d", "/dev/zero", HG_KIND_PDQ) == HG_ERR_IO);  // not read up to 4 GiB
        CHECK(std::string(hg_last_error()).find("not a regular file") != std::string::npos);
        CHECK(hg_lists_add_file(lists.get(), "f", (dir / "fifo").c_str(), HG_KIND_PDQ) == HG_ERR_IO);  // no hang
        CHECK(lists.size() == 0);
        fs::remove_all(dir);
    }
    SECTION("the lists config: repeated keys and an empty lists array are errors") {
        const fs::path dir = fs::temp_directory_path() / ("hg_cfgx_" + std::to_string(getpid()));
        fs::create_directories(dir);
        { std::ofstream((dir / "bad.txt").string()) << m << "\n"; }
        const std::string dup = "{\"lists\": [\n {\"name\": \"bad\", \"path\": \"bad.txt\",\n  \"role\": \"block\", "
                                "\"role\": \"allow\"}]}\n";
        { std::ofstream((dir / "dup.json").string()) << dup; }
        { std::ofstream((dir / "none.json").string()) << "{\"lists\": []}"; }
        { std::ofstream((dir / "dupname.json").string()) << "{\"lists\": [{\"name\": \"a\", \"name\": \"b\", \"path\": \"bad.txt\"}]}"; }
        hg::Lists lists;
        CHECK(hg_lists_add_config(lists.get(), (dir / "dup.json").c_str()) == HG_ERR_LIST_FORMAT);
        CHECK(std::string(hg_last_error()).find("dup.json:3: duplicate key \"role\"") != std::string::npos);
        CHECK(hg_lists_add_config(lists.get(), (dir / "none.json").c_str()) == HG_ERR_LIST_FORMAT);
        CHECK(std::string(hg_last_error()).find("\"lists\" is empty") != std::string::npos);
        CHECK(hg_lists_add_config(lists.get(), (dir / "dupname.json").c_str()) == HG_ERR_LIST_FORMAT);
        CHECK(lists.size() == 0);
        fs::remove_all(dir);
    }
}

TEST_CASE("a huge attachment's decode buffer is not kept by the scanning thread") {
    // 5000x4000 RGB = 60 MB of pixels, above the 48 MiB a thread may keep.
    const int w = 5000, h = 4000;
    const std::string head = "P6\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
    Bytes big(head.begin(), head.end());
    big.resize(big.size() + static_cast<std::size_t>(w) * h * 3);
    for (std::size_t i = head.size(); i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 31);
    hg::Scanner s;
    s.set(HG_OPT_CACHE_ENTRIES, 0);
    hg::Result r = s.scan(big.data(), big.size());
    CHECK(r.get(HG_RESULT_WIDTH) == w);
    CHECK(hashguard::scan::Scanner::thread_scratch_bytes() <= hashguard::scan::Scanner::kMaxKeptScratch);
    const Bytes small = hgtest::read_bytes(photo("aero1.jpg"));
    s.scan(small.data(), small.size());
    CHECK(hashguard::scan::Scanner::thread_scratch_bytes() > 0);  // a usual image's buffer is kept for reuse
    CHECK(hashguard::scan::Scanner::thread_scratch_bytes() <= std::size_t{8} << 20);
}

TEST_CASE("hg_scan_hash matches given hashes with the scanner's rules") {
    hg::Lists lists;
    lists.add_text("bad", ref_hash("messi5.jpg") + ",case-1\n", HG_KIND_PDQ)
        .add_text("md5", std::string(32, 'a') + ",digest\n", HG_KIND_MD5);
    hg::Scanner s;
    s.set_lists(lists);
    // The hash bytes a scan reports are the ones hg_scan_hash takes (all 8 variants).
    hg::Result scanned = s.scan_file(photo("messi5.jpg"));
    const auto eight = scanned.bytes(HG_BYTES_PDQ_DIHEDRAL);
    REQUIRE(eight.size() == 256);
    const auto one = scanned.bytes(HG_BYTES_PDQ);
    REQUIRE(one.size() == 32);
    CHECK(std::equal(one.begin(), one.end(), eight.begin()));
    hg::Result r8 = s.scan_hash(HG_KIND_PDQ, eight.data(), eight.size(), scanned.quality());
    CHECK(r8.verdict() == HG_VERDICT_MATCH);
    CHECK(r8.matches()[0].metadata == "case-1");
    CHECK(r8.pdq_hex() == ref_hash("messi5.jpg"));
    // One hash of a rotated copy: only its original orientation is known, so no match
    // through a variant; a low quality is below the list's minimum.
    hg::Result low = s.scan_hash(HG_KIND_PDQ, one.data(), 32, 10);
    CHECK(low.verdict() == HG_VERDICT_BELOW_QUALITY);
    CHECK(s.scan_hash(HG_KIND_PDQ, one.data(), 32, 100).verdict() == HG_VERDICT_MATCH);
    CHECK(s.scan_hash(HG_KIND_PDQ, one.data(), 32, 100).bytes(HG_BYTES_PDQ_DIHEDRAL).empty());
    std::uint8_t md5[16];
    std::memset(md5, 0xaa, sizeof md5);
    hg::Result d = s.scan_hash(HG_KIND_MD5, md5, 16, 0);
    CHECK(d.verdict() == HG_VERDICT_MATCH);
    CHECK(d.str(HG_RESULT_MD5_HEX) == std::string(32, 'a'));
    CHECK(d.matches()[0].transform.empty());  // digests have no transform: NULL
    // Bad arguments.
    hg_result* r = nullptr;
    CHECK(hg_scan_hash(s.get(), HG_KIND_PDQ, one.data(), 31, 100, &r) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_scan_hash(s.get(), HG_KIND_PDQ, one.data(), 32, 101, &r) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_scan_hash(s.get(), HG_KIND_SHA1, md5, 16, 0, &r) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_scan_hash(s.get(), 9, md5, 16, 0, &r) == HG_ERR_INVALID_ARGUMENT);
    CHECK(r == nullptr);
}

TEST_CASE("result strings: NULL when absent, never empty") {
    hg::Lists lists;
    lists.add_text("bad", ref_hash("messi5.jpg") + "\n", HG_KIND_PDQ);
    hg::Scanner s;
    s.set_lists(lists);
    hg_result* r = nullptr;
    REQUIRE(hg_scan_file(s.get(), photo("messi5.jpg").c_str(), &r) == HG_OK);
    CHECK(hg_result_str(r, HG_RESULT_ERROR) == nullptr);  // no error
    CHECK(hg_result_str(r, HG_RESULT_MD5_HEX) == nullptr);  // not computed
    CHECK(hg_match_str(r, 0, HG_MATCH_METADATA) == nullptr);  // the entry has no metadata
    CHECK(std::string(hg_match_str(r, 0, HG_MATCH_ID)) == "1");
    CHECK(hg_result_str(r, 99) == nullptr);
    std::size_t n = 7;
    CHECK(hg_result_bytes(r, HG_BYTES_INNER_PDQ, &n) == nullptr);
    CHECK(n == 0);
    for (int k = HG_RESULT_PDQ_HEX; k <= HG_RESULT_JSON; ++k) {
        const char* v = hg_result_str(r, k);
        CHECK((v == nullptr || *v != '\0'));
    }
    hg_result_free(r);
    const char junk[] = "not an image";
    REQUIRE(hg_scan(s.get(), junk, sizeof junk - 1, &r) == HG_OK);
    CHECK(hg_result_str(r, HG_RESULT_FORMAT) == nullptr);  // not recognised
    CHECK(hg_result_str(r, HG_RESULT_ERROR) != nullptr);
    hg_result_free(r);
}

TEST_CASE("every option reads back what was set; bad values are refused with their name") {
    hg::Scanner s;
    const struct {
        hg_option key;
        long long good, bad;
        const char* name;
    } opts[] = {{HG_OPT_MAX_INPUT_BYTES, 1000, 0, "HG_OPT_MAX_INPUT_BYTES"},
                {HG_OPT_MAX_PIXELS, 12345, -1, "HG_OPT_MAX_PIXELS"},
                {HG_OPT_MAX_DIMENSION, 4000, 1ll << 40, "HG_OPT_MAX_DIMENSION"},
                {HG_OPT_MAX_FRAMES, 7, 0, "HG_OPT_MAX_FRAMES"},
                {HG_OPT_MAX_MEMORY_BYTES, 1 << 20, 0, "HG_OPT_MAX_MEMORY_BYTES"},
                {HG_OPT_MAX_DECODE_MS, 0, -5, "HG_OPT_MAX_DECODE_MS"},
                {HG_OPT_STRICT, 0, 2, "HG_OPT_STRICT"},
                {HG_OPT_FAST, 1, -1, "HG_OPT_FAST"},
                {HG_OPT_LETTERBOX, 0, 3, "HG_OPT_LETTERBOX"},
                {HG_OPT_LETTERBOX_TOLERANCE, 9, 256, "HG_OPT_LETTERBOX_TOLERANCE"},
                {HG_OPT_DIGESTS, HG_DIGEST_SHA1, 1, "HG_OPT_DIGESTS"},
                {HG_OPT_MAX_MATCHES, 3, -1, "HG_OPT_MAX_MATCHES"},
                {HG_OPT_CACHE_ENTRIES, 17, -1, "HG_OPT_CACHE_ENTRIES"},
                {HG_OPT_CACHE_BYTES, 4096, -1, "HG_OPT_CACHE_BYTES"}};
    for (const auto& o : opts) {
        INFO(o.name);
        s.set(o.key, o.good);
        CHECK(s.get(o.key) == o.good);
        CHECK(hg_scanner_set_int(s.get(), o.key, o.bad) == HG_ERR_INVALID_ARGUMENT);
        CHECK(std::string(hg_last_error()).find(o.name) != std::string::npos);
        CHECK(s.get(o.key) == o.good);  // unchanged
    }
    CHECK(hg_scanner_set_int(s.get(), HG_OPT_GENERATION, 1) == HG_ERR_INVALID_ARGUMENT);  // read-only
    CHECK(hg_scanner_set_int(s.get(), 999, 1) == HG_ERR_INVALID_ARGUMENT);
    long long v = 0;
    CHECK(hg_scanner_get_int(s.get(), 999, &v) == HG_ERR_INVALID_ARGUMENT);
    // HG_OPT_DIGESTS: all three, also when no list needs them.
    s.set(HG_OPT_DIGESTS, HG_DIGESTS_ALL).set(HG_OPT_MAX_INPUT_BYTES, 1 << 20);
    hg::Result r = s.scan_file(photo("aero1.jpg"));
    CHECK(r.bytes(HG_BYTES_MD5).size() == 16);
    CHECK(r.bytes(HG_BYTES_SHA1).size() == 20);
    CHECK(r.bytes(HG_BYTES_SHA256).size() == 32);
}
