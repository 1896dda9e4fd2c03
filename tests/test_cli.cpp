// The hashguard CLI: output format byte for byte against the reference CLI's,
// failures reported per file with the rest continuing, stdin paths, usage.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include "hashguard/pdq.hpp"
#include "support/test_support.hpp"

namespace {

std::string photos() { return hgtest::data_dir() + "/photos"; }

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("hash --dihedral reproduces the reference CLI's lines for every bundled photo") {
    // Run from data/photos so the path column is the reference's relative path.
    std::set<std::string> files;
    std::set<std::string> expected;
    for (const auto& line : hgtest::read_lines(photos() + "/reference-dihedral-across.csv")) expected.insert(line);
    for (const auto& row : hgtest::read_ref_csv(photos() + "/reference-dihedral-across.csv")) files.insert(row.path);
    std::string cmd = std::string("cd ") + quote(photos());
    cmd += " && ";
    cmd += quote(hgtest::cli_path());
    cmd += " hash --dihedral --all-frames";
    for (const auto& f : files) {
        cmd += ' ';
        cmd += quote(f);
    }
    std::string out;
    REQUIRE(hgtest::run(cmd, out) == 0);
    const auto lines = hgtest::split(out, '\n');
    std::set<std::string> got(lines.begin(), lines.end());
    got.erase("");
    CHECK(got.size() == expected.size());
    int matched = 0;
    for (const auto& e : expected) {
        INFO(e);
        CHECK(got.count(e) == 1);
        matched += static_cast<int>(got.count(e));
    }
    std::printf("CLI lines identical to the reference: %d/%zu\n", matched, expected.size());
}

TEST_CASE("hash without --dihedral prints hash,quality,path") {
    std::string out;
    REQUIRE(hgtest::run(quote(hgtest::cli_path()) + " hash " + quote(photos() + "/messi5.jpg"), out) == 0);
    CHECK(out == "c86f3d1bb60a7b4371c1cbf2b05bec65d8180c030fc14389e542bb26ef43f6cb,100," + photos() + "/messi5.jpg\n");
    REQUIRE(hgtest::run(quote(hgtest::cli_path()) + " hash " + quote(photos() + "/formats/tiny-3x3.png"), out) == 0);
    CHECK(out == std::string(64, '0') + ",0," + photos() + "/formats/tiny-3x3.png\n");
}

TEST_CASE("A failing file is reported on stderr and the others continue") {
    const std::string garbage = "/tmp/hashguard-cli-garbage.bin";
    { std::ofstream(garbage) << "this is not an image"; }
    const std::string cmd = quote(hgtest::cli_path()) + " hash " + quote(photos() + "/messi5.jpg") +
                            " /nonexistent/x.jpg " + garbage + " " + quote(photos() + "/apple.jpg") +
                            " 2>/tmp/hashguard-cli-err.txt";
    std::string out;
    CHECK(hgtest::run(cmd, out) == 1);
    const auto lines = hgtest::split(out, '\n');
    REQUIRE(lines.size() == 3);  // two hashes + trailing empty
    CHECK(lines[0].find("messi5.jpg") != std::string::npos);
    CHECK(lines[1].find("apple.jpg") != std::string::npos);
    const auto err = hgtest::read_lines("/tmp/hashguard-cli-err.txt");
    REQUIRE(err.size() == 2);
    CHECK(err[0].rfind("/nonexistent/x.jpg: cannot open", 0) == 0);
    CHECK(err[1].rfind(garbage + ": unrecognised format", 0) == 0);
    std::remove(garbage.c_str());
}

TEST_CASE("'-' reads paths from standard input") {
    const std::string cmd = "printf '%s\\n%s\\n' " + quote(photos() + "/apple.jpg") + " " +
                            quote(photos() + "/board.jpg") + " | " + quote(hgtest::cli_path()) + " hash -";
    std::string out;
    REQUIRE(hgtest::run(cmd, out) == 0);
    const auto lines = hgtest::split(out, '\n');
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].rfind("b53f17065f1b128671d1304f78589e0ea5b849e593e1f8c03eb51c3cba4bd9d1,100,", 0) == 0);
    CHECK(lines[1].rfind("2d8a2483f4f9ef030e331c7cfb7c0ae450cff8071fe783fbf004e08b346b1a34,100,", 0) == 0);
}

TEST_CASE("Usage: --help documents the command, bad usage exits 2") {
    std::string out;
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " hash --help", out) == 0);
    CHECK(out.find("--dihedral") != std::string::npos);
    CHECK(out.find("hash,quality,path") != std::string::npos);
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " hash --bogus x 2>/dev/null", out) == 2);
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " hash 2>/dev/null", out) == 2);
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " frobnicate 2>/dev/null", out) == 2);
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " --help", out) == 0);
}

