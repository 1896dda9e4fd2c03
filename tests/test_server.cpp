// Integration test of examples/dm_upload_server over loopback: clean uploads
// are stored, listed ones refused with the reason, concurrent uploads, and a
// list reload while uploads run (plus a failed reload that keeps the old lists).
#include <catch2/catch.hpp>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hashguard/lists.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
    const auto b = hgtest::read_bytes(path);
    return std::string(b.begin(), b.end());
}

void write_file(const fs::path& p, const std::string& s) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << s;
}

std::size_t stored_files(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind("upload-", 0) == 0) ++n;
    return n;
}

// Blocks until `counter` reaches n (the uploaders notify on every change).
void wait_at_least(std::atomic<int>& counter, int n) {
    for (int v = counter.load(); v < n; v = counter.load()) counter.wait(v);
}

long long json_int(const std::string& body, const std::string& key) {
    const auto p = body.find("\"" + key + "\":");
    REQUIRE(p != std::string::npos);
    return std::stoll(body.substr(p + key.size() + 3));
}

// The server as a child process; stops it on destruction.
struct Server {
    pid_t pid = -1;
    int port = 0;
    explicit Server(const std::vector<std::string>& args) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
            std::vector<char*> argv;
            for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(fds[1]);
        std::string line;
        char c;
        while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
        close(fds[0]);
        INFO("server said: " << line);
        const auto p = line.find("127.0.0.1:");
        REQUIRE(p != std::string::npos);
        port = std::stoi(line.substr(p + 10));
    }
    ~Server() {
        if (pid > 0) {
            kill(pid, SIGTERM);
            int st = 0;
            waitpid(pid, &st, 0);
        }
    }
};

}  // namespace

