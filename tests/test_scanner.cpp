// The scanner through the C API (via the C++ wrapper hashguard.hpp): verdicts,
// block/allow roles, thresholds and min quality, exact digests of raw bytes,
// letterbox removal, the seen-bytes cache, limits, argument errors, and a hot-
// reload stress test checking every verdict against the generation answering.
#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "hashguard/hashguard.hpp"
#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"
#include "scan/scanner.hpp"
#include "support/digests.hpp"
#include "support/test_support.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

std::string photo(const std::string& name) { return hgtest::data_dir() + "/photos/" + name; }

// Reference hashes (8 dihedral + quality) of the bundled photos.
const hgtest::RefRow& ref(const std::string& file) {
    static const std::vector<hgtest::RefRow> rows =
        hgtest::read_ref_csv(hgtest::data_dir() + "/photos/reference-dihedral-across.csv");
    for (const auto& r : rows)
        if (r.file.size() >= file.size() && r.file.compare(r.file.size() - file.size(), file.size(), file) == 0)
            return r;
    FAIL("no reference row for " << file);
    return rows.front();
}

hashguard::Image decode(const Bytes& b) {
    hashguard::Image img;
    REQUIRE(hashguard::decode_image(b.data(), b.size(), img).ok());
    return img;
}

// A binary PNM (P6 / P5) of an image.
Bytes to_pnm(const hashguard::Image& img) {
    const std::string head = std::string(img.channels == 3 ? "P6\n" : "P5\n") + std::to_string(img.width) + " " +
                             std::to_string(img.height) + "\n255\n";
    Bytes out(head.begin(), head.end());
    out.insert(out.end(), img.pixels.begin(), img.pixels.begin() + static_cast<std::ptrdiff_t>(img.size_bytes()));
    return out;
}

// img placed inside flat borders of `colour` (top/bottom `tb` px, left/right `lr` px).
hashguard::Image with_borders(const hashguard::Image& img, int tb, int lr, std::uint8_t colour) {
    hashguard::Image o;
    o.width = img.width + 2 * lr;
    o.height = img.height + 2 * tb;
    o.channels = img.channels;
    o.pixels.assign(o.size_bytes(), colour);
    const std::size_t row = static_cast<std::size_t>(img.width) * img.channels;
    for (int y = 0; y < img.height; ++y)
        std::copy_n(img.pixels.begin() + static_cast<std::ptrdiff_t>(y * row), row,
                    o.pixels.begin() + static_cast<std::ptrdiff_t>(((y + tb) * o.width + lr) * o.channels));
    return o;
}

hashguard::Image rotate90(const hashguard::Image& img) {
    hashguard::Image o;
    o.width = img.height;
    o.height = img.width;
    o.channels = img.channels;
    o.pixels.resize(o.size_bytes());
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
            for (int c = 0; c < img.channels; ++c)  // (x, y) -> (h-1-y, x): clockwise
                o.pixels[(static_cast<std::size_t>(x) * o.width + (img.height - 1 - y)) * o.channels + c] =
                    img.pixels[(static_cast<std::size_t>(y) * img.width + x) * img.channels + c];
    return o;
}

std::string flip(std::string hex, int bits) {  // flips `bits` distinct bits of a hex hash
    for (int i = 0; i < bits; ++i) {
        char& c = hex[static_cast<std::size_t>(i * 3 % 64)];
        int v = c <= '9' ? c - '0' : c - 'a' + 10;
        v ^= 1 << (i % 4);
        c = "0123456789abcdef"[v];
    }
    return hex;
}

hg::Scanner scanner_with(const hg::Lists& lists) {
    hg::Scanner s;
    s.set(HG_OPT_CACHE_ENTRIES, 0);
    s.set_lists(lists);
    return s;
}

}  // namespace

