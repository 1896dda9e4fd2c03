// The list store (src/store/, `hashguard store ...`) against a real
// PostgreSQL server: HASHGUARD_TEST_PG_DSN names it (scripts/test.sh starts a
// throwaway one with scripts/pg-test-server.sh); without it the [skippable]
// cases skip (exit 77). Each case runs in a fresh database, dropped after.
// Processes are synchronised on what they print (pipes read with poll() and
// a deadline), never on time.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "feed.hpp"
#include "hashguard/hashguard.hpp"
#include "pq.hpp"
#include "store.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using hashguard::FeedRecord;
using hashguard::HashKind;
namespace store = hashguard::store;

namespace {

std::string admin_dsn() {
    const char* d = std::getenv("HASHGUARD_TEST_PG_DSN");
    return d ? d : "";
}

// A database of its own for one test case, dropped at the end.
struct TestDb {
    std::string name, dsn;
    std::unique_ptr<store::Connection> db;

    TestDb() {
        std::random_device rd;
        name = "hg_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000000u);
        std::unique_ptr<store::Connection> admin;
        hashguard::Error e = store::Connection::open(admin_dsn(), admin);
        INFO(e.message);
        REQUIRE(e.ok());
        e = admin->exec("CREATE DATABASE " + name);
        INFO(e.message);
        REQUIRE(e.ok());
        dsn = admin_dsn() + " dbname=" + name;  // the last dbname wins
        e = store::Connection::open(dsn, db);
        INFO(e.message);
        REQUIRE(e.ok());
        e = store::init(*db);
        INFO(e.message);
        REQUIRE(e.ok());
    }
    ~TestDb() {
        db.reset();
        std::unique_ptr<store::Connection> admin;
        if (store::Connection::open(admin_dsn(), admin).ok())
            (void)admin->exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    std::vector<std::vector<std::string>> rows(const std::string& sql) {
        store::Rows r;
        hashguard::Error e = db->query(sql, r);
        INFO(sql << ": " << e.message);
        REQUIRE(e.ok());
        std::vector<std::vector<std::string>> out;
        for (int i = 0; i < r.size(); ++i) {
            out.emplace_back();
            for (int j = 0; j < r.columns(); ++j) out.back().emplace_back(r.text(i, j));
        }
        return out;
    }
    long long number(const std::string& sql) {
        store::Rows r;
        REQUIRE(db->query(sql, r).ok());
        return r.number(0, 0);
    }
    // (list, hash, id, metadata) of version v.
    std::set<std::tuple<std::string, std::string, std::string, std::string>> content(long long v) {
        const std::string s = std::to_string(v);
        store::Rows r;
        REQUIRE(db->query("SELECT l.name, e.hash, e.external_id, e.metadata FROM hg_entries e JOIN hg_lists l ON "
                          "l.id = e.list_id WHERE e.added_version <= " + s + " AND (e.removed_version IS NULL OR "
                          "e.removed_version > " + s + ")",
                          r)
                    .ok());
        std::set<std::tuple<std::string, std::string, std::string, std::string>> out;
        for (int i = 0; i < r.size(); ++i)
            out.emplace(std::string(r.text(i, 0)), std::string(r.text(i, 1)), std::string(r.text(i, 2)),
                        std::string(r.text(i, 3)));
        return out;
    }
};

bool have_server(const char* what) {
    if (!admin_dsn().empty()) return true;
    hgtest::mark_skipped(std::string(what) + ": HASHGUARD_TEST_PG_DSN is not set (scripts/test.sh starts a server)");
    return false;
}

std::string random_hex(std::mt19937_64& rng, int digits) {
    static const char* kHex = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < digits; ++i) s += kHex[rng() & 15];
    return s;
}

FeedRecord rec(const std::string& hash, const std::string& id, HashKind kind = HashKind::pdq) {
    FeedRecord r;
    r.kind = kind;
    r.hash = hash;
    r.id = id;
    r.source = "ncmec";
    r.media = "image";
    r.labels = {{"member", "m1"}};
    return r;
}
FeedRecord tombstone(const std::string& hash, const std::string& id) {
    FeedRecord r = rec(hash, id);
    r.tombstone = true;
    return r;
}

store::ImportReport import(TestDb& t, const std::vector<FeedRecord>& records) {
    store::ImportReport rep;
    hashguard::Error e = store::import_records(*t.db, [&](const hashguard::FeedSink& sink) -> hashguard::Error {
        for (const auto& r : records)
            if (hashguard::Error se = sink(r)) return se;
        return {};
    }, rep);
    INFO(e.message);
    REQUIRE(e.ok());
    return rep;
}

store::PublishReport publish(TestDb& t) {
    store::PublishReport rep;
    hashguard::Error e = store::publish(*t.db, rep);
    INFO(e.message);
    REQUIRE(e.ok());
    return rep;
}

// A child process with pipes to its stdin, stdout and stderr.
struct Proc {
    pid_t pid = -1;
    int in = -1, out = -1, err = -1;
    std::string out_text, err_text;

