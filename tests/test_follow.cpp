// Following a directory of published list versions (hg_lists_follow_dir): the
// layout `hashguard store sync` writes (CURRENT, v<N>/lists.json, bases and
// delta files), written here by hand so the follower is tested without a
// database: only new deltas applied (the index kept), new bases reloaded,
// lists dropped, all or nothing on errors, and scans under a stream of
// versions that never see half of one.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "hashguard/hashguard.hpp"
#include "hashguard/lists.hpp"
#include "support/test_support.hpp"

using namespace hgtest;

namespace {

// A distinct PDQ hash per number (far apart: distance > 31 between any two).
std::string hash_of(int n) {
    hgtest::Rng rng(static_cast<std::uint64_t>(n) * 7919 + 1);
    std::string h;
    static const char* kHex = "0123456789abcdef";
    for (int i = 0; i < 64; ++i) h.push_back(kHex[rng.below(16)]);
    return h;
}

struct PublishedDir {
    std::string dir;
    explicit PublishedDir(const std::string& tag) : dir("/tmp/hg-test-follow-" + tag + "-" + std::to_string(::getpid())) {
        std::string out;
        REQUIRE(run("rm -rf '" + dir + "' && mkdir -p '" + dir + "/lists'", out) == 0);
    }
    ~PublishedDir() {
        std::string out;
        run("rm -rf '" + dir + "'", out);
    }
    void write(const std::string& rel, const std::string& text) const {
        std::ofstream f(dir + "/" + rel + ".tmp");
        f << text;
        f.close();
        REQUIRE(std::rename((dir + "/" + rel + ".tmp").c_str(), (dir + "/" + rel).c_str()) == 0);
    }
    void base(const std::string& file, std::initializer_list<int> hashes) const {
        hashguard::HashList l;
        for (int n : hashes) {
            hashguard::Hash256 h;
            REQUIRE(hashguard::Hash256::from_hex(hash_of(n), h));
            l.pdq.push_back(h);
            l.ids.push_back(std::string("e").append(std::to_string(n)));
            l.metadata.push_back("source=test");
        }
        hashguard::SnapshotOptions so;
        so.index = "mih";
        REQUIRE(hashguard::save_snapshot(l, dir + "/lists/" + file, so).ok());
    }
    // Version n: `lists` is the JSON array's members; CURRENT replaced last.
    void version(int n, const std::string& lists) const {
        std::string out;
        REQUIRE(run("mkdir -p '" + dir + "/v" + std::to_string(n) + "'", out) == 0);
        write("v" + std::to_string(n) + "/lists.json", "{\"lists\": [" + lists + "]}\n");
        write("CURRENT", std::to_string(n) + " v" + std::to_string(n) + "\n");
    }
};

std::string list_json(const std::string& name, const std::string& base, const std::vector<std::string>& deltas) {
    std::string d;
    for (const auto& x : deltas) {
        if (!d.empty()) d.append(", ");
        d.append("\"../lists/").append(x).append("\"");
    }
    std::string out = "{\"name\": \"";
    out.append(name).append("\", \"path\": \"../lists/").append(base);
    out.append("\", \"kind\": \"pdq\", \"deltas\": [").append(d).append("]}");
    return out;
}

std::vector<std::string> matched_lists(const hg::Scanner& s, int n) {
    std::vector<unsigned char> bytes(32);
    const std::string hex = hash_of(n);
    for (int i = 0; i < 32; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    std::vector<std::string> out;
    for (const auto& m : s.scan_hash(HG_KIND_PDQ, bytes.data(), bytes.size()).matches()) out.push_back(m.list);
    std::sort(out.begin(), out.end());
    return out;
}

long long list_int(const hg::Lists& l, const char* name, hg_list_key key) {
    long long v = -1;
    REQUIRE(hg_lists_get_int(l.get(), name, key, &v) == HG_OK);
    return v;
}

}  // namespace

TEST_CASE("Following a published directory: new deltas only, new bases reloaded, lists dropped") {
    PublishedDir p("basic");
    p.base("a-base-1.snap", {1, 2});
    p.base("b-base-1.snap", {10});
    p.write("lists/a-delta-2.csv", "# version 2\nhash,id,source\n" + hash_of(3) + ",e3,test\n-" + hash_of(1) + "\n");
    p.version(1, list_json("a", "a-base-1.snap", {}) + ", " + list_json("b", "b-base-1.snap", {}));

    hg::Lists lists;
    hg::Scanner scanner;
    long long v = 0;
    CHECK(lists.follow_dir(p.dir, &v));
    CHECK(v == 1);
    scanner.set_lists(lists);
    CHECK(matched_lists(scanner, 1) == std::vector<std::string>{"a"});
    CHECK(matched_lists(scanner, 10) == std::vector<std::string>{"b"});
    CHECK_FALSE(lists.follow_dir(p.dir, &v));  // nothing new
    CHECK(v == 1);

    p.version(2, list_json("a", "a-base-1.snap", {"a-delta-2.csv"}) + ", " + list_json("b", "b-base-1.snap", {}));
    CHECK(lists.follow_dir(p.dir, &v));
    CHECK(v == 2);
    CHECK(list_int(lists, "a", HG_LIST_DELTA_ADDED) == 1);    // applied as a delta beside the base,
    CHECK(list_int(lists, "a", HG_LIST_DELTA_REMOVED) == 1);  // not reloaded
    scanner.set_lists(lists);
    CHECK(matched_lists(scanner, 1).empty());
    CHECK(matched_lists(scanner, 3) == std::vector<std::string>{"a"});

    // Version 3: list a gets a new base (merged), b is gone, c is new.
    p.base("a-base-3.snap", {2, 3, 4});
    p.base("c-base-3.snap", {20});
    p.version(3, list_json("a", "a-base-3.snap", {}) + ", " + list_json("c", "c-base-3.snap", {}));
    CHECK(lists.follow_dir(p.dir, &v));
    CHECK(v == 3);
    CHECK(list_int(lists, "a", HG_LIST_DELTA_ADDED) == 0);
    CHECK(lists.size() == 2);
    scanner.set_lists(lists);
    CHECK(matched_lists(scanner, 4) == std::vector<std::string>{"a"});
    CHECK(matched_lists(scanner, 10).empty());
    CHECK(matched_lists(scanner, 20) == std::vector<std::string>{"c"});
}

TEST_CASE("Following is all or nothing: a bad version leaves the set at the one it had") {
    PublishedDir p("errors");
    p.base("a-base-1.snap", {1});
    p.version(1, list_json("a", "a-base-1.snap", {}));
    hg::Lists lists;
    long long v = 0;
    REQUIRE(lists.follow_dir(p.dir, &v));

    // Version 2 names a delta file that is not there.
    p.version(2, list_json("a", "a-base-1.snap", {"a-delta-2.csv"}));
    long long got = -5;
    int changed = -5;
    CHECK(hg_lists_follow_dir(lists.get(), p.dir.c_str(), &got, &changed) == HG_ERR_IO);
    CHECK(std::string(hg_last_error()).find(p.dir + ": version 2: ") == 0);
    CHECK(got == -5);  // outputs untouched on failure
    CHECK(list_int(lists, "a", HG_LIST_DELTA_ADDED) == 0);
    // A malformed delta: nothing of it applied.
    p.write("lists/a-delta-2.csv", hash_of(5) + "\nnot a hash\n");
    CHECK(hg_lists_follow_dir(lists.get(), p.dir.c_str(), &got, &changed) == HG_ERR_LIST_FORMAT);
    CHECK(list_int(lists, "a", HG_LIST_ENTRIES) == 1);
    // Fixed: version 2 applies.
    p.write("lists/a-delta-2.csv", hash_of(5) + "\n");
    CHECK(lists.follow_dir(p.dir, &v));
    CHECK(v == 2);
    CHECK(list_int(lists, "a", HG_LIST_ENTRIES) == 2);

    p.write("CURRENT", "two v2\n");
    CHECK(hg_lists_follow_dir(lists.get(), p.dir.c_str(), &got, &changed) == HG_ERR_LIST_FORMAT);
    CHECK(std::string(hg_last_error()) == p.dir + "/CURRENT: not '<version> v<version>'");
    p.write("CURRENT", "3 ../etc\n");
    CHECK(hg_lists_follow_dir(lists.get(), p.dir.c_str(), &got, &changed) == HG_ERR_LIST_FORMAT);
    PublishedDir other("other");
    CHECK(hg_lists_follow_dir(lists.get(), other.dir.c_str(), &got, &changed) == HG_ERR_INVALID_ARGUMENT);

    hg::Lists mixed;  // a list of the same name added otherwise
    mixed.add_text("a", hash_of(9) + "\n", HG_KIND_PDQ);
    PublishedDir fresh("fresh");
    fresh.base("a-base-1.snap", {1});
    fresh.version(1, list_json("a", "a-base-1.snap", {}));
    CHECK(hg_lists_follow_dir(mixed.get(), fresh.dir.c_str(), &got, &changed) == HG_ERR_INVALID_ARGUMENT);
    CHECK(mixed.size() == 1);
}

TEST_CASE("Scans during a stream of followed versions never see half of one, nor an old one after it is applied") {
    // Version k: lists a and b both hold hash k (added by a delta that also
    // removes k - 1): a scan of any hash matches both lists or neither.
    PublishedDir p("stream");
    p.base("a-base-1.snap", {1});
    p.base("b-base-1.snap", {1});
    p.version(1, list_json("a", "a-base-1.snap", {}) + ", " + list_json("b", "b-base-1.snap", {}));
    hg::Lists lists;
    hg::Scanner scanner;
    REQUIRE(lists.follow_dir(p.dir));
    scanner.set_lists(lists);

    constexpr int kVersions = 40;
    std::atomic<bool> done{false};
    std::atomic<long> torn{0}, scans{0};
    std::thread reader([&] {
        for (int n = 1; !done.load(); n = n % kVersions + 1) {
            const std::size_t m = matched_lists(scanner, n).size();
            if (m == 1) ++torn;
            ++scans;
        }
    });
    std::vector<std::string> da, db;
    for (int k = 2; k <= kVersions; ++k) {
        const std::string delta = hash_of(k) + "\n-" + hash_of(k - 1) + "\n";
        p.write("lists/a-delta-" + std::to_string(k) + ".csv", delta);
        p.write("lists/b-delta-" + std::to_string(k) + ".csv", delta);
        da.push_back("a-delta-" + std::to_string(k) + ".csv");
        db.push_back("b-delta-" + std::to_string(k) + ".csv");
        p.version(k, list_json("a", "a-base-1.snap", da) + ", " + list_json("b", "b-base-1.snap", db));
        long long v = 0;
        REQUIRE(lists.follow_dir(p.dir, &v));
        REQUIRE(v == k);
        scanner.set_lists(lists);
        // Once applied, the new version answers: no stale answer.
        CHECK(matched_lists(scanner, k) == std::vector<std::string>{"a", "b"});
        CHECK(matched_lists(scanner, k - 1).empty());
    }
    done = true;
    reader.join();
    CHECK(torn.load() == 0);
    CHECK(scans.load() > 0);
}
