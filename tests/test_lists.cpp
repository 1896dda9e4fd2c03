// Hash-list parsing: every accepted form, exact digests by length, errors
// naming file and line, all-or-nothing by default, skip mode, duplicates.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string_view>

#include "hashguard/lists.hpp"
#include "support/test_support.hpp"

using namespace hashguard;

namespace {
const std::string A = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
const std::string B = "c86f3d1bb60a7b4371c1cbf2b05bec65d8180c030fc14389e542bb26ef43f6cb";
const std::string C = "b53f17065f1b128671d1304f78589e0ea5b849e593e1f8c03eb51c3cba4bd9d1";

HashList parse_ok(const std::string& text, ListParseOptions opt = {}, ListParseReport* rep = nullptr) {
    HashList l;
    const Error e = parse_hash_list(text, "t.txt", l, opt, rep);
    INFO(e.message);
    REQUIRE(e.ok());
    return l;
}
}  // namespace

TEST_CASE("Bare hashes, reference lines with metadata, hash= prefix, comments, BOM and CRLF") {
    const std::string text = "\xEF\xBB\xBF# a comment\r\n" + A + "\r\n\r\n" + B + ",100,photo.jpg\r\n" + "hash=" + C +
                             ",norm=128,delta=0,quality=100,filename=x.jpg\n   \n";
    ListParseReport rep;
    const HashList l = parse_ok(text, {}, &rep);
    REQUIRE(l.size() == 3);
    CHECK(l.pdq[0].to_hex() == A);
    CHECK(l.pdq[1].to_hex() == B);
    CHECK(l.pdq[2].to_hex() == C);
    CHECK(l.ids == std::vector<std::string>{"2", "4", "5"});  // source line numbers
    CHECK(l.metadata[0].empty());
    CHECK(l.metadata[1] == "100,photo.jpg");
    CHECK(l.metadata[2] == "norm=128,delta=0,quality=100,filename=x.jpg");
    CHECK(rep.lines == 6);
    CHECK(rep.entries == 3);
    CHECK(rep.ignored_lines == 3);
    CHECK(rep.bad_lines == 0);
}

TEST_CASE("CSV with a header naming the hash column, an id column and quoted fields") {
    const std::string text = "id,signal_type,signal,note\n"
                             "42,pdq," + A + ",\"hello, world\"\n"
                             "43,pdq,\"" + B.substr(0, 32) + B.substr(32) + "\",\"say \"\"hi\"\"\"\n";
    const HashList l = parse_ok(text);
    REQUIRE(l.size() == 2);
    CHECK(l.ids == std::vector<std::string>{"42", "43"});
    CHECK(l.pdq[0].to_hex() == A);
    CHECK(l.metadata[0] == "signal_type=pdq;note=hello, world");
    CHECK(l.metadata[1] == "signal_type=pdq;note=say \"hi\"");
}

TEST_CASE("Exact lists recognise MD5, SHA-1 and SHA-256 by length") {
    ListParseOptions opt;
    opt.kind = ListKind::exact;
    const std::string md5 = "d41d8cd98f00b204e9800998ecf8427e";
    const std::string sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    const std::string sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const HashList l = parse_ok(md5 + "\n" + sha1 + ",empty\n" + sha256 + "\n", opt);
    REQUIRE(l.size() == 3);
    CHECK(l.kind == ListKind::exact);
    CHECK(l.digests[0].kind == HashKind::md5);
    CHECK(l.digests[1].kind == HashKind::sha1);
    CHECK(l.digests[2].kind == HashKind::sha256);
    CHECK(l.digests[0].to_hex() == md5);
    CHECK(l.digests[2].to_hex() == sha256);
    CHECK(l.pdq.empty());
    HashList bad;
    const Error e = parse_hash_list(md5 + "\nabcd\n", "exact.txt", bad, opt);
    CHECK(e.code == Status::list_format);
    CHECK(e.message == "exact.txt:2: not an MD5, SHA-1 or SHA-256 hex digest (32, 40 or 64 hex digits)");
}

TEST_CASE("A malformed line rejects the whole list and names file and line") {
    HashList l;
    const std::string text = A + "\n" + B + "\nnot-a-hash,meta\n" + C + "\n" + C.substr(1) + "\n";
    const Error e = parse_hash_list(text, "lists/bad.txt", l, {});
    CHECK(e.code == Status::list_format);
    CHECK(e.message == "lists/bad.txt:3: not a 64-digit hex PDQ hash (and 1 more malformed lines)");
    CHECK(l.size() == 0);  // nothing half-loaded
    CHECK(l.pdq.empty());
}

TEST_CASE("skip_bad_lines keeps the good lines and reports the bad ones") {
    ListParseOptions opt;
    opt.skip_bad_lines = true;
    ListParseReport rep;
    const std::string text = A + "\nzz" + A.substr(2) + "\n" + B + "\n" + std::string(70000, 'a') + "\n";
    const HashList l = parse_ok(text, opt, &rep);
    CHECK(l.size() == 2);
    CHECK(rep.bad_lines == 2);
    REQUIRE(rep.problems.size() == 2);
    CHECK(rep.problems[0] == "t.txt:2: not a 64-digit hex PDQ hash");
    CHECK(rep.problems[1] == "t.txt:4: line longer than 65536 bytes");
}