TEST_CASE("dm_upload_server stores clean uploads, refuses listed ones, reloads lists live") {
    const fs::path dir = fs::temp_directory_path() / ("hg_server_test_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "store");
    const std::string photos = hgtest::data_dir() + "/photos/";
    const std::string clean = slurp(photos + "aero1.jpg"), listed = slurp(photos + "messi5.jpg");
    const auto rows = hgtest::read_ref_csv(photos + "reference-dihedral-across.csv");
    std::string aero_hash, messi_hash;
    for (const auto& r : rows) {
        if (r.file.find("aero1.jpg") != std::string::npos) aero_hash = r.hashes[0];
        if (r.file.find("messi5.jpg") != std::string::npos) messi_hash = r.hashes[0];
    }
    REQUIRE(!aero_hash.empty());
    REQUIRE(!messi_hash.empty());
    write_file(dir / "block.txt", messi_hash + ",case-1\n");
    write_file(dir / "md5.txt", "0123456789abcdef0123456789abcdef,unrelated\n");

    {  // An empty list file is refused at start-up (the server would store listed files) unless allowed.
        write_file(dir / "empty.txt", "# nothing yet\n");
        std::string err;
        const std::string cmd = std::string(HG_TEST_SERVER) + " --store " + (dir / "store").string() +
                                " --port 0 --list empty:block:md5:" + (dir / "empty.txt").string() + " 2>&1";
        CHECK(hgtest::run(cmd, err) == 1);
        CHECK(err.find("empty.txt: the list has no entries") != std::string::npos);
        Server allowed({HG_TEST_SERVER, "--store", (dir / "store").string(), "--port", "0", "--allow-empty", "--list",
                        "empty:block:md5:" + (dir / "empty.txt").string()});
        CHECK(allowed.port > 0);
    }

    Server server({HG_TEST_SERVER, "--store", (dir / "store").string(), "--port", "0", "--list",
                   "bad:block:pdq:" + (dir / "block.txt").string(), "--list",
                   "badmd5:block:md5:" + (dir / "md5.txt").string()});
    httplib::Client cli("127.0.0.1", server.port);
    cli.set_read_timeout(30, 0);

    auto health = cli.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);

    auto ok = cli.Post("/upload", clean, "application/octet-stream");
    REQUIRE(ok);
    CHECK(ok->status == 201);
    CHECK(ok->body.find("\"verdict\":\"no_match\"") != std::string::npos);
    CHECK(ok->body.find(aero_hash) != std::string::npos);
    REQUIRE(stored_files(dir / "store") == 1);
    CHECK(slurp((dir / "store" / "upload-1.bin").string()) == clean);  // stored byte for byte

    auto bad = cli.Post("/upload", listed, "image/jpeg");
    REQUIRE(bad);
    CHECK(bad->status == 403);
    CHECK(bad->body.find("matched list 'bad' entry 1 (distance 0, original)") != std::string::npos);

    auto junk = cli.Post("/upload", std::string("this is not an image"), "image/gif");
    REQUIRE(junk);
    CHECK(junk->status == 403);
    INFO(junk->body);
    CHECK(junk->body.find("not a decodable image: unsupported_format") != std::string::npos);

    httplib::MultipartFormDataItems items = {{"file", clean, "aero1.jpg", "image/jpeg"}};
    auto multi = cli.Post("/upload", items);
    REQUIRE(multi);
    CHECK(multi->status == 201);
    CHECK(stored_files(dir / "store") == 2);

    SECTION("concurrent uploads, then a reload while uploads run") {
        std::atomic<int> created{0}, refused{0}, wrong{0};
        auto uploader = [&](int t, int n, bool only_clean) {
            httplib::Client c("127.0.0.1", server.port);
            c.set_read_timeout(30, 0);
            for (int i = 0; i < n; ++i) {
                const bool is_clean = only_clean || (i + t) % 2 == 0;
                auto r = c.Post("/upload", is_clean ? clean : listed, "application/octet-stream");
                if (!r) {
                    ++wrong;
                    continue;
                }
                if (r->status == 201) ++created;
                else if (r->status == 403) ++refused;
                if (!only_clean && r->status != (is_clean ? 201 : 403)) ++wrong;
            }
        };
        {
            std::vector<std::thread> ts;
            for (int t = 0; t < 4; ++t) ts.emplace_back(uploader, t, 10, false);
            for (auto& t : ts) t.join();
        }
        CHECK(wrong.load() == 0);
        CHECK(created.load() == 20);
        CHECK(refused.load() == 20);
        CHECK(stored_files(dir / "store") == 22);

        // Add the clean photo's hash to the list and reload while uploads run.
        write_file(dir / "block.txt", messi_hash + ",case-1\n" + aero_hash + ",case-2\n");
        std::atomic<bool> stop{false};
        std::atomic<long long> reload_gen{-1};
        std::atomic<int> before_ok{0}, after_refused{0}, inconsistent{0};
        std::vector<std::thread> ts;
        for (int t = 0; t < 3; ++t)
            ts.emplace_back([&] {
                httplib::Client c("127.0.0.1", server.port);
                c.set_read_timeout(30, 0);
                for (int i = 0; i < 100000 && !stop; ++i) {
                    auto r = c.Post("/upload", clean, "application/octet-stream");
                    if (!r) {
                        ++inconsistent;
                        continue;
                    }
                    const long long g = json_int(r->body, "generation");
                    const long long rg = reload_gen.load();
                    // 201 only from the old lists; 403 only from the new ones.
                    if (r->status == 201) {
                        if (rg >= 0 && g >= rg) ++inconsistent;
                        ++before_ok;
                        before_ok.notify_all();
                    } else if (r->status == 403) {
                        if (r->body.find("entry 2") == std::string::npos) ++inconsistent;
                        ++after_refused;
                        after_refused.notify_all();
                    } else {
                        ++inconsistent;
                    }
                }
            });
        // Reload once uploads are flowing: wait (on the counter itself) for three stored ones.
        wait_at_least(before_ok, 3);
        auto rel = cli.Post("/admin/reload", "", "text/plain");
        REQUIRE(rel);
        CHECK(rel->status == 200);
        reload_gen = json_int(rel->body, "generation");
        CHECK(json_int(rel->body, "lists") == 2);
        wait_at_least(after_refused, 3);
        stop = true;
        for (auto& t : ts) t.join();
        CHECK(inconsistent.load() == 0);
        CHECK(after_refused.load() > 0);
        CHECK(before_ok.load() > 0);  // uploads were running on both sides of the reload
        auto after = cli.Post("/upload", clean, "application/octet-stream");
        REQUIRE(after);
        CHECK(after->status == 403);
        CHECK(stored_files(dir / "store") == static_cast<std::size_t>(22 + before_ok.load()));

        // A broken list file: the reload fails naming file and line; the old lists stay.
        write_file(dir / "block.txt", messi_hash + "\nnot-a-hash\n");
        auto broken = cli.Post("/admin/reload", "", "text/plain");
        REQUIRE(broken);
        CHECK(broken->status == 500);
        CHECK(broken->body.find("block.txt:2") != std::string::npos);
        auto still = cli.Post("/upload", clean, "application/octet-stream");
        REQUIRE(still);
        CHECK(still->status == 403);

        // An emptied list file is refused on reload too; the old lists stay.
        write_file(dir / "block.txt", "# withdrawn\n");
        auto emptied = cli.Post("/admin/reload", "", "text/plain");
        REQUIRE(emptied);
        CHECK(emptied->status == 500);
        CHECK(emptied->body.find("block.txt: the list has no entries") != std::string::npos);
        auto kept = cli.Post("/upload", listed, "application/octet-stream");
        REQUIRE(kept);
        CHECK(kept->status == 403);
    }
    fs::remove_all(dir);
}

