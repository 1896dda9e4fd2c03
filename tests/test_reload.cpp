// Reloads proportional to the change: a list that did not change keeps its
// built index (found by identity or by content), a list takes additions and
// removals (deltas) without rebuilding its index, deltas merge into a new base
// when they grow, and under hot reload no scan sees a half-applied change.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hashguard/hashguard.hpp"
#include "scan/list_index.hpp"
#include "scan/scanner.hpp"
#include "scan/staging.hpp"
#include "support/digests.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

std::string photo(const std::string& name) { return hgtest::data_dir() + "/photos/" + name; }

std::string ref_hash(const std::string& file) { return hgtest::photo_ref_hash(file); }

// n random PDQ hashes, one per line, with ",r<i>" metadata.
std::string random_list(std::size_t n, std::uint64_t seed) {
    hgtest::Rng rng(seed);
    std::string s;
    s.reserve(n * 72);
    static const char* d = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
        for (int k = 0; k < 64; ++k) s += d[rng.below(16)];
        s += ",r" + std::to_string(i) + "\n";
    }
    return s;
}

// The index object the scanner uses for list `name` (identity tells a reuse).
const hashguard::PdqIndex* index_of(const hashguard::scan::Scanner& s, const std::string& name) {
    for (const auto& l : s.lists()->lists())
        if (l->config.name == name) return l->index.get();
    return nullptr;
}

hg::Result scan(hg::Scanner& s, const std::string& file) { return s.scan_file(photo(file)); }

}  // namespace

TEST_CASE("replacing a small list beside a big one rebuilds only the small one") {
    const std::string big = random_list(100000, 1) + ref_hash("messi5.jpg") + ",big-1\n";
    hashguard::scan::ListStaging staging;
    REQUIRE(staging.add_text("big", big, hashguard::HashKind::pdq, "big.txt").ok());
    REQUIRE(staging.add_text("allow", ref_hash("aero1.jpg") + ",meme\n", hashguard::HashKind::pdq, "a.txt").ok());
    staging.find("allow")->config.role = hashguard::scan::Role::allow;
    hashguard::scan::Scanner s;
    std::shared_ptr<const hashguard::scan::ListSet> set;
    REQUIRE(staging.build(set).ok());
    s.set_lists(set);
    const hashguard::PdqIndex* big_index = index_of(s, "big");
    REQUIRE(big_index);

    // Replace the allow list: one index built (the new small one), the big one kept.
    const auto built = hashguard::scan::indexes_built();
    REQUIRE(staging.remove("allow").ok());
    REQUIRE(staging.add_text("allow", ref_hash("baboon.jpg") + ",other\n", hashguard::HashKind::pdq, "a2.txt").ok());
    staging.find("allow")->config.role = hashguard::scan::Role::allow;
    REQUIRE(staging.build(set).ok());
    s.set_lists(set);
    CHECK(hashguard::scan::indexes_built() == built + 1);
    CHECK(index_of(s, "big") == big_index);

    // The big list read again into a new object (same content): found by content, not rebuilt.
    hashguard::scan::ListStaging again;
    REQUIRE(again.add_text("big", big, hashguard::HashKind::pdq, "big.txt").ok());
    REQUIRE(again.build(set).ok());
    s.set_lists(set);
    CHECK(hashguard::scan::indexes_built() == built + 1);
    CHECK(index_of(s, "big") == big_index);

    // One hash different: a new index.
    std::string changed = big;
    changed[0] = changed[0] == '0' ? '1' : '0';
    hashguard::scan::ListStaging other;
    REQUIRE(other.add_text("big", changed, hashguard::HashKind::pdq, "big.txt").ok());
    REQUIRE(other.build(set).ok());
    s.set_lists(set);
    CHECK(hashguard::scan::indexes_built() == built + 2);
    CHECK(index_of(s, "big") != big_index);
}