TEST_CASE("version, kernel and status names") {
    CHECK(std::string(hg_version()) == HG_VERSION_STRING);
    CHECK(hg_version_number() == HG_VERSION_NUMBER);
    CHECK(std::string(hg_kernel()) == hashguard::active_kernel());
    CHECK(std::string(hg_status_name(HG_ERR_LIMIT_PIXELS)) == "limit_pixels");
    CHECK(std::string(hg_status_name(static_cast<hg_status>(999))) == "unknown");
    CHECK(std::string(hg_verdict_name(HG_VERDICT_BELOW_QUALITY)) == "below_quality");
}

TEST_CASE("a listed photo matches with list, id, metadata, distance and transform") {
    const auto& r = ref("aero1.jpg");
    hg::Lists lists;
    lists.add_text("known-bad", "# test list\n" + r.hashes[0] + ",case-17 \"quoted\"\n", HG_KIND_PDQ, "bad.txt");
    hg::Scanner s = scanner_with(lists);

    hg::Result res = s.scan_file(photo("aero1.jpg"));
    REQUIRE(res.verdict() == HG_VERDICT_MATCH);
    CHECK(res.status() == HG_OK);
    CHECK(res.pdq_hex() == r.hashes[0]);  // the reference's hash
    CHECK(res.quality() == r.quality);
    CHECK(res.get(HG_RESULT_WIDTH) == 640);
    CHECK(res.get(HG_RESULT_HEIGHT) == 480);
    CHECK(res.str(HG_RESULT_FORMAT) == "jpeg");
    const auto m = res.matches();
    REQUIRE(m.size() == 1);
    CHECK(m[0].list == "known-bad");
    CHECK(m[0].id == "2");  // line number: no id column
    CHECK(m[0].metadata == "case-17 \"quoted\"");
    CHECK(m[0].distance == 0);
    CHECK(m[0].transform == "original");
    CHECK(m[0].role == HG_ROLE_BLOCK);
    CHECK(m[0].kind == HG_KIND_PDQ);
    CHECK_FALSE(m[0].inner);
    const std::string json = res.json();
    CHECK(json.find("\"verdict\":\"match\"") != std::string::npos);
    CHECK(json.find("\"metadata\":\"case-17 \\\"quoted\\\"\"") != std::string::npos);
    CHECK(json.find("\"pdq\":\"" + r.hashes[0] + "\"") != std::string::npos);

    hg::Result other = s.scan_file(photo("apple.jpg"));
    CHECK(other.verdict() == HG_VERDICT_NO_MATCH);
    CHECK(other.matches().empty());
    CHECK(other.get(HG_RESULT_MATCH_COUNT) == 0);

    // Timings are reported per stage and add up to no more than the total.
    CHECK(res.get(HG_RESULT_TOTAL_US) >= res.get(HG_RESULT_DECODE_US) + res.get(HG_RESULT_PDQ_US));
    CHECK(res.get(HG_RESULT_DECODE_US) > 0);
}

TEST_CASE("a rotated copy matches through a dihedral variant") {
    const auto& r = ref("aero1.jpg");
    hg::Lists lists;
    lists.add_text("bad", r.hashes[0] + "\n", HG_KIND_PDQ);
    hg::Scanner s = scanner_with(lists);
    const Bytes rotated = to_pnm(rotate90(decode(hgtest::read_bytes(photo("aero1.jpg")))));
    hg::Result res = s.scan(rotated.data(), rotated.size());
    REQUIRE(res.verdict() == HG_VERDICT_MATCH);
    const auto m = res.matches();
    REQUIRE(m.size() == 1);
    CHECK(m[0].transform != "original");
    CHECK(m[0].distance <= 31);
    // The rotated image's own hash is far from the listed one: only a variant matched.
    const hashguard::PdqDihedral own = hgtest::hash_bytes(rotated);
    hashguard::Hash256 listed;
    REQUIRE(hashguard::Hash256::from_hex(r.hashes[0], listed));
    CHECK(hashguard::hamming_distance(own.hashes[0], listed) > 31);
}