TEST_CASE("CSV errors: no hash column, wrong field count, unterminated quote, bad hash cell") {
    HashList l;
    CHECK(parse_hash_list("name,value\nx,y\n", "c.csv", l).message ==
          "c.csv:1: not a 64-digit hex PDQ hash, and not a CSV header naming a hash column (and 1 more malformed "
          "lines)");
    CHECK(parse_hash_list("hash,meta\n" + A + ",1,2\n", "c.csv", l).message == "c.csv:2: has 3 fields, the header has 2");
    CHECK(parse_hash_list("hash,meta\n" + A + ",\"open\n", "c.csv", l).message == "c.csv:2: unterminated quote");
    CHECK(parse_hash_list("meta,PDQ\nx,123\n", "c.csv", l).message ==
          "c.csv:2: not a 64-digit hex PDQ hash in column 'PDQ'");
}

TEST_CASE("Duplicates are merged: first id kept, metadata joined, counted") {
    ListParseReport rep;
    const HashList l = parse_ok(A + ",first\n" + B + "\n" + A + ",second\n" + A + ",first\n", {}, &rep);
    REQUIRE(l.size() == 2);
    CHECK(l.ids[0] == "1");
    CHECK(l.metadata[0] == "first | second");
    CHECK(rep.duplicates_merged == 2);
    CHECK(rep.entries == 2);
}

TEST_CASE("load_hash_list: missing file and a real bundled list") {
    HashList l;
    const Error e = load_hash_list("/nonexistent/list.txt", l);
    CHECK(e.code == Status::io_error);
    CHECK(e.message.rfind("/nonexistent/list.txt: cannot open", 0) == 0);
    REQUIRE(load_hash_list(hgtest::data_dir() + "/lists/sample-blocklist.txt", l).ok());
    CHECK(l.size() == 4);
    CHECK(l.metadata[0] == "demo-001 messi5 exact copy");
}

TEST_CASE("load_hash_list: ThreatExchange's haystack and the reference's details format", "[skippable]") {
    HashList l;
    const std::string shared = hgtest::shared_dir();
    if (shared.empty()) HG_SKIP("../shared absent: ThreatExchange's needles/haystack lists not available");
    REQUIRE(load_hash_list(shared + "/pdq-reference/data/reg-test-input/haystack.txt", l).ok());
    CHECK(l.size() == 1350);
    // The reference's own details format parses too (hash=...,k=v,...).
    ListParseReport rep;
    REQUIRE(load_hash_list(shared + "/pdq-reference/reference-hashes-details.txt", l, {}, &rep).ok());
    CHECK(rep.lines == 49);
    CHECK(rep.entries + rep.duplicates_merged == 49);
}

TEST_CASE("secure_clear overwrites every byte of a list's buffers, spare capacity included") {
    HashList l;
    ListParseOptions opt;
    const std::string text = std::string(64, 'a') + ",first entry's metadata, long enough for the heap\n" +
                             std::string(64, 'b') + ",k9q\n";
    REQUIRE(parse_hash_list(text, "t", l, opt).ok());
    REQUIRE(l.size() == 2);
    // clear() keeps a vector's buffer, so what secure_clear left in it can be read
    // back: the hashes, and the string objects (a short string lives inside its
    // object). A heap string's buffer is wiped before it is freed and cannot be
    // read afterwards.
    const auto* hashes = reinterpret_cast<const unsigned char*>(l.pdq.data());
    const std::size_t hash_bytes = l.pdq.capacity() * sizeof(Hash256);
    const auto* objects = reinterpret_cast<const char*>(l.metadata.data());
    const std::size_t object_bytes = l.metadata.capacity() * sizeof(std::string);
    REQUIRE(std::string_view(objects, object_bytes).find("k9q") != std::string_view::npos);
    secure_clear(l);
    CHECK(l.size() == 0);
    CHECK(std::all_of(hashes, hashes + hash_bytes, [](unsigned char c) { return c == 0; }));
    CHECK(std::string_view(objects, object_bytes).find("k9q") == std::string_view::npos);
}

TEST_CASE("entries are added without reallocating the columns (a reallocation would free an unwiped copy)") {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += std::string(63, 'a') + "0123456789abcdef"[i % 16] + "\n\n# c\n";
    HashList l;
    ListParseOptions opt;
    REQUIRE(parse_hash_list(text, "t", l, opt).ok());
    CHECK(l.size() == 16);  // duplicates merged
    // Reserved once for the 1000 lines that can hold an entry: never grown.
    CHECK(l.pdq.capacity() == 1000);
    CHECK(l.ids.capacity() == 1000);
    CHECK(l.metadata.capacity() == 1000);
}