TEST_CASE("--max-pixels applies the limit and names it") {
    std::string out;
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " hash --max-pixels 1000 " + quote(photos() + "/messi5.jpg") +
                          " 2>&1",
                      out) == 1);
    CHECK(out.find("max_pixels limit of 1000") != std::string::npos);
}

TEST_CASE("match: the scanner's verdicts against the bundled sample list, exit 3 on a match") {
    const std::string list = hgtest::data_dir() + "/lists/sample-blocklist.txt";
    std::string out;
    const std::string cmd = quote(hgtest::cli_path()) + " match --list " + quote(list) + " " +
                            quote(photos() + "/messi5.jpg") + " " + quote(photos() + "/apple.jpg") + " " +
                            quote(photos() + "/formats/fruits-lossy.webp") + " " + quote(photos() + "/baboon.jpg") +
                            " " + quote(photos() + "/formats/tiny-3x3.png");
    CHECK(hgtest::run(cmd, out) == 3);
    const auto lines = hgtest::split(out, '\n');
    REQUIRE(lines.size() == 6);
    // verdict,distance,transform,list,id,metadata,path
    CHECK(lines[0] == "match,0,original," + list + ",4,demo-001 messi5 exact copy," + photos() + "/messi5.jpg");
    CHECK(lines[1] == "match,0,rot90," + list + ",5,demo-002 apple rotated 90 degrees," + photos() + "/apple.jpg");
    CHECK(lines[2] == "match,12,original," + list + ",6,demo-003 fruits with 12 bits of noise," + photos() +
                          "/formats/fruits-lossy.webp");
    CHECK(lines[3] == "no_match,,,,,," + photos() + "/baboon.jpg");
    CHECK(lines[4] == "below_quality,,,,,," + photos() + "/formats/tiny-3x3.png");  // the JSON's word
    // A tighter threshold turns the 12-bit match into no_match; nothing matched -> exit 0.
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " match --threshold 11 --list " + quote(list) + " " +
                          quote(photos() + "/formats/fruits-lossy.webp") + " " + quote(photos() + "/baboon.jpg"),
                      out) == 0);
    CHECK(out.rfind("no_match,,,,,,", 0) == 0);
}

TEST_CASE("match honours allow lists, letterboxes and errors like the scanner, and prints its JSON") {
    const std::string list = hgtest::data_dir() + "/lists/sample-blocklist.txt";
    const std::string allow = "/tmp/hashguard-cli-allow.txt";
    { std::ofstream(allow) << "b53f17065f1b128671d1304f78589e0ea5b849e593e1f8c03eb51c3cba4bd9d1,meme-7\n"; }
    std::string out;
    // apple.jpg is listed (as its rot90) and, here, also allowed: allowed wins, exit 0.
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " match --list " + quote(list) + " --allow " + allow + " " +
                          quote(photos() + "/apple.jpg"),
                      out) == 0);
    CHECK(out == "allowed,0,original," + allow + ",1,meme-7," + photos() + "/apple.jpg\n");
    // A file that cannot be decoded: an error line (reason on stderr), exit 1.
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " match --list " + quote(list) + " " + allow + " 2>/dev/null", out) == 1);
    CHECK(out == "error,,,,,," + allow + "\n");
    // --json: the scanner's JSON, one object per line, checked by python3's json too.
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " match --json --list " + quote(list) + " " +
                          quote(photos() + "/messi5.jpg") + " " + quote(photos() + "/baboon.jpg"),
                      out) == 3);
    std::string why;
    CHECK(hgtest::python_jsonl_objects(out, why) == 2);
    CHECK(out.find("{\"path\":\"" + photos() + "/messi5.jpg\",\"size\":") == 0);
    CHECK(out.find("\"verdict\":\"match\"") != std::string::npos);
    std::remove(allow.c_str());
}

TEST_CASE("match: a malformed list line is reported with file and line") {
    const std::string list = "/tmp/hashguard-cli-badlist.txt";
    { std::ofstream(list) << "# comment\n" << std::string(64, 'a') << ",ok\nnot-a-hash,meta\n"; }
    std::string out;
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " match --list " + list + " " + quote(photos() + "/apple.jpg") +
                          " 2>&1",
                      out) == 2);
    CHECK(out == list + ":3: not a 64-digit hex PDQ hash\n");
    std::remove(list.c_str());
}