TEST_CASE("thresholds, min quality and allow lists") {
    const auto& r = ref("aero1.jpg");
    const std::string near20 = flip(r.hashes[0], 20);
    SECTION("threshold per list") {
        hg::Lists lists;
        lists.add_text("wide", near20 + "\n", HG_KIND_PDQ).add_text("narrow", near20 + "\n", HG_KIND_PDQ);
        lists.set("narrow", HG_LIST_THRESHOLD, 10);
        CHECK(lists.get("narrow", HG_LIST_THRESHOLD) == 10);
        CHECK(lists.get("wide", HG_LIST_THRESHOLD) == 31);
        hg::Scanner s = scanner_with(lists);
        hg::Result res = s.scan_file(photo("aero1.jpg"));
        REQUIRE(res.verdict() == HG_VERDICT_MATCH);
        const auto m = res.matches();
        REQUIRE(m.size() == 1);
        CHECK(m[0].list == "wide");
        CHECK(m[0].distance == 20);
    }
    SECTION("allow overrides block") {
        hg::Lists lists;
        lists.add_text("bad", r.hashes[0] + "\n", HG_KIND_PDQ).add_text("benign", near20 + ",meme\n", HG_KIND_PDQ);
        lists.set("benign", HG_LIST_ROLE, HG_ROLE_ALLOW);
        hg::Scanner s = scanner_with(lists);
        hg::Result res = s.scan_file(photo("aero1.jpg"));
        CHECK(res.verdict() == HG_VERDICT_ALLOWED);
        const auto m = res.matches();
        REQUIRE(m.size() == 2);
        CHECK(m[0].role == HG_ROLE_BLOCK);
        CHECK(m[1].role == HG_ROLE_ALLOW);
        CHECK(m[1].metadata == "meme");
    }
    SECTION("min quality") {
        // A smooth gradient: hashable, but of low quality.
        hashguard::Image g;
        g.width = g.height = 128;
        g.channels = 1;
        g.pixels.resize(128 * 128);
        for (int y = 0; y < 128; ++y)
            for (int x = 0; x < 128; ++x) g.pixels[y * 128 + x] = static_cast<std::uint8_t>(x + y / 2);
        const Bytes pnm = to_pnm(g);
        const hashguard::PdqDihedral h = hgtest::hash_bytes(pnm);
        REQUIRE(h.quality < 50);
        hg::Lists lists;
        lists.add_text("bad", h.hashes[0].to_hex() + "\n", HG_KIND_PDQ);
        hg::Scanner s = scanner_with(lists);
        hg::Result res = s.scan(pnm.data(), pnm.size());
        CHECK(res.verdict() == HG_VERDICT_BELOW_QUALITY);
        CHECK(res.quality() == h.quality);
        lists.set("bad", HG_LIST_MIN_QUALITY, 0);
        s.set_lists(lists);
        CHECK(s.scan(pnm.data(), pnm.size()).verdict() == HG_VERDICT_MATCH);
    }
}