    Proc(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
        int pi[2], po[2], pe[2];
        REQUIRE(::pipe2(pi, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(po, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(pe, O_CLOEXEC) == 0);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::dup2(pi[0], 0);
            ::dup2(po[1], 1);
            ::dup2(pe[1], 2);
            for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(pi[0]);
        ::close(po[1]);
        ::close(pe[1]);
        in = pi[1];
        out = po[0];
        err = pe[0];
    }
    ~Proc() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        for (int fd : {in, out, err})
            if (fd >= 0) ::close(fd);
    }

    // Reads stdout and stderr until `done()` holds or both end; false at the deadline.
    template <class F>
    bool read_until(F done, int seconds = 60) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (!done()) {
            pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0 || (out < 0 && err < 0)) return done();
            if (::poll(fds, 2, static_cast<int>(left)) <= 0) continue;
            for (int k = 0; k < 2; ++k) {
                int& fd = k == 0 ? out : err;
                if (fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                char buf[4096];
                const ssize_t n = ::read(fd, buf, sizeof buf);
                if (n > 0) (k == 0 ? out_text : err_text).append(buf, static_cast<std::size_t>(n));
                else if (n == 0) {
                    ::close(fd);
                    fd = -1;
                }
            }
        }
        return true;
    }
    bool wait_out(const std::string& s) { return read_until([&] { return out_text.find(s) != std::string::npos; }); }
    bool wait_err(const std::string& s) { return read_until([&] { return err_text.find(s) != std::string::npos; }); }

