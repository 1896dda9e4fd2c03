// Binary snapshots: round trips, and every kind of damage is refused with a
// clear error before anything is used.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include <xxhash.h>

#include <cstring>

#include "hashguard/index.hpp"
#include "hashguard/lists.hpp"
#include "index/index_impl.hpp"
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

// Version 2's checksum of a file under 64 MiB: XXH3-64 of the one block's XXH3-64.
void reseal(std::vector<std::uint8_t>& b) {
    const std::uint64_t block = XXH3_64bits(b.data() + 128, b.size() - 128);
    const std::uint64_t sum = XXH3_64bits(&block, 8);
    std::memcpy(b.data() + 80, &sum, 8);
}

std::uint64_t u64_at(const std::vector<std::uint8_t>& b, std::size_t at) {
    std::uint64_t v;
    std::memcpy(&v, b.data() + at, 8);
    return v;
}

// Queries near entries (some within small radii) and a random one.
std::vector<Hash256> queries_for(const std::vector<Hash256>& list, hgtest::Rng& rng) {
    std::vector<Hash256> qs;
    for (int i = 0; i < 8 && !list.empty(); ++i)
        qs.push_back(hgtest::flip_bits(list[rng.below(static_cast<std::uint32_t>(list.size()))],
                                       static_cast<int>(rng.below(40)), rng));
    qs.push_back(hgtest::random_hash(rng));
    return qs;
}

