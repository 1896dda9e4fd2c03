// `hashguard store init|import|publish|status|sync`: the list store in
// PostgreSQL (src/store/). libpq is loaded only when one of these runs.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "feed.hpp"
#include "store.hpp"
#include "sync.hpp"

namespace hgcli {

namespace {

using namespace hashguard;

const char* kDsnHelp = "libpq connection string, e.g. 'host=/run/postgresql dbname=hashguard' (required)";

int fail(const char* cmd, const Error& e) {
    std::fprintf(stderr, "hashguard store %s: %s\n", cmd, e.message.c_str());
    return 1;
}

int connect(const char* cmd, const std::string& dsn, std::unique_ptr<store::Connection>& db) {
    if (dsn.empty()) {
        std::fprintf(stderr, "hashguard store %s: --dsn is required\n", cmd);
        return 2;
    }
    if (Error e = store::Connection::open(dsn, db)) return fail(cmd, e);
    return -1;
}

int store_init(int argc, char** argv) {
    std::string dsn;
    Args args("hashguard store init", "--dsn DSN", "Creates the list store's tables (hg_*) if missing.");
    args.text("--dsn", "DSN", dsn, kDsnHelp);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    std::unique_ptr<store::Connection> db;
    if (const int rc = connect("init", dsn, db); rc >= 0) return rc;
    if (Error e = store::init(*db)) return fail("init", e);
    std::printf("list store ready\n");
    return 0;
}

int store_import(int argc, char** argv) {
    std::string dsn, format = "text", map;
    std::vector<std::string> inputs;
    FeedOptions fo;
    Args args("hashguard store import", "--dsn DSN [options] IN...",
              "Reads feeds and stages their records as pending changes (published by 'store publish'):\n"
              "additions go to the list '<source>-<kind>' ('<source>-allow-<kind>' for allow entries),\n"
              "tombstones mark entries for removal. All files in one transaction: all or nothing.");
    args.text("--dsn", "DSN", dsn, kDsnHelp)
        .text("--format", "F", format, "text, te-csv, te-json, ncmec-xml, stopncii-json, tat-json, vpdq-json, csv, json")
        .text("--source", "S", fo.source, "provenance name (default: the format's)")
        .flag("--skip-bad", fo.skip_bad_records, "skip malformed records (counted) instead of refusing the feed")
        .text("--map", "SPEC", map, "column mapping for csv/json: hash=COL,type=COL,id=COL,deleted=COL,...")
        .operands("IN", inputs, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (!store::feed_format_named(format, fo.format)) {
        std::fprintf(stderr, "hashguard store import: unknown --format '%s'\n", format.c_str());
        return 2;
    }
    if (!map.empty())
        if (Error e = store::column_mapping(map, fo.mapping)) return fail("import", e);
    std::unique_ptr<store::Connection> db;
    if (const int rc = connect("import", dsn, db); rc >= 0) return rc;
    store::ImportReport rep;
    Error e = store::import_records(*db, [&](const FeedSink& sink) -> Error {
        for (const auto& in : inputs) {
            rep.feeds.emplace_back();
            if (Error fe = store::read_feed_path(in, fo, sink, rep.feeds.back())) return fe;
        }
        return {};
    }, rep);
    if (e) return fail("import", e);
    std::size_t bad = 0;
    for (const auto& f : rep.feeds) bad += f.bad_records;
    std::printf("imported %zu records from %zu files: %zu additions pending, %zu removals pending, %zu restored, "
                "%zu already listed, %zu lists created, %zu bad records skipped\n",
                rep.records, inputs.size(), rep.additions, rep.removals, rep.restored, rep.already, rep.lists_created,
                bad);
    return 0;
}

// Test hook (HASHGUARD_TEST_PUBLISH_PAUSE set): with the transaction open,
// says so on stderr and waits until stdin has a line or ends.
void pause_for_test() {
    std::fputs("hashguard store publish: paused before COMMIT\n", stderr);
    std::fflush(stderr);
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) {
    }
}

int store_publish(int argc, char** argv) {
    std::string dsn;
    Args args("hashguard store publish", "--dsn DSN",
              "Publishes every pending change as the next version (one publisher at a time: exit 3\n"
              "when another holds the lock) and announces it with NOTIFY hashguard_versions.");
    args.text("--dsn", "DSN", dsn, kDsnHelp);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    std::unique_ptr<store::Connection> db;
    if (const int rc = connect("publish", dsn, db); rc >= 0) return rc;
    store::PublishReport rep;
    const bool pause = std::getenv("HASHGUARD_TEST_PUBLISH_PAUSE") != nullptr;
    if (Error e = store::publish(*db, rep, pause ? pause_for_test : std::function<void()>{})) {
        const int rc = fail("publish", e);
        return rep.lock_held ? 3 : rc;
    }
    if (rep.version == 0) {
        std::printf("nothing to publish\n");
        return 0;
    }
    std::printf("published version %lld: %lld additions, %lld removals, %lld entries (%s)\n", rep.version,
                rep.additions, rep.removals, rep.entries, rep.published_at.c_str());
    return 0;
}

int store_status(int argc, char** argv) {
    std::string dsn;
    Args args("hashguard store status", "--dsn DSN", "Lists, entries per list, pending changes, latest version.");
    args.text("--dsn", "DSN", dsn, kDsnHelp);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    std::unique_ptr<store::Connection> db;
    if (const int rc = connect("status", dsn, db); rc >= 0) return rc;
    store::StoreStatus st;
    if (Error e = store::status(*db, st)) return fail("status", e);
    if (st.latest_version) std::printf("latest version %lld, published %s\n", st.latest_version, st.published_at.c_str());
    else std::printf("no version published\n");
    for (const auto& l : st.lists)
        std::printf("%s\t%s\t%s\t%lld entries\t%lld pending additions\t%lld pending removals\n", l.name.c_str(),
                    l.kind.c_str(), l.role.c_str(), l.entries, l.pending_additions, l.pending_removals);
    return 0;
}

void print_out(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}
void print_err(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

int store_sync(int argc, char** argv) {
    store::SyncOptions so;
    bool once = false;
    Args args("hashguard store sync", "--dsn DSN --dir DIR [--follow]",
              "Writes each published version to DIR (DIR/CURRENT names the newest complete one) for\n"
              "scanners to load without database credentials. --follow keeps following (LISTEN +\n"
              "polling) until SIGTERM/SIGINT, reconnecting after a lost connection.");
    args.text("--dsn", "DSN", so.dsn, kDsnHelp)
        .text("--dir", "DIR", so.dir, "the directory to write (required)")
        .flag("--follow", so.follow, "keep following new versions")
        .flag("--once", once, "write what is published and exit (the default)")
        .integer("--poll-ms", "N", so.poll_ms, 10, 3600000, "with --follow: poll every N ms too (default 1000)")
        .integer("--keep", "N", so.keep, 1, 1000000, "versions kept in DIR; older ones and their files go (default 10)");
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (so.dsn.empty() || so.dir.empty()) {
        std::fprintf(stderr, "hashguard store sync: --dsn and --dir are required\n");
        return 2;
    }
    if (once) so.follow = false;
    so.out = print_out;
    so.warn = print_err;
    if (Error e = store::run_sync(so)) return fail("sync", e);
    return 0;
}

}  // namespace

int cmd_store(int argc, char** argv) {
    const std::string sub = argc > 0 ? argv[0] : "";
    if (sub == "init") return store_init(argc - 1, argv + 1);
    if (sub == "import") return store_import(argc - 1, argv + 1);
    if (sub == "publish") return store_publish(argc - 1, argv + 1);
    if (sub == "status") return store_status(argc - 1, argv + 1);
    if (sub == "sync") return store_sync(argc - 1, argv + 1);
    const bool help = sub == "--help" || sub == "-h";
    std::fprintf(help ? stdout : stderr,
                 "usage: hashguard store init|import|publish|status|sync --dsn DSN ...  "
                 "('hashguard store <command> --help' for each)\n");
    return help ? 0 : 2;
}

}  // namespace hgcli