    // Closes stdin, reads everything, returns the exit status (-signal when killed).
    int finish() {
        if (in >= 0) ::close(in);
        in = -1;
        read_until([] { return false; }, 120);
        int st = 0;
        ::waitpid(pid, &st, 0);
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    }
};

struct CliResult {
    int rc;
    std::string out, err;
};
CliResult cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> full = {hgtest::cli_path()};
    full.insert(full.end(), args.begin(), args.end());
    Proc p(full, env);
    const int rc = p.finish();
    return {rc, p.out_text, p.err_text};
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

fs::path temp_dir(const std::string& tag) {
    fs::path d = fs::temp_directory_path() / ("hg-store-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::vector<unsigned char> hex_bytes(const std::string& hex) {
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// The scanner's matches for a hash with the lists of `config`: (list, id, metadata).
std::vector<std::tuple<std::string, std::string, std::string>> scan(const std::string& config, HashKind kind,
                                                                    const std::string& hex) {
    hg::Lists lists;
    lists.add_config(config);
    hg::Scanner scanner;
    scanner.set_lists(lists);
    const auto bytes = hex_bytes(hex);
    const hg::Result r = scanner.scan_hash(static_cast<hg_kind>(kind), bytes.data(), bytes.size());
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (const auto& m : r.matches())
        if (m.distance == 0) out.emplace_back(m.list, m.id, m.metadata);
    return out;
}

}  // namespace

TEST_CASE("The hashguard CLI does not link libpq (it is loaded when a store command runs)", "[store]") {
    std::string out;
    REQUIRE(hgtest::run("ldd " + hgtest::cli_path(), out) == 0);
    CHECK(out.find("libpq") == std::string::npos);
    CHECK(out.find("libhashguard") != std::string::npos);
}

TEST_CASE("store init is idempotent and store import/status/publish work from the CLI", "[store][skippable]") {
    if (!have_server("store CLI")) return;
    TestDb t;
    for (int i = 0; i < 2; ++i) {
        const CliResult r = cli({"store", "init", "--dsn", t.dsn});
        INFO(r.err);
        CHECK(r.rc == 0);
        CHECK(r.err.empty());
    }
    std::mt19937_64 rng(7);
    const fs::path dir = temp_dir("cli");
    const std::string a = random_hex(rng, 64), m = random_hex(rng, 32);
    std::ofstream(dir / "feed.txt") << "pdq " << a << "\nmd5 " << m << "\n";
    CliResult r = cli({"store", "import", "--dsn", t.dsn, "--source", "tf", (dir / "feed.txt").string()});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("2 additions pending") != std::string::npos);
    r = cli({"store", "status", "--dsn", t.dsn});
    CHECK(r.out.find("no version published") != std::string::npos);
    CHECK(r.out.find("tf-pdq\tpdq\tblock\t0 entries\t1 pending additions") != std::string::npos);
    r = cli({"store", "publish", "--dsn", t.dsn});
    CHECK(r.rc == 0);
    CHECK(r.out.find("published version 1: 2 additions, 0 removals, 2 entries") != std::string::npos);
    r = cli({"store", "status", "--dsn", t.dsn});
    CHECK(r.out.find("latest version 1") != std::string::npos);
    CHECK(r.out.find("tf-md5\tmd5\tblock\t1 entries\t0 pending additions\t0 pending removals") != std::string::npos);
    CHECK(t.rows("SELECT metadata FROM hg_entries WHERE hash = '" + a + "'")[0][0].rfind("source=tf", 0) == 0);
    r = cli({"store", "publish", "--dsn", t.dsn});
    CHECK(r.out.find("nothing to publish") != std::string::npos);
    r = cli({"store", "status", "--dsn", "host=/nonexistent-dir dbname=x"});
    CHECK(r.rc == 1);
    CHECK(r.err.find("cannot connect to the list store") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("Import + publish: entries, provenance, tombstones by hash and by id, versions immutable",
          "[store][skippable]") {
    if (!have_server("import/publish")) return;
    TestDb t;
    std::mt19937_64 rng(11);
    const std::string a = random_hex(rng, 64), b = random_hex(rng, 64), c = random_hex(rng, 64),
                      d = random_hex(rng, 64), e = random_hex(rng, 64), m = random_hex(rng, 32);
    FeedRecord allow = rec(c, "c1");
    allow.allow = true;
    store::ImportReport ir = import(t, {rec(a, "a1"), rec(b, "b1"), rec(m, "m1", HashKind::md5), allow,
                                        rec(e, "e1"), tombstone(e, "")});  // e added then withdrawn in one feed
    CHECK(ir.records == 6);
    CHECK(ir.additions == 4);
    CHECK(ir.lists_created == 3);
    store::PublishReport p1 = publish(t);
    CHECK(p1.version == 1);
    CHECK(p1.additions == 4);
    CHECK(p1.removals == 0);
    const auto v1 = t.content(1);
    REQUIRE(v1.size() == 4);
    const std::string meta_a = hashguard::store::record_provenance(rec(a, "a1"));
    CHECK(v1.count({"ncmec-pdq", a, "a1", meta_a.rfind("source=", 0) == 0 ? meta_a : "source=ncmec;" + meta_a}) == 1);
    CHECK(t.number("SELECT count(*) FROM hg_lists WHERE name = 'ncmec-allow-pdq' AND role = 'allow'") == 1);
    CHECK(t.number("SELECT count(*) FROM hg_lists WHERE name = 'ncmec-md5' AND kind = 'md5'") == 1);

    // Version 2: a by hash, b by (source, id), c by hash from the allow list
    // (a tombstone names the source's hash in either role, as ImportSet), a new
    // d; a tombstone of nothing is ignored.
    ir = import(t, {tombstone(a, ""), tombstone("", "b1"), tombstone(c, ""), rec(d, "d1"),
                    tombstone(random_hex(rng, 64), "")});
    CHECK(ir.removals == 3);
    CHECK(ir.additions == 1);
    store::PublishReport p2 = publish(t);
    CHECK(p2.version == 2);
    CHECK(p2.additions == 1);
    CHECK(p2.removals == 3);
    CHECK(p2.entries == 2);
    const auto v2 = t.content(2);
    std::set<std::string> hashes2;
    for (const auto& row : v2) hashes2.insert(std::get<1>(row));
    CHECK(hashes2 == std::set<std::string>{d, m});
    CHECK(t.content(1) == v1);  // version 1 unchanged after version 2 removed entries

    // A removal pending then an addition of the same hash: the entry stays.
    import(t, {tombstone(d, "")});
    import(t, {rec(d, "d2")});
    CHECK(t.number("SELECT count(*) FROM hg_entries WHERE removal_pending OR added_version IS NULL") == 0);
    // A pending addition withdrawn before publishing leaves nothing.
    import(t, {rec(e, "e2")});
    import(t, {tombstone("", "e2")});
    store::PublishReport p3;
    REQUIRE(store::publish(*t.db, p3).ok());
    CHECK(p3.version == 0);  // nothing pending
    CHECK(t.number("SELECT count(*) FROM hg_versions") == 2);
    CHECK(t.content(1) == v1);
    CHECK(t.content(2) == v2);

    // An existing list of another kind refuses the import as a whole.
    FeedRecord wrong = rec(random_hex(rng, 40), "w", HashKind::sha1);
    store::ImportReport bad;
    hashguard::Error err = store::import_records(*t.db, [&](const hashguard::FeedSink& sink) -> hashguard::Error {
        if (hashguard::Error se = sink(rec(random_hex(rng, 64), "ok1"))) return se;
        FeedRecord x = wrong;
        x.source = "bad source";
        return sink(x);
    }, bad);
    CHECK(err.code == hashguard::Status::invalid_argument);
    CHECK(err.message.find("bad source") != std::string::npos);
    CHECK(t.number("SELECT count(*) FROM hg_entries WHERE added_version IS NULL") == 0);  // all or nothing
}

TEST_CASE("Two concurrent publishers: the second gets the lock error; kill -9 mid-publish keeps the previous version",
          "[store][skippable]") {
    if (!have_server("publishers")) return;
    TestDb t;
    std::mt19937_64 rng(13);
    import(t, {rec(random_hex(rng, 64), "x1")});
    REQUIRE(publish(t).version == 1);
    import(t, {rec(random_hex(rng, 64), "x2")});

    // Publisher 1 holds its transaction open (test hook), publisher 2 is refused.
    {
        Proc p1({hgtest::cli_path(), "store", "publish", "--dsn", t.dsn}, {"HASHGUARD_TEST_PUBLISH_PAUSE=1"});
        REQUIRE(p1.wait_err("paused before COMMIT"));
        const CliResult r2 = cli({"store", "publish", "--dsn", t.dsn});
        CHECK(r2.rc == 3);
        CHECK(r2.err.find("another publisher holds the lock") != std::string::npos);
        REQUIRE(::write(p1.in, "\n", 1) == 1);
        CHECK(p1.finish() == 0);
        CHECK(p1.out_text.find("published version 2: 1 additions") != std::string::npos);
    }
    CHECK(t.number("SELECT max(version) FROM hg_versions") == 2);

    // kill -9 while the transaction is open: nothing of version 3 remains.
    import(t, {rec(random_hex(rng, 64), "x3")});
    const auto v2 = t.content(2);
    {
        Proc p({hgtest::cli_path(), "store", "publish", "--dsn", t.dsn}, {"HASHGUARD_TEST_PUBLISH_PAUSE=1"});
        REQUIRE(p.wait_err("paused before COMMIT"));
        REQUIRE(::kill(p.pid, SIGKILL) == 0);
        CHECK(p.finish() == -SIGKILL);
    }
    CHECK(t.number("SELECT max(version) FROM hg_versions") == 2);
    CHECK(t.content(2) == v2);
    CHECK(t.number("SELECT count(*) FROM hg_entries WHERE added_version IS NULL") == 1);  // still pending
    // The server drops the killed session's transaction and lock when it sees the socket close.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    store::PublishReport rep;
    for (;;) {
        const bool ok = store::publish(*t.db, rep).ok();
        REQUIRE(ok == !rep.lock_held);
        if (!rep.lock_held || std::chrono::steady_clock::now() > deadline) break;
    }
    CHECK(rep.version == 3);
    CHECK(rep.additions == 1);
}

TEST_CASE("sync writes v1 then v2 as a delta; scanners loading DIR/v<N>/lists.json match exactly that version",
          "[store][skippable]") {
    if (!have_server("sync")) return;
    TestDb t;
    std::mt19937_64 rng(17);
    std::vector<std::string> h;
    for (int i = 0; i < 6; ++i) h.push_back(random_hex(rng, 64));
    const std::string m = random_hex(rng, 32);
    FeedRecord with_comma = rec(h[2], "id,with \"quotes\"");
    with_comma.labels = {{"note", "a, b"}};
    import(t, {rec(h[0], "a"), rec(h[1], "b"), with_comma, rec(m, "m", HashKind::md5), rec(h[5], "")});
    REQUIRE(publish(t).version == 1);
    const fs::path dir = temp_dir("sync");
    CliResult r = cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string()});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(read_text((dir / "CURRENT").string()) == "1 v1\n");
    const std::string v1_json = read_text((dir / "v1/lists.json").string());

    import(t, {tombstone(h[1], ""), rec(h[3], "d"), tombstone("", "m")});
    REQUIRE(publish(t).version == 2);
    r = cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string()});
    REQUIRE(r.rc == 0);
    CHECK(read_text((dir / "CURRENT").string()) == "2 v2\n");
    CHECK(read_text((dir / "v1/lists.json").string()) == v1_json);  // written versions never change
    const std::string v2_json = read_text((dir / "v2/lists.json").string());
    CHECK(v2_json.find("\"path\":\"../lists/ncmec-pdq/base-1.snap\"") != std::string::npos);
    CHECK(v2_json.find("\"deltas\":[\"../lists/ncmec-pdq/delta-2.csv\"]") != std::string::npos);

    // Every entry of each version matches with its id and metadata; nothing else does.
    for (long long v : {1, 2}) {
        const std::string config = (dir / ("v" + std::to_string(v)) / "lists.json").string();
        const auto content = t.content(v);
        std::set<std::string> listed;
        for (const auto& [list, hash, id, meta] : content) {
            listed.insert(hash);
            const HashKind kind = list == "ncmec-md5" ? HashKind::md5 : HashKind::pdq;
            const auto got = scan(config, kind, hash);
            INFO("version " << v << " hash " << hash);
            REQUIRE(got.size() == 1);
            CHECK(std::get<0>(got[0]) == list);
            const std::string want_id = id.empty() ? "e" + t.rows("SELECT id FROM hg_entries WHERE hash = '" + hash + "'")[0][0] : id;
            CHECK(std::get<1>(got[0]) == want_id);
            CHECK(std::get<2>(got[0]) == meta);
        }
        for (const std::string& x : {h[0], h[1], h[2], h[3], h[4], m})
            if (!listed.count(x)) CHECK(scan(config, x.size() == 32 ? HashKind::md5 : HashKind::pdq, x).empty());
    }
    CHECK(scan((dir / "v2/lists.json").string(), HashKind::pdq, h[1]).empty());
    CHECK(scan((dir / "v1/lists.json").string(), HashKind::pdq, h[1]).size() == 1);
    fs::remove_all(dir);
}