TEST_CASE("list build --binary stores the index and implicit ids; match uses them") {
    // 3000 random binary hashes with messi5's reference hash at position 1234.
    hashguard::Hash256 h;
    REQUIRE(hashguard::Hash256::from_hex(hgtest::photo_ref_hash("messi5.jpg"), h));
    std::vector<std::uint8_t> raw(3000 * 32);
    hgtest::Rng rng(77);
    for (auto& b : raw) b = static_cast<std::uint8_t>(rng.next());
    h.to_bytes(&raw[32 * 1233]);
    const std::string bin = "/tmp/hashguard-cli-hashes.bin", snap = "/tmp/hashguard-cli-bin.snap";
    std::ofstream(bin, std::ios::binary).write(reinterpret_cast<const char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    const std::string cli = quote(hgtest::cli_path());
    std::string out;
    REQUIRE(hgtest::run(cli + " list build --binary " + bin + " -o " + snap, out) == 0);
    CHECK(out == snap + ": 3000 entries from 1 input(s); 0 duplicates merged, 0 bad lines skipped\n");
    REQUIRE(hgtest::run(cli + " list info " + snap, out) == 0);
    CHECK(out.find("hashguard snapshot v3, pdq list, 3000 entries") != std::string::npos);
    CHECK(out.find("index mih, implicit ids") != std::string::npos);
    CHECK(hgtest::run(cli + " match --list " + snap + " " + quote(photos() + "/messi5.jpg"), out) == 3);
    CHECK(out == "match,0,original," + snap + ",1234,," + photos() + "/messi5.jpg\n");
    REQUIRE(hgtest::run(cli + " list build --binary --index scan --radius 63 " + bin + " -o " + snap, out) == 0);
    REQUIRE(hgtest::run(cli + " list info " + snap, out) == 0);
    CHECK(out.find("index scan") != std::string::npos);
    REQUIRE(hgtest::run(cli + " list build --binary --index none " + bin + " -o " + snap, out) == 0);
    REQUIRE(hgtest::run(cli + " list info " + snap, out) == 0);
    CHECK(out.find("index none") != std::string::npos);
    CHECK(hgtest::run(cli + " list build --binary --index kdtree " + bin + " -o " + snap + " 2>&1", out) == 1);
    CHECK(out == "unknown index spec 'kdtree' (scan, mih, mih:<9..48 chunks>, bktree, auto)\n");
    CHECK(hgtest::run(cli + " list build --binary --exact " + bin + " -o " + snap + " 2>&1", out) == 2);
    CHECK(hgtest::run(cli + " list build --radius 300 " + bin + " -o " + snap + " 2>&1", out) == 2);
    raw.resize(raw.size() - 5);
    std::ofstream(bin, std::ios::binary).write(reinterpret_cast<const char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    CHECK(hgtest::run(cli + " list build --binary " + bin + " -o " + snap + " 2>&1", out) == 1);
    CHECK(out == bin + ": 95995 bytes is not a whole number of 32-byte PDQ hashes\n");
    std::remove(bin.c_str());
    std::remove(snap.c_str());
}

TEST_CASE("list build/info: snapshot from text lists, verified, usable by match; damage detected") {
    const std::string list = hgtest::data_dir() + "/lists/sample-blocklist.txt";
    const std::string snap = "/tmp/hashguard-cli-list.snap";
    std::string out;
    REQUIRE(hgtest::run(quote(hgtest::cli_path()) + " list build " + quote(list) + " " + quote(list) + " -o " + snap, out) == 0);
    CHECK(out == snap + ": 4 entries from 2 input(s); 4 duplicates merged, 0 bad lines skipped\n");
    REQUIRE(hgtest::run(quote(hgtest::cli_path()) + " list info " + snap, out) == 0);
    CHECK(out.find("pdq list, 4 entries") != std::string::npos);
    CHECK(out.find("(verified)") != std::string::npos);
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " match --list " + snap + " " + quote(photos() + "/messi5.jpg"), out) == 3);
    CHECK(out == "match,0,original," + snap + ",4,demo-001 messi5 exact copy," + photos() + "/messi5.jpg\n");
    // Flip one byte of the payload: info and match both refuse the snapshot.
    auto bytes = hgtest::read_bytes(snap);
    bytes[bytes.size() - 3] ^= 0x20;
    std::ofstream(snap, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " list info " + snap + " 2>&1", out) == 1);
    CHECK(out == snap + ": checksum mismatch: the snapshot is corrupt\n");
    CHECK(hgtest::run(quote(hgtest::cli_path()) + " match --list " + snap + " " + quote(photos() + "/messi5.jpg") + " 2>&1", out) == 2);
    CHECK(out.find("checksum mismatch") != std::string::npos);
    std::remove(snap.c_str());
}
