// Binary snapshots: round trips, and every kind of damage is refused with a
// clear error before anything is used.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "hashguard/lists.hpp"
#include "support/test_support.hpp"

using namespace hashguard;

namespace {

std::string tmp_path(const char* name) { return std::string("/tmp/hashguard-test-") + name; }

HashList sample_pdq(std::size_t n) {
    HashList l;
    hgtest::Rng rng(3);
    for (std::size_t i = 0; i < n; ++i) {
        Hash256 h;
        for (auto& w : h.w) w = static_cast<std::uint16_t>(rng.next());
        l.pdq.push_back(h);
        l.ids.push_back("id-" + std::to_string(i));
        l.metadata.push_back(i % 3 ? "meta " + std::to_string(i) : std::string());
    }
    return l;
}

std::vector<std::uint8_t> file_bytes(const std::string& p) { return hgtest::read_bytes(p); }
void write_bytes(const std::string& p, const std::vector<std::uint8_t>& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

TEST_CASE("PDQ snapshot round trip, mapped and read without parsing") {
    const HashList l = sample_pdq(1000);
    const std::string p = tmp_path("rt.snap");
    REQUIRE(save_snapshot(l, p).ok());
    std::unique_ptr<Snapshot> s;
    const Error e = Snapshot::open(p, s);
    INFO(e.message);
    REQUIRE(e.ok());
    CHECK(s->kind() == ListKind::pdq);
    REQUIRE(s->size() == 1000);
    CHECK(reinterpret_cast<std::uintptr_t>(s->hash_bytes()) % 64 == 0);
    for (std::size_t i = 0; i < l.size(); ++i) {
        CHECK(s->pdq(i) == l.pdq[i]);
        CHECK(s->id(i) == l.ids[i]);
        CHECK(s->metadata(i) == l.metadata[i]);
    }
    HashList back;
    REQUIRE(s->to_list(back).ok());
    CHECK(back.pdq == l.pdq);
    CHECK(back.ids == l.ids);
    CHECK(back.metadata == l.metadata);
    std::remove(p.c_str());
}

TEST_CASE("Exact and empty snapshots round trip") {
    ListParseOptions opt;
    opt.kind = ListKind::exact;
    HashList l;
    REQUIRE(parse_hash_list("d41d8cd98f00b204e9800998ecf8427e,empty md5\n"
                            "da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,x\n",
                            "e.txt", l, opt)
                .ok());
    const std::string p = tmp_path("exact.snap");
    REQUIRE(save_snapshot(l, p).ok());
    std::unique_ptr<Snapshot> s;
    REQUIRE(Snapshot::open(p, s).ok());
    REQUIRE(s->size() == 3);
    CHECK(s->kind() == ListKind::exact);
    for (std::size_t i = 0; i < 3; ++i) CHECK(s->digest(i) == l.digests[i]);
    CHECK(s->metadata(0) == "empty md5");
    const HashList empty;
    REQUIRE(save_snapshot(empty, p).ok());
    REQUIRE(Snapshot::open(p, s).ok());
    CHECK(s->size() == 0);
    std::remove(p.c_str());
}

TEST_CASE("Truncated, extended, bit-flipped and foreign files are refused") {
    const std::string p = tmp_path("bad.snap");
    REQUIRE(save_snapshot(sample_pdq(300), p).ok());
    const auto good = file_bytes(p);
    std::unique_ptr<Snapshot> s;
    auto expect = [&](const std::vector<std::uint8_t>& b, const std::string& needle) {
        write_bytes(p, b);
        const Error e = Snapshot::open(p, s);
        INFO(e.message);
        CHECK(e.code == Status::list_format);
        CHECK(e.message.find(needle) != std::string::npos);
        CHECK(e.message.rfind(p + ": ", 0) == 0);
        CHECK_FALSE(s);
    };
    expect(std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2)), "truncated");
    auto longer = good;
    longer.push_back(0);
    expect(longer, "truncated or extended");
    expect(std::vector<std::uint8_t>(good.begin(), good.begin() + 50), "shorter than its header");
    // A flipped bit anywhere after the header fails the checksum.
    hgtest::Rng rng(8);
    for (int k = 0; k < 20; ++k) {
        auto b = good;
        const std::size_t at = 128 + rng.below(static_cast<std::uint32_t>(b.size() - 128));
        b[at] ^= static_cast<std::uint8_t>(1u << rng.below(8));
        expect(b, "checksum mismatch");
    }
    auto magic = good;
    magic[0] = 'X';
    expect(magic, "bad magic");
    auto version = good;
    version[8] = 2;
    expect(version, "version 2 is not supported");
    auto bounds = good;
    bounds[72] ^= 0x40;  // strings_bytes
    expect(bounds, "corrupt header");
    std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
    text.resize(200, 'x');
    expect(text, "bad magic");
    CHECK(Snapshot::open("/nonexistent/x.snap", s).code == Status::io_error);
    std::remove(p.c_str());
}

TEST_CASE("merge_hash_lists merges duplicates across lists") {
    HashList a = sample_pdq(10), b = sample_pdq(15);  // b's first 10 equal a's
    b.metadata[1] = "other";
    std::size_t merged = 0;
    REQUIRE(merge_hash_lists(a, b, &merged).ok());
    CHECK(merged == 10);
    CHECK(a.size() == 15);
    CHECK(a.metadata[1] == "meta 1 | other");
    HashList exact;
    exact.kind = ListKind::exact;
    CHECK(merge_hash_lists(a, exact).code == Status::invalid_argument);
}