TEST_CASE("sync --follow: a version arrives by NOTIFY, a lost connection is survived, SIGTERM ends it",
          "[store][skippable]") {
    if (!have_server("sync --follow")) return;
    TestDb t;
    std::mt19937_64 rng(19);
    import(t, {rec(random_hex(rng, 64), "f1")});
    REQUIRE(publish(t).version == 1);
    const fs::path dir = temp_dir("follow");
    // Polling every hour: version 2 can only come by NOTIFY, version 3 after a reconnect.
    Proc s({hgtest::cli_path(), "store", "sync", "--dsn", t.dsn, "--dir", dir.string(), "--follow", "--poll-ms",
            "3600000"});
    REQUIRE(s.wait_out("at version 1"));
    import(t, {rec(random_hex(rng, 64), "f2")});
    REQUIRE(publish(t).version == 2);
    REQUIRE(s.wait_out("at version 2"));
    CHECK(read_text((dir / "CURRENT").string()) == "2 v2\n");

    // The server ends the sync's session: it reports DIR stale, reconnects and catches up.
    CHECK(t.number("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + t.name +
                   "' AND application_name = 'hashguard store sync'") == 1);
    REQUIRE(s.wait_err("stays at version 2"));
    import(t, {rec(random_hex(rng, 64), "f3")});
    REQUIRE(publish(t).version == 3);
    REQUIRE(s.wait_out("at version 3"));
    REQUIRE(::kill(s.pid, SIGTERM) == 0);
    CHECK(s.finish() == 0);
    CHECK(read_text((dir / "CURRENT").string()) == "3 v3\n");
    fs::remove_all(dir);
}