TEST_CASE("compute_digest: the FIPS/RFC test vectors through the lazily loaded libcrypto") {
    const std::string abc = "abc";
    const std::pair<hashguard::HashKind, const char*> cases[] = {
        {hashguard::HashKind::md5, "900150983cd24fb0d6963f7d28e17f72"},
        {hashguard::HashKind::sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {hashguard::HashKind::sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}};
    for (const auto& [kind, hex] : cases) {
        hashguard::Digest d;
        REQUIRE(hashguard::compute_digest(kind, abc.data(), abc.size(), d).ok());
        CHECK(d.kind == kind);
        CHECK(d.to_hex() == hex);
    }
    hashguard::Digest d;
    CHECK(hashguard::compute_digest(hashguard::HashKind::sha256, nullptr, 0, d).ok());
    CHECK(d.to_hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hashguard::compute_digest(hashguard::HashKind::pdq, abc.data(), abc.size(), d).code ==
          hashguard::Status::invalid_argument);
    CHECK(hashguard::compute_digest(hashguard::HashKind::md5, nullptr, 3, d).code == hashguard::Status::invalid_argument);
}

TEST_CASE("exact digests of the raw bytes, for images and for anything else") {
    const Bytes jpg = hgtest::read_bytes(photo("apple.jpg"));
    const std::string text = "this is not an image";
    const Bytes junk(text.begin(), text.end());
    hg::Lists lists;
    lists.add_text("md5", hgtest::hex_digest(EVP_md5(), junk) + ",junk\n", HG_KIND_MD5)
        .add_text("sha1", hgtest::hex_digest(EVP_sha1(), jpg) + "\n", HG_KIND_SHA1)
        .add_text("sha256", hgtest::hex_digest(EVP_sha256(), jpg) + "\n", HG_KIND_SHA256);
    hg::Scanner s = scanner_with(lists);

    hg::Result a = s.scan(jpg.data(), jpg.size());
    CHECK(a.verdict() == HG_VERDICT_MATCH);
    CHECK(a.matches().size() == 2);
    CHECK(a.str(HG_RESULT_SHA1_HEX) == hgtest::hex_digest(EVP_sha1(), jpg));
    CHECK(a.str(HG_RESULT_SHA256_HEX) == hgtest::hex_digest(EVP_sha256(), jpg));
    CHECK(a.str(HG_RESULT_MD5_HEX) == hgtest::hex_digest(EVP_md5(), jpg));  // an md5 list exists

    // Not an image, yet listed by MD5: matched, and the decode error still reported.
    hg::Result b = s.scan(junk.data(), junk.size());
    CHECK(b.verdict() == HG_VERDICT_MATCH);
    CHECK(b.status() == HG_ERR_UNSUPPORTED_FORMAT);
    REQUIRE(b.matches().size() == 1);
    CHECK(b.matches()[0].kind == HG_KIND_MD5);
    CHECK(b.matches()[0].metadata == "junk");
    CHECK(b.get(HG_RESULT_HAS_PDQ) == 0);
    CHECK(b.pdq_hex().empty());

    // Not an image and not listed: verdict error, with the cause.
    const Bytes other = {'G', 'I', 'F', '8', '9', 'a', 1, 2, 3};
    hg::Result c = s.scan(other.data(), other.size());
    CHECK(c.verdict() == HG_VERDICT_ERROR);
    CHECK(c.status() == HG_ERR_DECODE_FAILED);
    CHECK_FALSE(c.error().empty());

    // Digests are computed only when needed, unless asked for.
    hg::Lists pdq_only;
    pdq_only.add_text("p", ref("aero1.jpg").hashes[0] + "\n", HG_KIND_PDQ);
    s.set_lists(pdq_only);
    CHECK(s.scan(jpg.data(), jpg.size()).str(HG_RESULT_MD5_HEX).empty());
    s.set(HG_OPT_DIGESTS, HG_DIGESTS_ALL);
    CHECK(s.scan(jpg.data(), jpg.size()).str(HG_RESULT_MD5_HEX) == hgtest::hex_digest(EVP_md5(), jpg));
}

TEST_CASE("list errors name the cause; nothing half-added") {
    hg::Lists lists;
    const std::string good = ref("aero1.jpg").hashes[0];
    try {
        lists.add_text("bad", good + "\nnot-a-hash\n", HG_KIND_PDQ, "upload.txt");
        FAIL("accepted a malformed list");
    } catch (const hg::Error& e) {
        CHECK(e.status() == HG_ERR_LIST_FORMAT);
        CHECK(std::string(e.what()).find("upload.txt:2") != std::string::npos);
    }
    CHECK(lists.size() == 0);
    lists.set_default(HG_LIST_SKIP_BAD_LINES, 1);
    lists.add_text("bad", good + "\nnot-a-hash\n", HG_KIND_PDQ, "upload.txt");
    CHECK(lists.get("bad", HG_LIST_ENTRIES) == 1);
    CHECK(lists.get("bad", HG_LIST_BAD_LINES) == 1);

    // An MD5 list holding a SHA-1 digest.
    try {
        lists.add_text("md5", std::string(32, 'a') + "\n" + std::string(40, 'b') + "\n", HG_KIND_MD5);
        FAIL("accepted a mixed list");
    } catch (const hg::Error& e) {
        CHECK(e.status() == HG_ERR_LIST_FORMAT);
        CHECK(std::string(e.what()).find("sha1") != std::string::npos);
    }
    // Duplicate names, bad values, unknown keys, missing files.
    CHECK_THROWS_AS(lists.add_text("bad", good + "\n", HG_KIND_PDQ), hg::Error);
    CHECK(hg_lists_set_int(lists.get(), "bad", HG_LIST_THRESHOLD, 257) == HG_ERR_INVALID_ARGUMENT);
    CHECK(std::string(hg_last_error()).find("THRESHOLD") != std::string::npos);
    CHECK(hg_lists_set_int(lists.get(), "nope", HG_LIST_THRESHOLD, 3) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_lists_set_int(lists.get(), nullptr, static_cast<hg_list_key>(77), 3) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_lists_add_file(lists.get(), "f", "/nonexistent/list.txt", HG_KIND_PDQ) == HG_ERR_IO);
    CHECK(std::string(hg_last_error()).find("/nonexistent/list.txt") != std::string::npos);
    CHECK(hg_lists_add_text(lists.get(), "k", "", 0, static_cast<hg_kind>(9), nullptr) == HG_ERR_INVALID_ARGUMENT);
}

TEST_CASE("NULL arguments are errors, never crashes") {
    hg_result* r = reinterpret_cast<hg_result*>(1);
    CHECK(hg_scan(nullptr, "x", 1, &r) == HG_ERR_INVALID_ARGUMENT);
    CHECK(r == nullptr);
    hg::Scanner s;
    CHECK(hg_scan(s.get(), nullptr, 5, &r) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_scan(s.get(), "x", 1, nullptr) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_scan_file(s.get(), "/nonexistent.jpg", &r) == HG_ERR_IO);
    CHECK(r == nullptr);
    CHECK(hg_scanner_set_int(nullptr, HG_OPT_FAST, 1) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_scanner_set_int(s.get(), HG_OPT_FAST, 2) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_scanner_set_int(s.get(), HG_OPT_CACHE_SIZE, 2) == HG_ERR_INVALID_ARGUMENT);  // read-only
    CHECK(hg_scanner_get_int(s.get(), HG_OPT_FAST, nullptr) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_lists_add_text(nullptr, "a", "", 0, HG_KIND_PDQ, nullptr) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_lists_add_text(hg::Lists().get(), nullptr, "", 0, HG_KIND_PDQ, nullptr) == HG_ERR_INVALID_ARGUMENT);
    CHECK(hg_result_verdict(nullptr) == HG_VERDICT_ERROR);
    CHECK(hg_result_int(nullptr, HG_RESULT_QUALITY) == -1);
    CHECK(hg_result_str(nullptr, HG_RESULT_JSON) == nullptr);
    CHECK(hg_match_str(nullptr, 0, HG_MATCH_LIST) == nullptr);
    CHECK(hg_lists_count(nullptr) == 0);
    hg_result_free(nullptr);
    hg_scanner_free(nullptr);
    hg_lists_free(nullptr);
    // An empty attachment is a result, not an API error.
    REQUIRE(hg_scan(s.get(), nullptr, 0, &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_ERROR);
    CHECK(hg_result_status(r) == HG_ERR_DECODE_FAILED);
    CHECK(std::string(hg_result_str(r, HG_RESULT_ERROR)).size() > 0);
    CHECK(hg_match_int(r, 0, HG_MATCH_DISTANCE) == -1);
    hg_result_free(r);
}

TEST_CASE("letterbox removal hashes the content inside uniform borders") {
    const auto& r = ref("aero1.jpg");
    const hashguard::Image img = decode(hgtest::read_bytes(photo("aero1.jpg")));
    hg::Lists lists;
    lists.add_text("bad", r.hashes[0] + "\n", HG_KIND_PDQ);
    hg::Scanner s = scanner_with(lists);

    for (std::uint8_t colour : {std::uint8_t{0}, std::uint8_t{255}, std::uint8_t{128}}) {
        const Bytes boxed = to_pnm(with_borders(img, 140, 20, colour));
        hg::Result res = s.scan(boxed.data(), boxed.size());
        INFO("border colour " << int(colour));
        REQUIRE(res.verdict() == HG_VERDICT_MATCH);
        CHECK(res.get(HG_RESULT_LETTERBOXED) == 1);
        CHECK(res.str(HG_RESULT_INNER_PDQ_HEX) == r.hashes[0]);  // exactly the original's hash
        const auto m = res.matches();
        REQUIRE(m.size() == 1);
        CHECK(m[0].inner);
        CHECK(m[0].distance == 0);
        // The whole bordered image alone would not have matched.
        hashguard::Hash256 outer, listed;
        REQUIRE(hashguard::Hash256::from_hex(res.pdq_hex(), outer));
        REQUIRE(hashguard::Hash256::from_hex(r.hashes[0], listed));
        CHECK(hashguard::hamming_distance(outer, listed) > 31);
        CHECK(res.json().find("\"letterbox\":{\"x\":20,\"y\":140,\"width\":640,\"height\":480") != std::string::npos);
    }
    s.set(HG_OPT_LETTERBOX, 0);
    const Bytes boxed = to_pnm(with_borders(img, 140, 20, 0));
    hg::Result off = s.scan(boxed.data(), boxed.size());
    CHECK(off.verdict() == HG_VERDICT_NO_MATCH);
    CHECK(off.get(HG_RESULT_LETTERBOXED) == 0);

    // No borders, a one-pixel frame, and a flat image: nothing found.
    hashguard::Rect rect;
    CHECK_FALSE(hashguard::scan::find_letterbox(img, 24, rect));
    CHECK_FALSE(hashguard::scan::find_letterbox(with_borders(img, 1, 1, 0), 24, rect));
    hashguard::Image flat;
    flat.width = flat.height = 64;
    flat.channels = 3;
    flat.pixels.assign(64 * 64 * 3, 7);
    CHECK_FALSE(hashguard::scan::find_letterbox(flat, 24, rect));
    REQUIRE(hashguard::scan::find_letterbox(with_borders(img, 0, 50, 255), 24, rect));
    CHECK(rect == hashguard::Rect{50, 0, 640, 480});
}

TEST_CASE("seen-bytes cache: hits, bounds, invalidation on list change") {
    const auto& r = ref("aero1.jpg");
    hg::Lists lists;
    lists.add_text("bad", r.hashes[0] + "\n", HG_KIND_PDQ);
    hg::Scanner s;
    s.set_lists(lists);
    const Bytes jpg = hgtest::read_bytes(photo("aero1.jpg"));
    hg::Result first = s.scan(jpg.data(), jpg.size());
    hg::Result second = s.scan(jpg.data(), jpg.size());
    CHECK_FALSE(first.cached());
    CHECK(second.cached());
    CHECK(second.verdict() == HG_VERDICT_MATCH);
    CHECK(second.pdq_hex() == first.pdq_hex());
    CHECK(second.matches().size() == 1);
    CHECK(second.get(HG_RESULT_DECODE_US) == 0);
    CHECK(s.get(HG_OPT_CACHE_SIZE) == 1);

    // New lists: the cached verdict is not reused.
    hg::Lists empty;
    s.set_lists(empty);
    CHECK(s.get(HG_OPT_CACHE_SIZE) == 0);
    hg::Result third = s.scan(jpg.data(), jpg.size());
    CHECK_FALSE(third.cached());
    CHECK(third.verdict() == HG_VERDICT_NO_MATCH);

    // Bounded by entries and by bytes.
    s.set(HG_OPT_CACHE_ENTRIES, 2);
    for (const char* f : {"apple.jpg", "baboon.jpg", "board.jpg", "fruits.jpg"}) s.scan_file(photo(f));
    CHECK(s.get(HG_OPT_CACHE_SIZE) == 2);
    CHECK(s.scan_file(photo("fruits.jpg")).cached());
    CHECK_FALSE(s.scan_file(photo("apple.jpg")).cached());  // evicted (least recently used)
    s.set(HG_OPT_CACHE_ENTRIES, 100);
    s.set(HG_OPT_CACHE_BYTES, 64);  // smaller than any result
    s.scan_file(photo("apple.jpg"));
    CHECK(s.get(HG_OPT_CACHE_SIZE) == 0);
    s.set(HG_OPT_CACHE_ENTRIES, 0);
    s.set(HG_OPT_CACHE_BYTES, 1 << 20);
    s.scan_file(photo("apple.jpg"));
    CHECK_FALSE(s.scan_file(photo("apple.jpg")).cached());
}

TEST_CASE("limits give their own status through the scanner") {
    hg::Scanner s;
    const Bytes jpg = hgtest::read_bytes(photo("aero1.jpg"));
    s.set(HG_OPT_MAX_PIXELS, 1000);
    hg::Result a = s.scan(jpg.data(), jpg.size());
    CHECK(a.verdict() == HG_VERDICT_ERROR);
    CHECK(a.status() == HG_ERR_LIMIT_PIXELS);
    CHECK(a.error().find("max_pixels") != std::string::npos);
    s.set(HG_OPT_MAX_PIXELS, 100000000).set(HG_OPT_MAX_INPUT_BYTES, 1000);
    hg::Result b = s.scan(jpg.data(), jpg.size());
    CHECK(b.status() == HG_ERR_LIMIT_BYTES);
    hg::Result c = s.scan_file(photo("aero1.jpg"));
    CHECK(c.verdict() == HG_VERDICT_ERROR);
    CHECK(c.status() == HG_ERR_LIMIT_BYTES);
    CHECK(c.error().find("aero1.jpg") != std::string::npos);
}

TEST_CASE("hot reload while scanning: every verdict matches the generation that answered") {
    // Two small images; list set A lists the first, B the second.
    const hashguard::Image big1 = decode(hgtest::read_bytes(photo("aero1.jpg")));
    const hashguard::Image big2 = decode(hgtest::read_bytes(photo("baboon.jpg")));
    const Bytes img1 = to_pnm(big1), img2 = to_pnm(big2);
    const std::string h1 = hgtest::hash_bytes(img1).hashes[0].to_hex();
    const std::string h2 = hgtest::hash_bytes(img2).hashes[0].to_hex();
    hg::Lists a, b;
    a.add_text("A", h1 + "\n", HG_KIND_PDQ);
    b.add_text("B", h2 + "\n", HG_KIND_PDQ);

    const long live_before = hashguard::scan::ListSet::live_count();
    for (int cache : {0, 4096}) {
        INFO("cache entries " << cache);
        hg::Scanner s;
        s.set(HG_OPT_CACHE_ENTRIES, cache);
        long long gen = s.get(HG_OPT_GENERATION);
        const long long first_a = gen + 1;  // A gets first_a, first_a+2, ...
        s.set_lists(a);
        std::atomic<bool> stop{false};
        std::atomic<int> scans{0}, wrong{0}, stale{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; !stop.load() || i < 20; ++i) {
                    const bool first = (i + t) % 2 == 0;
                    const Bytes& img = first ? img1 : img2;
                    const long long before = s.get(HG_OPT_GENERATION);
                    hg::Result r = s.scan(img.data(), img.size());
                    const long long g = r.get(HG_RESULT_GENERATION);
                    if (g < before) ++stale;  // answered by lists replaced before the scan began
                    const bool set_a = (g - first_a) % 2 == 0;
                    const bool expect_match = first == set_a;
                    const auto m = r.matches();
                    const bool ok = expect_match ? (r.verdict() == HG_VERDICT_MATCH && m.size() == 1 &&
                                                    m[0].list == (set_a ? "A" : "B") && m[0].distance == 0)
                                                 : (r.verdict() == HG_VERDICT_NO_MATCH && m.empty());
                    if (!ok) ++wrong;
                    ++scans;
                }
            });
        for (int i = 0; i < 300; ++i) {
            s.set_lists(i % 2 == 0 ? b : a);
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        stop = true;
        for (auto& t : threads) t.join();
        CHECK(wrong.load() == 0);
        CHECK(stale.load() == 0);
        CHECK(scans.load() >= 80);
        CHECK(s.get(HG_OPT_GENERATION) == first_a + 300);
        // Only the active set is still alive: every replaced set was freed.
        CHECK(hashguard::scan::ListSet::live_count() == live_before + 1);
    }
    CHECK(hashguard::scan::ListSet::live_count() == live_before);
}

TEST_CASE("lists config file: settings applied, relative paths, all or nothing") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("hg_cfg_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "lists");
    const auto& r = ref("aero1.jpg");
    {
        std::ofstream(dir / "lists" / "bad.txt") << r.hashes[0] << ",case-9\n";
        std::ofstream(dir / "lists" / "ok.txt") << flip(r.hashes[0], 20) << ",benign\n";
        std::ofstream(dir / "cfg.json") << "{\"lists\": [\n"
                                        << "  {\"name\": \"bad\", \"path\": \"lists/bad.txt\", \"threshold\": 12, "
                                           "\"min_quality\": 70},\n"
                                        << "  {\"name\": \"ok\", \"path\": \"lists/ok.txt\", \"role\": \"allow\"}\n]}\n";
    }
    hg::Lists lists;
    hg::check(hg_lists_add_config(lists.get(), (dir / "cfg.json").c_str()));
    REQUIRE(lists.size() == 2);
    CHECK(lists.get("bad", HG_LIST_THRESHOLD) == 12);
    CHECK(lists.get("bad", HG_LIST_MIN_QUALITY) == 70);
    CHECK(lists.get("ok", HG_LIST_ROLE) == HG_ROLE_ALLOW);
    CHECK(lists.get("ok", HG_LIST_ENTRIES) == 1);
    hg::Scanner s = scanner_with(lists);
    CHECK(s.scan_file(photo("aero1.jpg")).verdict() == HG_VERDICT_ALLOWED);

    // A second config naming a missing file adds nothing at all.
    {
        std::ofstream(dir / "cfg2.json") << "{\"lists\": [{\"name\": \"x\", \"path\": \"lists/bad.txt\"},\n"
                                         << "  {\"name\": \"y\", \"path\": \"lists/missing.txt\"}]}\n";
    }
    CHECK(hg_lists_add_config(lists.get(), (dir / "cfg2.json").c_str()) == HG_ERR_IO);
    CHECK(std::string(hg_last_error()).find("missing.txt") != std::string::npos);
    CHECK(lists.size() == 2);
    // Syntax errors name file and line.
    { std::ofstream(dir / "cfg3.json") << "{\"lists\": [\n  {\"name\": \"z\",\n   \"path\" \"lists/bad.txt\"}]}\n"; }
    CHECK(hg_lists_add_config(lists.get(), (dir / "cfg3.json").c_str()) == HG_ERR_LIST_FORMAT);
    CHECK(std::string(hg_last_error()).find("cfg3.json:3:") != std::string::npos);
    fs::remove_all(dir);
}