TEST_CASE("dm_upload_server --follow serves each published version, the previous one until the next is complete") {
    const fs::path dir = fs::temp_directory_path() / ("hg-server-follow-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "store");
    fs::create_directories(dir / "pub" / "lists");
    fs::create_directories(dir / "pub" / "v1");
    fs::create_directories(dir / "pub" / "v2");
    const std::string apple = "b53f17065f1b128671d1304f78589e0ea5b849e593e1f8c03eb51c3cba4bd9d1";
    const std::string baboon = "8f3c64f76fa5e4d225c716c7e74097801f0d5278260dbb82f87c03dfc583f502";
    hashguard::HashList base;
    hashguard::Hash256 h;
    REQUIRE(hashguard::Hash256::from_hex(apple, h));
    base.pdq.push_back(h);
    base.ids.push_back("apple-entry");
    base.metadata.push_back("source=test");
    REQUIRE(hashguard::save_snapshot(base, (dir / "pub" / "lists" / "base-1.snap").string()).ok());
    auto version = [&](int n, const std::string& deltas) {
        const std::string v = std::string("v").append(std::to_string(n));
        std::string config = "{\"lists\": [{\"name\": \"feed\", \"path\": \"../lists/base-1.snap\", \"deltas\": [";
        config.append(deltas).append("]}]}");
        write_file(dir / "pub" / v / "lists.json", config);
        write_file(dir / "pub" / "CURRENT.tmp", std::to_string(n).append(" ").append(v).append("\n"));
        fs::rename(dir / "pub" / "CURRENT.tmp", dir / "pub" / "CURRENT");
    };
    version(1, "");
    // A long interval: the test moves versions along with /admin/reload (a check now).
    Server server({HG_TEST_SERVER, "--store", (dir / "store").string(), "--port", "0", "--follow",
                   (dir / "pub").string(), "--follow-ms", "3600000"});
    httplib::Client cli("127.0.0.1", server.port);
    const std::string apple_jpg = slurp(hgtest::data_dir() + "/photos/apple.jpg");
    const std::string baboon_jpg = slurp(hgtest::data_dir() + "/photos/baboon.jpg");
    auto status_of = [&](const std::string& body) {
        auto res = cli.Post("/upload", body, "application/octet-stream");
        REQUIRE(res);
        return res->status;
    };
    CHECK(status_of(apple_jpg) == 403);
    CHECK(status_of(baboon_jpg) == 201);
    auto lists = cli.Get("/admin/lists");
    REQUIRE(lists);
    CHECK(json_int(lists->body, "version") == 1);

    write_file(dir / "pub" / "lists" / "delta-2.csv", "hash,id\n" + baboon + ",baboon-entry\n-" + apple + "\n");
    version(2, "\"../lists/delta-2.csv\"");
    CHECK(status_of(apple_jpg) == 403);  // not checked yet: version 1 still serves
    auto reload = cli.Post("/admin/reload");
    REQUIRE(reload);
    CHECK(reload->status == 200);
    CHECK(json_int(reload->body, "version") == 2);
    CHECK(status_of(apple_jpg) == 201);
    CHECK(status_of(baboon_jpg) == 403);
    // DIR/CONFIRMED (store sync's "last confirmed current" time) is reported.
    const long long now_s = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    write_file(dir / "pub" / "CONFIRMED", std::to_string(now_s - 100) + " 2\n");
    lists = cli.Get("/admin/lists");
    REQUIRE(lists);
    CHECK(json_int(lists->body, "store_confirmed_s_ago") >= 100);

    // A broken version 3 (its delta file missing): version 2 keeps serving, the error is reported.
    version(3, "\"../lists/delta-2.csv\", \"../lists/delta-3.csv\"");
    reload = cli.Post("/admin/reload");
    REQUIRE(reload);
    CHECK(json_int(reload->body, "version") == 2);
    CHECK(reload->body.find("\"error\":") != std::string::npos);
    CHECK(status_of(baboon_jpg) == 403);
    fs::remove_all(dir);
}