TEST_CASE("kill -9 of sync while it writes a version leaves DIR at the previous version; a rerun completes it; "
          "a store behind DIR is refused",
          "[store][skippable]") {
    if (!have_server("sync kill -9")) return;
    TestDb t;
    std::mt19937_64 rng(23);
    const std::string a = random_hex(rng, 64), b = random_hex(rng, 64), c = random_hex(rng, 64);
    import(t, {rec(a, "a"), rec(b, "b")});
    REQUIRE(publish(t).version == 1);
    const fs::path dir = temp_dir("kill");
    REQUIRE(cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string()}).rc == 0);
    import(t, {tombstone(a, ""), rec(c, "c")});
    REQUIRE(publish(t).version == 2);
    const std::string v1 = (dir / "v1/lists.json").string();
    for (const char* stage : {"files", "current"}) {
        INFO(stage);
        Proc s({hgtest::cli_path(), "store", "sync", "--dsn", t.dsn, "--dir", dir.string()},
               {std::string("HASHGUARD_TEST_SYNC_PAUSE=") + stage});
        REQUIRE(s.wait_err(std::string("paused at '") + stage + "' of version 2"));
        REQUIRE(::kill(s.pid, SIGKILL) == 0);
        CHECK(s.finish() == -SIGKILL);
        // A reader still finds version 1, complete.
        CHECK(read_text((dir / "CURRENT").string()) == "1 v1\n");
        CHECK(scan(v1, HashKind::pdq, a).size() == 1);
        CHECK(scan(v1, HashKind::pdq, b).size() == 1);
        CHECK(scan(v1, HashKind::pdq, c).empty());
    }
    CHECK(fs::exists(dir / "v2"));  // complete, renamed, but CURRENT never named it
    const CliResult r = cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string()});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(read_text((dir / "CURRENT").string()) == "2 v2\n");
    const std::string v2 = (dir / "v2/lists.json").string();
    CHECK(scan(v2, HashKind::pdq, a).empty());
    CHECK(scan(v2, HashKind::pdq, c).size() == 1);
    for (const auto& ent : fs::directory_iterator(dir)) CHECK(ent.path().extension() != ".tmp");
    {
        TestDb other;  // a store behind DIR (another or a restored database): refused, DIR untouched
        import(other, {rec(c, "c")});
        REQUIRE(publish(other).version == 1);
        const CliResult o = cli({"store", "sync", "--dsn", other.dsn, "--dir", dir.string()});
        CHECK(o.rc == 1);
        CHECK(o.err.find("is at version 2 but the store's latest is 1") != std::string::npos);
        CHECK(read_text((dir / "CURRENT").string()) == "2 v2\n");
    }
    fs::remove_all(dir);
}