std::shared_ptr<const PdqIndex> stored(std::shared_ptr<Snapshot> snap) {
    std::unique_ptr<PdqIndex> idx;
    REQUIRE(detail::SnapshotAccess::stored_index(*snap, snap, idx).ok());
    return std::shared_ptr<const PdqIndex>(std::move(idx));
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
    version[8] = 4;
    expect(version, "version 4 is not supported");
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

TEST_CASE("A snapshot stores its built index; read in place it answers as brute force") {
    hgtest::Rng rng(21);
    // Half the files checked on two threads (the 64 MiB blocks: one here, so
    // the second thread finds none), half on one; MIH built on two threads.
    const std::size_t saved_verify = detail::ParallelFrom::verify_bytes.load();
    const std::size_t saved_mih = detail::ParallelFrom::mih_hashes.exchange(0);
    const std::string p = tmp_path("idx.snap");
    // Sizes around the scan's 512-hash blocks and MIH's shape changes; specs of every storable kind.
    for (const std::size_t n : {std::size_t{1}, std::size_t{511}, std::size_t{513}, std::size_t{3000}}) {
        HashList l = sample_pdq(n);
        for (const char* spec : {"mih", "mih:13", "mih:20", "mih:48", "scan", "auto"}) {
            INFO("n=" << n << " spec=" << spec);
            SnapshotOptions opt;
            opt.index = spec;
            opt.radius = 31;
            detail::ParallelFrom::verify_bytes = n % 2 ? 0 : saved_verify;
            REQUIRE(save_snapshot(l, p, opt).ok());
            std::unique_ptr<Snapshot> u;
            REQUIRE(Snapshot::open(p, u).ok());
            std::shared_ptr<Snapshot> snap(std::move(u));
            CHECK(snap->version() == 3);
            const std::string kind = std::string(spec).substr(0, 3) == "mih" ? "mih" : "scan";
            CHECK(snap->index_kind() == (std::string(spec) == "auto" ? (n >= 1000 ? "mih" : "scan") : kind));
            CHECK(detail::SnapshotAccess::stored_radius(*snap) == 31);
            const auto idx = stored(snap);
            REQUIRE(idx);
            CHECK(idx->size() == n);
            const auto qs = queries_for(l.pdq, rng);
            for (const int r : {0, 8, 31, 63, 80, 256}) {
                std::vector<IndexMatch> got;
                REQUIRE(idx->range_search(qs.data(), qs.size(), r, got).ok());
                CHECK(got == hgtest::brute_range(l.pdq, qs, r));
            }
        }
    }
    detail::ParallelFrom::verify_bytes = saved_verify;
    detail::ParallelFrom::mih_hashes = saved_mih;
    std::remove(p.c_str());
}

TEST_CASE("Snapshot index options: none, exact lists, a bktree, and the stored index outlives the Snapshot handle") {
    const std::string p = tmp_path("idx2.snap");
    HashList l = sample_pdq(700);
    REQUIRE(save_snapshot(l, p).ok());  // default: no index
    std::unique_ptr<Snapshot> s;
    REQUIRE(Snapshot::open(p, s).ok());
    CHECK(s->index_kind().empty());
    std::unique_ptr<PdqIndex> none;
    REQUIRE(detail::SnapshotAccess::stored_index(*s, nullptr, none).ok());
    CHECK_FALSE(none);
    SnapshotOptions bk;
    bk.index = "bktree";
    Error e = save_snapshot(l, p, bk);
    CHECK(e.code == Status::invalid_argument);
    CHECK(e.message == "a 'bktree' index cannot be stored (mih, scan)");
    bk.index = "kdtree";
    CHECK(save_snapshot(l, p, bk).code == Status::invalid_argument);
    HashList exact;
    exact.kind = ListKind::exact;
    Digest d;
    d.kind = HashKind::md5;
    d.size = 16;
    exact.digests.push_back(d);
    exact.ids.push_back("x");
    exact.metadata.emplace_back();
    SnapshotOptions mih;
    mih.index = "mih";
    CHECK(save_snapshot(exact, p, mih).message == "only PDQ snapshots store an index");
    // The index keeps the mapping alive after the last Snapshot handle is gone.
    REQUIRE(save_snapshot(l, p, mih).ok());
    std::shared_ptr<const PdqIndex> idx;
    {
        std::unique_ptr<Snapshot> u;
        REQUIRE(Snapshot::open(p, u).ok());
        idx = stored(std::shared_ptr<Snapshot>(std::move(u)));
    }
    std::remove(p.c_str());
    std::vector<IndexMatch> got;
    REQUIRE(idx->range_search(&l.pdq[5], 1, 0, got).ok());
    REQUIRE(got.size() == 1);
    CHECK(got[0].entry == 5);
}

TEST_CASE("Binary lists store no ids: implicit 1-based ids, and load_binary_hashes") {
    const std::string bin = tmp_path("hashes.bin"), p = tmp_path("implicit.snap");
    HashList src = sample_pdq(50);
    std::vector<std::uint8_t> raw(32 * 51);
    for (std::size_t i = 0; i < 50; ++i) src.pdq[i].to_bytes(&raw[32 * i]);
    src.pdq[7].to_bytes(&raw[32 * 50]);  // a duplicate of entry 8: dropped, the first kept
    write_bytes(bin, raw);
    HashList l;
    ListParseReport rep;
    REQUIRE(load_binary_hashes(bin, l, &rep).ok());
    CHECK(l.size() == 50);
    CHECK(rep.duplicates_merged == 1);
    CHECK(l.pdq == src.pdq);
    CHECK(l.ids[0] == "1");
    CHECK(l.ids[49] == "50");
    REQUIRE(save_snapshot(l, p).ok());
    std::unique_ptr<Snapshot> s;
    REQUIRE(Snapshot::open(p, s).ok());
    CHECK(s->implicit_ids());
    CHECK(s->file_bytes() == 128 + 50 * 32);  // hashes only
    CHECK(s->id(3).empty());
    HashList back;
    REQUIRE(s->to_list(back).ok());
    CHECK(back.ids == l.ids);
    CHECK(back.metadata == l.metadata);
    // Any stored id or metadata makes them explicit.
    l.metadata[3] = "m";
    REQUIRE(save_snapshot(l, p).ok());
    REQUIRE(Snapshot::open(p, s).ok());
    CHECK_FALSE(s->implicit_ids());
    CHECK(s->id(3) == "4");
    raw.pop_back();
    write_bytes(bin, raw);
    const Error e = load_binary_hashes(bin, l);
    CHECK(e.code == Status::list_format);
    CHECK(e.message == bin + ": 1631 bytes is not a whole number of 32-byte PDQ hashes");
    std::remove(bin.c_str());
    std::remove(p.c_str());
}

TEST_CASE("Version 2 snapshots still open: their scan planes are used, their MIH tables (the old layout) are not") {
    const std::string p = tmp_path("v2.snap");
    HashList l = sample_pdq(1500);
    for (const char* spec : {"mih", "scan"}) {
        INFO(spec);
        SnapshotOptions opt;
        opt.index = spec;
        REQUIRE(save_snapshot(l, p, opt).ok());
        auto b = file_bytes(p);
        REQUIRE(b[8] == 3);
        b[8] = 2;  // the header is outside the checksum: a version 2 file of the same bytes
        write_bytes(p, b);
        std::unique_ptr<Snapshot> u;
        REQUIRE(Snapshot::open(p, u).ok());
        std::shared_ptr<Snapshot> snap(std::move(u));
        CHECK(snap->version() == 2);
        std::unique_ptr<PdqIndex> idx;
        REQUIRE(detail::SnapshotAccess::stored_index(*snap, snap, idx).ok());
        if (std::string(spec) == "mih") {
            // A v2 reader took these tables as (begin, end) offsets: never read as slots or offsets.
            CHECK(snap->index_kind().empty());
            CHECK(snap->stored_index_outdated());
            CHECK_FALSE(idx);
            CHECK(detail::SnapshotAccess::stored_radius(*snap) == -1);
        } else {
            CHECK(snap->index_kind() == "scan");
            CHECK_FALSE(snap->stored_index_outdated());
            REQUIRE(idx);
            hgtest::Rng rng(21);
            const auto qs = queries_for(l.pdq, rng);
            std::vector<IndexMatch> got;
            REQUIRE(idx->range_search(qs.data(), qs.size(), 31, got).ok());
            CHECK(got == hgtest::brute_range(l.pdq, qs, 31));
        }
        HashList back;
        REQUIRE(snap->to_list(back).ok());
        CHECK(back.pdq == l.pdq);
    }
    std::remove(p.c_str());
}

TEST_CASE("Version 1 snapshots still open") {
    // A version-1 file as the earlier writer made it: header, hashes, string index, strings; XXH3-64 of all after the header.
    const HashList l = sample_pdq(3);
    std::vector<std::uint8_t> b(128 + 3 * 32, 0);
    for (std::size_t i = 0; i < 3; ++i) std::memcpy(&b[128 + 32 * i], l.pdq[i].w.data(), 32);
    const std::uint64_t index_off = 128 + 3 * 32;
    std::string strings;
    std::vector<std::uint64_t> offs;
    for (std::size_t i = 0; i < 3; ++i) {
        offs.push_back(strings.size());
        strings += l.ids[i];
        offs.push_back(strings.size());
        strings += l.metadata[i];
    }
    offs.push_back(strings.size());
    b.resize(index_off + 8 * offs.size());
    std::memcpy(&b[index_off], offs.data(), 8 * offs.size());
    const std::uint64_t strings_off = b.size();
    b.insert(b.end(), strings.begin(), strings.end());
    const std::uint64_t fields[] = {3, b.size(), 128, 96, index_off, 8 * offs.size(), strings_off, strings.size()};
    std::memcpy(b.data(), "HGSNAP\0\0", 8);
    const std::uint32_t version = 1, kind = 0;
    std::memcpy(&b[8], &version, 4);
    std::memcpy(&b[12], &kind, 4);
    std::memcpy(&b[16], fields, sizeof fields);
    const std::uint64_t sum = XXH3_64bits(b.data() + 128, b.size() - 128);
    std::memcpy(&b[80], &sum, 8);
    const std::string p = tmp_path("v1.snap");
    write_bytes(p, b);
    std::unique_ptr<Snapshot> s;
    REQUIRE(Snapshot::open(p, s).ok());
    CHECK(s->version() == 1);
    CHECK(s->size() == 3);
    CHECK(s->pdq(2) == l.pdq[2]);
    CHECK(s->id(1) == l.ids[1]);
    CHECK(s->metadata(1) == l.metadata[1]);
    CHECK(s->index_kind().empty());
    b[96] = 1;  // a version-2 flag in a version-1 header
    write_bytes(p, b);
    CHECK(Snapshot::open(p, s).message == p + ": corrupt header (version 1 with version 2 fields)");
    std::remove(p.c_str());
}

TEST_CASE("A stored index with a valid checksum but a wrong shape is refused; any table bytes stay memory-safe") {
    const std::string p = tmp_path("badidx.snap");
    const HashList l = sample_pdq(600);
    SnapshotOptions opt;
    opt.index = "mih:24";  // 10-11 bit chunks: small tables
    REQUIRE(save_snapshot(l, p, opt).ok());
    const auto good = file_bytes(p);
    const std::size_t sec = u64_at(good, 96);  // pdq_index_off
    std::unique_ptr<Snapshot> s;
    auto refused = [&](std::vector<std::uint8_t> b, const std::string& why) {
        reseal(b);
        write_bytes(p, b);
        const Error e = Snapshot::open(p, s);
        INFO(e.message);
        CHECK(e.message == p + ": " + why);
        CHECK_FALSE(s);
    };
    auto b = good;
    b[sec + 8] = 25;  // chunk count: the parts no longer have its sizes
    refused(b, "corrupt stored index (kind, shape or part bounds)");
    b = good;
    std::memcpy(&b[sec], "kdtree\0", 8);
    refused(b, "corrupt stored index (kind, shape or part bounds)");
    b = good;
    b[sec + 24] ^= 0x40;  // the first part's offset
    refused(b, "corrupt stored index (kind, shape or part bounds)");
    b = good;
    b[sec + 15] = 0x80;  // radius: negative
    refused(b, "corrupt stored index (kind, shape or part bounds)");
    b = good;
    b[104] ^= 1;  // pdq_index_bytes
    refused(b, "corrupt header (section bounds)");
    b = good;
    b[88] = 4;  // an unknown flag
    refused(b, "corrupt header (unknown flags)");
    // The index stored in `bytes` (resealed: a valid checksum), read in place.
    auto stored_in = [&](std::vector<std::uint8_t> bytes) {
        reseal(bytes);
        write_bytes(p, bytes);
        std::unique_ptr<Snapshot> u;
        REQUIRE(Snapshot::open(p, u).ok());
        return stored(std::shared_ptr<Snapshot>(std::move(u)));
    };
    // Random table contents under a valid checksum: the lookups stay in bounds
    // (ASan checks this run), whatever they answer.
    hgtest::Rng rng(5);
    for (int round = 0; round < 20; ++round) {
        b = good;
        for (std::size_t i = sec + 128; i < b.size(); ++i)
            if (round < 10 || rng.below(4) == 0) b[i] = static_cast<std::uint8_t>(rng.next());
        const auto idx = stored_in(b);
        const auto qs = queries_for(l.pdq, rng);
        for (const int r : {0, 31, 63}) {
            std::vector<IndexMatch> got;
            REQUIRE(idx->range_search(qs.data(), qs.size(), r, got).ok());
            for (const auto& m : got) {
                CHECK(m.entry < l.size());
                CHECK(static_cast<int>(m.distance) == hamming_distance(qs[m.query], l.pdq[m.entry]));
            }
        }
    }
    // Every slot a run from position 0 and no id marked as a run's last: every
    // probe reads its whole chunk, so every entry is a candidate many times
    // over (the search verifies and merges them on the way instead of holding
    // them all) and the answer is the brute-force one.
    b = good;
    const std::uint64_t part0 = sec + u64_at(good, sec + 24), part1 = sec + u64_at(good, sec + 32);
    std::fill(b.begin() + static_cast<std::ptrdiff_t>(part0), b.begin() + static_cast<std::ptrdiff_t>(part1), 0);
    for (std::size_t i = part1 + 3; i < b.size(); i += 4) b[i] &= 0x7F;
    const auto idx = stored_in(b);
    const auto qs = queries_for(l.pdq, rng);
    for (const int r : {0, 31}) {
        std::vector<IndexMatch> got;
        REQUIRE(idx->range_search(qs.data(), qs.size(), r, got).ok());
        CHECK(got == hgtest::brute_range(l.pdq, qs, r));
    }
    std::remove(p.c_str());
}

TEST_CASE("Snapshots over 64 MiB: the checksum spans several blocks, verified on two threads; damage in any block is found") {
    // 1.1 * 10^6 hashes with implicit ids and the scan's planes: ~72 MB, two blocks.
    HashList l;
    hgtest::Rng rng(31);
    const std::size_t n = 1'100'000;
    l.pdq.resize(n);
    for (auto& h : l.pdq)
        for (auto& w : h.w) w = static_cast<std::uint16_t>(rng.next());
    l.ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i) l.ids.push_back(std::to_string(i + 1));
    l.metadata.resize(n);
    const std::string p = tmp_path("big.snap");
    SnapshotOptions opt;
    opt.index = "scan";
    REQUIRE(save_snapshot(l, p, opt).ok());
    std::unique_ptr<Snapshot> s;
    REQUIRE(Snapshot::open(p, s).ok());  // >= 128 MiB is the default for two threads; lower it below
    REQUIRE(s->file_bytes() > (std::size_t{64} << 20));
    const std::uint64_t sum = s->checksum();
    s.reset();
    const std::size_t saved = detail::ParallelFrom::verify_bytes.exchange(0);
    REQUIRE(Snapshot::open(p, s).ok());
    CHECK(s->checksum() == sum);
    CHECK(s->implicit_ids());
    s.reset();
    for (const std::size_t at : {std::size_t{200}, std::size_t{64} << 20, (std::size_t{64} << 20) + 129,
                                 file_bytes(p).size() - 1}) {
        auto b = file_bytes(p);
        b[at] ^= 0x10;
        write_bytes(tmp_path("big2.snap"), b);
        CHECK(Snapshot::open(tmp_path("big2.snap"), s).message == tmp_path("big2.snap") + ": checksum mismatch: the snapshot is corrupt");
    }
    detail::ParallelFrom::verify_bytes = saved;
    std::remove(p.c_str());
    std::remove(tmp_path("big2.snap").c_str());
}