TEST_CASE("a snapshot that stores its index is scanned without building one, and deltas apply over it") {
    const std::string text = random_list(5000, 4) + ref_hash("messi5.jpg") + ",planted\n";
    const fs::path dir = fs::temp_directory_path() / ("hg_snapidx_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const std::string txt = (dir / "l.txt").string(), snap = (dir / "l.snap").string();
    std::ofstream(txt) << text;
    hashguard::HashList l;
    REQUIRE(hashguard::load_list_file(txt, l).ok());
    hashguard::SnapshotOptions opt;
    opt.index = "auto";
    REQUIRE(hashguard::save_snapshot(l, snap, opt).ok());
    const auto built = hashguard::scan::indexes_built();
    hashguard::scan::ListStaging staging;
    REQUIRE(staging.add_file("l", snap, hashguard::HashKind::pdq).ok());
    hashguard::scan::Scanner s;
    std::shared_ptr<const hashguard::scan::ListSet> set;
    REQUIRE(staging.build(set).ok());
    s.set_lists(set);
    CHECK(hashguard::scan::indexes_built() == built);  // read in place, nothing built
    const hashguard::PdqIndex* idx = index_of(s, "l");
    REQUIRE(idx);
    CHECK(std::string(idx->name()) == "mih");
    hg::Lists lists;
    lists.add_file("l", snap, HG_KIND_PDQ);
    hg::Scanner scanner;
    scanner.set_lists(lists);
    CHECK(hashguard::scan::indexes_built() == built);
    hg::Result r = scan(scanner, "messi5.jpg");
    CHECK(r.verdict() == HG_VERDICT_MATCH);
    CHECK(r.json().find("\"planted\"") != std::string::npos);
    // A delta removes the planted entry over the stored index: no rebuild, no match.
    lists.apply_delta("l", "-" + ref_hash("messi5.jpg") + "\n");
    scanner.set_lists(lists);
    CHECK(hashguard::scan::indexes_built() == built);
    CHECK(scan(scanner, "messi5.jpg").verdict() == HG_VERDICT_NO_MATCH);
    fs::remove_all(dir);
}

TEST_CASE("deltas add and remove entries without rebuilding the index") {
    const std::string messi = ref_hash("messi5.jpg"), aero = ref_hash("aero1.jpg"), apple = ref_hash("apple.jpg");
    hg::Lists lists;
    lists.add_text("bad", random_list(2000, 2) + messi + ",base-messi\n" + aero + ",base-aero\n", HG_KIND_PDQ);
    hg::Scanner s;
    s.set(HG_OPT_CACHE_ENTRIES, 0);
    s.set_lists(lists);
    CHECK(scan(s, "messi5.jpg").verdict() == HG_VERDICT_MATCH);
    CHECK(scan(s, "apple.jpg").verdict() == HG_VERDICT_NO_MATCH);
    // A delta on a list that was never handed to a scanner: its index is built once,
    // for the delta, and the set reuses it.
    {
        const auto before = hashguard::scan::indexes_built();
        hg::Lists fresh;
        fresh.add_text("f", random_list(3000, 9), HG_KIND_PDQ).apply_delta("f", "-" + messi + "\n" + apple + "\n");
        hg::Scanner s2;
        s2.set_lists(fresh);
        CHECK(hashguard::scan::indexes_built() == before + 1);
    }

    const auto built = hashguard::scan::indexes_built();

    // Remove messi, add apple (with its metadata), re-add aero (already listed: ignored).
    lists.apply_delta("bad", "-" + messi + "\n+" + apple + ",delta-apple\n" + aero + ",again\n-" +
                                 std::string(64, 'f') + "\n", "d1.txt");
    CHECK(lists.get("bad", HG_LIST_DELTA_ADDED) == 1);
    CHECK(lists.get("bad", HG_LIST_DELTA_REMOVED) == 1);
    CHECK(lists.get("bad", HG_LIST_ENTRIES) == 2002);
    s.set_lists(lists);
    CHECK(hashguard::scan::indexes_built() == built);  // the base index is kept; the delta's is not a list index
    CHECK(scan(s, "messi5.jpg").verdict() == HG_VERDICT_NO_MATCH);
    hg::Result a = scan(s, "apple.jpg");
    REQUIRE(a.verdict() == HG_VERDICT_MATCH);
    CHECK(a.matches()[0].metadata == "delta-apple");
    CHECK(a.matches()[0].id == "2");  // its line in the delta
    CHECK(scan(s, "aero1.jpg").matches()[0].metadata == "base-aero");

    // Bring messi back, withdraw the added apple: the base's own entry returns.
    lists.apply_delta("bad", "+" + messi + "\n-" + apple + "\n", "d2.txt");
    CHECK(lists.get("bad", HG_LIST_DELTA_ADDED) == 0);
    CHECK(lists.get("bad", HG_LIST_DELTA_REMOVED) == 0);
    s.set_lists(lists);
    hg::Result m = scan(s, "messi5.jpg");
    REQUIRE(m.verdict() == HG_VERDICT_MATCH);
    CHECK(m.matches()[0].metadata == "base-messi");
    CHECK(scan(s, "apple.jpg").verdict() == HG_VERDICT_NO_MATCH);

    // All or nothing: a malformed line changes nothing and names source:line.
    CHECK(hg_lists_apply_delta_text(lists.get(), "bad", "-nope\n", 6, "d3.txt") == HG_ERR_LIST_FORMAT);
    CHECK(std::string(hg_last_error()).find("d3.txt:1") != std::string::npos);
    CHECK(hg_lists_apply_delta_text(lists.get(), "missing", "", 0, "x") == HG_ERR_INVALID_ARGUMENT);
    CHECK(lists.get("bad", HG_LIST_ENTRIES) == 2002);
}

TEST_CASE("deltas on exact lists, from a config, and merged into a new base when they grow") {
    const Bytes jpg = hgtest::read_bytes(photo("apple.jpg"));
    const std::string md5 = hgtest::hex_digest(EVP_md5(), jpg);
    const fs::path dir = fs::temp_directory_path() / ("hg_reload_" + std::to_string(getpid()));
    fs::create_directories(dir);
    { std::ofstream(dir / "md5.txt") << std::string(32, 'a') << ",other\n"; }
    { std::ofstream(dir / "d1.txt") << md5 << ",apple by digest\n"; }
    { std::ofstream(dir / "cfg.json") << "{\"lists\": [{\"name\": \"md5\", \"path\": \"md5.txt\", \"kind\": \"md5\", "
                                         "\"deltas\": [\"d1.txt\"]}]}"; }
    hg::Lists lists;
    lists.add_config((dir / "cfg.json").string());
    CHECK(lists.get("md5", HG_LIST_DELTA_ADDED) == 1);
    hg::Scanner s;
    s.set_lists(lists);
    hg::Result r = scan(s, "apple.jpg");
    REQUIRE(r.verdict() == HG_VERDICT_MATCH);
    CHECK(r.matches()[0].metadata == "apple by digest");
    lists.apply_delta("md5", "-" + md5 + "\n", "d2.txt");
    s.set_lists(lists);
    CHECK(scan(s, "apple.jpg").verdict() == HG_VERDICT_NO_MATCH);

    // 70 000 additions to a 10-entry list: past the compaction point, merged into a new base.
    hg::Lists pdq;
    pdq.add_text("p", random_list(10, 3), HG_KIND_PDQ);
    pdq.apply_delta("p", random_list(70000, 4) + ref_hash("messi5.jpg") + ",late\n", "big-delta.txt");
    CHECK(pdq.get("p", HG_LIST_DELTA_ADDED) == 0);  // merged
    CHECK(pdq.get("p", HG_LIST_ENTRIES) == 70011);
    s.set_lists(pdq);
    CHECK(scan(s, "messi5.jpg").matches()[0].metadata == "late");
    fs::remove_all(dir);
}

TEST_CASE("hot reload with deltas: every scan sees a whole version, never half a change") {
    const std::string messi = ref_hash("messi5.jpg"), aero = ref_hash("aero1.jpg");
    const Bytes img_m = hgtest::read_bytes(photo("messi5.jpg")), img_a = hgtest::read_bytes(photo("aero1.jpg"));
    // Version A lists messi only; version B is A with a delta removing messi and adding aero.
    hg::Lists a, b;
    a.add_text("l", random_list(5000, 5) + messi + "\n", HG_KIND_PDQ);
    b.add_text("l", random_list(5000, 5) + messi + "\n", HG_KIND_PDQ);
    b.apply_delta("l", "-" + messi + "\n" + aero + "\n", "d.txt");
    hg::Scanner s;
    s.set(HG_OPT_CACHE_ENTRIES, 0);
    s.set_lists(a);
    const long long first_a = s.get(HG_OPT_GENERATION);  // A: first_a, first_a + 2, ...
    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0}, scans{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; !stop.load() || i < 20; ++i) {
                const bool is_messi = (i + t) % 2 == 0;
                hg::Result r = s.scan(is_messi ? img_m.data() : img_a.data(), is_messi ? img_m.size() : img_a.size());
                const bool version_a = (r.get(HG_RESULT_GENERATION) - first_a) % 2 == 0;
                const bool listed = is_messi == version_a;  // A lists messi, B lists aero
                if ((r.verdict() == HG_VERDICT_MATCH) != listed || (!listed && r.verdict() != HG_VERDICT_NO_MATCH))
                    ++wrong;
                ++scans;
                scans.notify_all();
            }
        });
    for (int i = 0; i < 200; ++i) {
        s.set_lists(i % 2 == 0 ? b : a);
        for (int seen = scans.load(); scans.load() < seen + 2;) scans.wait(scans.load());  // let scans run on it
    }
    stop = true;
    for (auto& t : threads) t.join();
    CHECK(wrong.load() == 0);
    CHECK(scans.load() >= 400);
}