TEST_CASE("sync: deltas accumulate as a prefix; past max(65536, entries/8) changes a new base is written",
          "[store][skippable]") {
    if (!have_server("sync bases")) return;
    TestDb t;
    std::mt19937_64 rng(29);
    std::vector<FeedRecord> first;
    for (int i = 0; i < 10; ++i) {
        std::string id = std::to_string(i);
        id.insert(0, 1, 'f');
        first.push_back(rec(random_hex(rng, 64), id));
    }
    import(t, first);
    REQUIRE(publish(t).version == 1);
    const fs::path dir = temp_dir("bases");
    auto sync = [&] {
        const CliResult r = cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string()});
        INFO(r.err);
        REQUIRE(r.rc == 0);
    };
    const std::string x = random_hex(rng, 64), y = random_hex(rng, 64);
    import(t, {rec(x, "x")});
    REQUIRE(publish(t).version == 2);
    import(t, {tombstone(first[0].hash, ""), rec(y, "y")});
    REQUIRE(publish(t).version == 3);
    sync();
    const std::string j2 = read_text((dir / "v2/lists.json").string()), j3 = read_text((dir / "v3/lists.json").string());
    CHECK(j2.find("\"deltas\":[\"../lists/ncmec-pdq/delta-2.csv\"]") != std::string::npos);
    CHECK(j3.find("\"deltas\":[\"../lists/ncmec-pdq/delta-2.csv\",\"../lists/ncmec-pdq/delta-3.csv\"]") !=
          std::string::npos);
    CHECK(j3.find("base-1.snap") != std::string::npos);
    // A follower holding v2 applies only delta-3 and gets v3's content.
    hg::Lists lists;
    lists.add_config((dir / "v2/lists.json").string());
    lists.apply_delta("ncmec-pdq", read_text((dir / "lists/ncmec-pdq/delta-3.csv").string()), "delta-3");
    hg::Scanner scanner;
    scanner.set_lists(lists);
    auto matches = [&](const std::string& hex) {
        const auto bytes = hex_bytes(hex);
        return scanner.scan_hash(HG_KIND_PDQ, bytes.data(), bytes.size()).matches().size();
    };
    CHECK(matches(first[0].hash) == 0);
    CHECK(matches(first[1].hash) == 1);
    CHECK(matches(x) == 1);
    CHECK(matches(y) == 1);

    // 70000 changes: more than max(65536, entries/8): a new base, no deltas.
    std::vector<FeedRecord> many;
    for (int i = 0; i < 70000; ++i) {
        std::string id = std::to_string(i);
        id.insert(0, 1, 'm');
        many.push_back(rec(random_hex(rng, 64), id));
    }
    import(t, many);
    REQUIRE(publish(t).version == 4);
    import(t, {tombstone(x, "")});
    REQUIRE(publish(t).version == 5);
    sync();
    const std::string j4 = read_text((dir / "v4/lists.json").string()), j5 = read_text((dir / "v5/lists.json").string());
    CHECK(j4.find("\"path\":\"../lists/ncmec-pdq/base-4.snap\",\"kind\":\"pdq\",\"role\":\"block\","
                  "\"allow_empty\":true,\"deltas\":[]") != std::string::npos);
    CHECK(j5.find("\"path\":\"../lists/ncmec-pdq/base-4.snap\"") != std::string::npos);
    CHECK(j5.find("\"deltas\":[\"../lists/ncmec-pdq/delta-5.csv\"]") != std::string::npos);
    std::unique_ptr<hashguard::Snapshot> snap;
    REQUIRE(hashguard::Snapshot::open((dir / "lists/ncmec-pdq/base-4.snap").string(), snap).ok());
    CHECK(snap->size() == 70011);
    CHECK(scan((dir / "v5/lists.json").string(), HashKind::pdq, x).empty());
    CHECK(scan((dir / "v5/lists.json").string(), HashKind::pdq, many[69999].hash).size() == 1);

    // --keep 2 at the next version: v5 and v6 stay, with only the files they name.
    import(t, {rec(random_hex(rng, 64), "k")});
    REQUIRE(publish(t).version == 6);
    const CliResult r = cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string(), "--keep", "2"});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    std::set<std::string> left;
    for (const auto& ent : fs::directory_iterator(dir)) left.insert(ent.path().filename().string());
    CHECK(left == std::set<std::string>{".lock", "CONFIRMED", "CURRENT", "lists", "v5", "v6"});
    left.clear();
    for (const auto& ent : fs::directory_iterator(dir / "lists/ncmec-pdq")) left.insert(ent.path().filename().string());
    CHECK(left == std::set<std::string>{"base-4.snap", "delta-5.csv", "delta-6.csv"});
    CHECK(scan((dir / "v6/lists.json").string(), HashKind::pdq, many[0].hash).size() == 1);
    fs::remove_all(dir);
}

TEST_CASE("store import of NCMEC pages through the importers equals ImportSet's net content; vPDQ lists sync as text",
          "[store][skippable]") {
    if (!have_server("NCMEC feed")) return;
    TestDb t;
    const std::string feeds = hgtest::data_dir() + "/../tests/data/feeds/";
    for (const char* page : {"ncmec-page1.xml", "ncmec-page2.xml"}) {
        const CliResult r = cli({"store", "import", "--dsn", t.dsn, "--format", "ncmec-xml", feeds + page});
        INFO(r.err);
        REQUIRE(r.rc == 0);
        REQUIRE(cli({"store", "publish", "--dsn", t.dsn}).rc == 0);
    }
    hashguard::ImportSet set;
    hashguard::FeedOptions fo;
    fo.format = hashguard::FeedFormat::ncmec_xml;
    REQUIRE(set.apply_file(feeds + "ncmec-page1.xml", fo).ok());
    REQUIRE(set.apply_file(feeds + "ncmec-page2.xml", fo).ok());
    std::set<std::pair<std::string, std::string>> want, got;  // (list, hash)
    for (const auto& g : set.groups()) {
        hashguard::HashList l;
        REQUIRE(set.to_list(g.allow, g.kind, l).ok());
        const std::string name = std::string("ncmec-") + (g.allow ? "allow-" : "") + hashguard::hash_kind_name(g.kind);
        for (std::size_t i = 0; i < l.size(); ++i)
            want.emplace(name, l.kind == hashguard::ListKind::pdq ? l.pdq[i].to_hex() : l.digests[i].to_hex());
    }
    for (const auto& [list, hash, id, meta] : t.content(2)) got.emplace(list, hash);
    CHECK(got == want);
    CHECK(!want.empty());
    // NCMEC ids are "<member>-<id>": member 43's deletedImage image3 took its PDQ and MD5 entries.
    CHECK(t.number("SELECT count(*) FROM hg_entries WHERE external_id = '43-image3' AND removed_version = 2") == 2);

    // vPDQ: one video per line; the list is written as text and loads.
    const CliResult r = cli({"store", "import", "--dsn", t.dsn, "--format", "vpdq-json", "--source", "hma",
                             feeds + "vpdq.json"});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    REQUIRE(cli({"store", "publish", "--dsn", t.dsn}).rc == 0);
    const fs::path dir = temp_dir("ncmec");
    REQUIRE(cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string()}).rc == 0);
    CHECK(read_text((dir / "CURRENT").string()) == "3 v3\n");
    const std::string j = read_text((dir / "v3/lists.json").string());
    CHECK(j.find("\"name\":\"hma-vpdq\",\"path\":\"../lists/hma-vpdq/base-3.txt\",\"kind\":\"vpdq\"") !=
          std::string::npos);
    hg::Lists lists;
    lists.add_config((dir / "v3/lists.json").string());
    hg::Scanner scanner;
    scanner.set_lists(lists);
    const std::string text = read_text((dir / "lists/hma-vpdq/base-3.txt").string());
    CHECK(std::count(text.begin(), text.end(), '\n') ==
          t.number("SELECT count(*) FROM hg_entries e JOIN hg_lists l ON l.id = e.list_id WHERE l.kind = 'vpdq'"));
    fs::remove_all(dir);
}

TEST_CASE("A list set following the sync directory (hg_lists_follow_dir) holds exactly each published version",
          "[store][skippable]") {
    if (!have_server("follow_dir")) return;
    TestDb t;
    std::mt19937_64 rng(31);
    const fs::path dir = temp_dir("followdir");
    std::vector<std::string> seen;
    hg::Lists lists;
    auto step = [&](const std::vector<FeedRecord>& records, long long want_version) {
        for (const auto& r : records)
            if (!r.hash.empty()) seen.push_back(r.hash);
        import(t, records);
        REQUIRE(publish(t).version == want_version);
        const CliResult r = cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string()});
        INFO(r.err);
        REQUIRE(r.rc == 0);
        long long version = 0;
        CHECK(lists.follow_dir(dir.string(), &version));
        CHECK(version == want_version);
        hg::Scanner scanner;
        scanner.set_lists(lists);
        std::map<std::string, std::pair<std::string, std::string>> want;  // hash -> (id, metadata)
        for (const auto& [list, hash, id, meta] : t.content(want_version)) want[hash] = {id, meta};
        for (const std::string& h : seen) {
            INFO("version " << want_version << " hash " << h);
            const auto bytes = hex_bytes(h);
            const auto ms = scanner.scan_hash(h.size() == 32 ? HG_KIND_MD5 : HG_KIND_PDQ, bytes.data(), bytes.size())
                                .matches();
            std::size_t exact = 0;
            for (const auto& m : ms)
                if (m.distance == 0) {
                    ++exact;
                    CHECK(m.id == want[h].first);
                    CHECK(m.metadata == want[h].second);
                }
            CHECK(exact == (want.count(h) ? 1u : 0u));
        }
    };
    std::vector<std::string> h;
    for (int i = 0; i < 8; ++i) h.push_back(random_hex(rng, 64));
    const std::string m = random_hex(rng, 32);
    step({rec(h[0], "a"), rec(h[1], "b"), rec(h[2], "c"), rec(m, "m", HashKind::md5)}, 1);
    step({tombstone(h[1], ""), rec(h[3], "d"), rec(h[4], "e")}, 2);
    step({tombstone("", "d"), rec(h[5], "f"), tombstone(m, "")}, 3);
    step({rec(h[1], "b2"), rec(h[6], "g")}, 4);  // b comes back: a delta addition of a hash removed from the base
    fs::remove_all(dir);
}

TEST_CASE("A fleet: two scanner processes follow one store through sync while versions are published in a loop",
          "[store][skippable]") {
    if (!have_server("fleet")) return;
    TestDb t;
    std::mt19937_64 rng(41);
    constexpr int kVersions = 10, kKilled = 6;  // the publish of version kKilled is killed once first
    std::vector<std::string> h;
    for (int i = 0; i < kVersions; ++i) h.push_back(random_hex(rng, 64));
    // Version v lists hash v in two lists (sources a and b: lists a-pdq and b-pdq) and no
    // other probe: a scan matching one list only would be half a version.
    auto version_records = [&](int v) {
        std::vector<FeedRecord> out;
        for (const char* source : {"a", "b"}) {
            FeedRecord add = rec(h[static_cast<std::size_t>(v - 1)], std::string("v").append(std::to_string(v)));
            add.source = source;
            out.push_back(add);
            if (v > 1) {
                FeedRecord del = tombstone(h[static_cast<std::size_t>(v - 2)], "");
                del.source = source;
                out.push_back(del);
            }
        }
        return out;
    };
    import(t, version_records(1));
    REQUIRE(publish(t).version == 1);
    const fs::path dir = temp_dir("fleet");
    Proc sync({hgtest::cli_path(), "store", "sync", "--dsn", t.dsn, "--dir", dir.string(), "--follow", "--poll-ms", "100"});
    REQUIRE(sync.wait_out("at version 1"));
    // One writer per directory: a second sync is refused while this one runs.
    const CliResult second = cli({"store", "sync", "--dsn", t.dsn, "--dir", dir.string(), "--once"});
    CHECK(second.rc != 0);
    CHECK(second.err.find("another hashguard store sync is writing " + dir.string()) != std::string::npos);
    std::vector<std::string> probe_args = {HG_TEST_FOLLOW_PROBE, dir.string(), "20", "2"};
    probe_args.insert(probe_args.end(), h.begin(), h.end());
    Proc p1(probe_args), p2(probe_args);
    for (Proc* p : {&p1, &p2}) REQUIRE(p->wait_out("applied 1 "));
    std::vector<double> latency_ms;
    for (int v = 2; v <= kVersions; ++v) {
        import(t, version_records(v));
        if (v == kKilled) {  // the publisher dies holding its transaction: nothing changes anywhere
            Proc killed({hgtest::cli_path(), "store", "publish", "--dsn", t.dsn}, {"HASHGUARD_TEST_PUBLISH_PAUSE=1"});
            REQUIRE(killed.wait_err("paused before COMMIT"));
            REQUIRE(::kill(killed.pid, SIGKILL) == 0);
            CHECK(killed.finish() == -SIGKILL);
            CHECK(t.number("SELECT max(version) FROM hg_versions") == v - 1);
            const std::string prev = std::to_string(v - 1);
            CHECK(read_text((dir / "CURRENT").string()) == std::string(prev).append(" v").append(prev).append("\n"));
        }
        // Publish (retrying while the server still holds the killed session's lock).
        const auto t0 = std::chrono::steady_clock::now();
        for (;;) {
            const CliResult r = cli({"store", "publish", "--dsn", t.dsn});
            if (r.rc == 0) break;
            INFO(r.err);
            REQUIRE(r.rc == 3);  // the lock: the killed publisher's session not yet gone
            REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));
        }
        const std::string applied = std::string("applied ").append(std::to_string(v)).append(" ");
        for (Proc* p : {&p1, &p2}) REQUIRE(p->wait_out(applied));
        latency_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    for (Proc* p : {&p1, &p2}) {
        CHECK(p->finish() == 0);  // stdin closed: "done", exit 1 had any scan seen a torn or stale version
        INFO(p->out_text);
        CHECK(p->out_text.find("torn") == std::string::npos);
        CHECK(p->out_text.find("stale") == std::string::npos);
        CHECK(p->out_text.find("done " + std::to_string(kVersions)) != std::string::npos);
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    std::printf("fleet: publish -> both followers applied: median %.0f ms, max %.0f ms over %zu versions\n",
                latency_ms[latency_ms.size() / 2], latency_ms.back(), latency_ms.size());
    // DIR/CONFIRMED: when the store last confirmed DIR current, and at which version.
    const std::string confirmed = read_text((dir / "CONFIRMED").string());
    CHECK(confirmed.size() > 12);
    CHECK(confirmed.substr(confirmed.find(' ')) == " " + std::to_string(kVersions) + "\n");
    REQUIRE(::kill(sync.pid, SIGTERM) == 0);
    CHECK(sync.finish() == 0);
    fs::remove_all(dir);
}
