// `hashguard store sync`: the component scanners follow. It reads published
// versions from the list store and writes them to a directory, so a scanner
// (a DM server) needs no database credentials, only read access to DIR.
//
// Layout of DIR:
//   CURRENT                     "<N> v<N>\n": the newest complete version
//   v<N>/lists.json             the lists config of version N (src/scan/config.hpp)
//   v<N>/state                  what sync needs to write version N + 1
//   lists/<list>/base-<B>.snap  the list's whole content at version B (PDQ with
//                               its index stored; md5/sha1/sha256 exact lists);
//                               vPDQ: base-<B>.txt, "<id>\t<array>\t<metadata>" lines
//   lists/<list>/delta-<V>.csv  the list's changes at version V against V - 1
// v<N>/lists.json names, per list, "path" = its current base and "deltas" =
// the delta files of every version after that base that changed the list, in
// order (paths relative to v<N>/, "../lists/..."). Every file is immutable
// once written and named by version, so:
//   - a reader that reads CURRENT then v<N>/lists.json always finds a complete
//     version: files are written to a temporary name, flushed and renamed; the
//     version directory is written as v<N>.tmp and renamed; CURRENT is
//     replaced by rename last. A kill -9 at any moment leaves CURRENT naming
//     the previous complete version (a rerun clears the leftovers);
//   - a follower holding version M of a list (same "path") gets to N by
//     applying only the "deltas" of v<N> that come after those it applied
//     (the deltas of v<M> are a prefix of v<N>'s while the base is the same);
//     a different "path" means a new base: reload that list.
// Delta files use the list text formats hg_lists_apply_delta_text reads: a
// comment line, a CSV header "hash,id,source", additions as
// `<hash>,"<id>","<metadata after source=>"` (the parser gives back id and
// metadata "source=..." exactly as stored) and removals as `-<hash>`.
// A new base is written when the list is new, for vPDQ lists on every change
// (they take no deltas), when the delta lines since the base would pass
// max(65536, entries / 8) (the scanner merges deltas at the same size), and
// when a version adds back a hash of the base that a delta removed (a delta
// would restore the base's entry with its old id and metadata).
// vPDQ lists with no videos are left out (an empty vPDQ list does not load);
// other lists load empty ("allow_empty").
//
// --follow: LISTEN hashguard_versions, and a poll of hg_versions every
// --poll-ms (a NOTIFY sent while disconnected is lost). On losing the
// database it keeps DIR as it is, reconnects with backoff and says on stderr
// how long DIR has not been confirmed current; DIR/CONFIRMED ("<unix seconds>
// <version>", rewritten after every successful check) tells followers the
// same. SIGTERM/SIGINT end it after
// the version being written, if any.
//
// After each version, the v<N> directories older than the --keep newest
// (default 10) go, and so do list files no kept version names (a follower
// still loading a pruned version fails that load and retries on the newest).
#include "sync.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "pq.hpp"
#include "sync_files.hpp"
#include "sync_version.hpp"
#include "common/errors.hpp"

namespace hashguard::store {

namespace {

int g_stop_pipe[2] = {-1, -1};
std::atomic<bool> g_stop{false};

void on_stop(int) {
    g_stop.store(true);
    const char b = 1;
    if (g_stop_pipe[1] >= 0) (void)!::write(g_stop_pipe[1], &b, 1);
}

Error install_stop_handlers() {
    if (g_stop_pipe[0] < 0 && ::pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return {Status::io_error, "cannot create the signal pipe"};
    struct sigaction sa{};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    return {};
}

// Waits up to `ms` for a stop signal or the database socket (-1: none).
// Returns true when the socket is readable.
bool wait_for(int db_socket, long long ms) {
    pollfd fds[2] = {{g_stop_pipe[0], POLLIN, 0}, {db_socket, POLLIN, 0}};
    const int n = ::poll(fds, db_socket >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(ms, 1 << 30)));
    return n > 0 && db_socket >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR));
}

using Clock = std::chrono::steady_clock;

struct Syncer {
    const SyncOptions& opt;
    std::unique_ptr<Connection> db;
    long long current = 0;
    Clock::time_point confirmed = Clock::now();

    void say(const std::string& line) const {
        if (opt.out) opt.out(line);
    }

    // Leftovers of an interrupted run: temporary files and directories.
    Error clean() {
        std::vector<std::string> names;
        if (Error e = list_dir(opt.dir, names)) return e;
        for (const auto& n : names)
            if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0)
                if (Error e = remove_tree(opt.dir + "/" + n)) return e;
        return {};
    }

    Error connect() {
        db.reset();
        if (Error e = Connection::open(opt.dsn, db)) return e;
        if (Error e = db->exec("SET application_name = 'hashguard store sync'")) return e;
        return opt.follow ? db->exec("LISTEN hashguard_versions") : Error{};
    }

    // Writes every version after `current` up to the latest published.
    Error catch_up() {
        Rows rows;
        if (Error e = db->query("SELECT coalesce(max(version), 0) FROM hg_versions", rows)) return e;
        const long long latest = rows.number(0, 0);
        if (latest < current)
            return {Status::invalid_argument, opt.dir + " is at version " + std::to_string(current) +
                                                  " but the store's latest is " + std::to_string(latest) +
                                                  " (another or a restored database?); DIR left as it is"};
        std::vector<ListState> state;
        if (current < latest)
            if (Error e = read_state(opt.dir, current, state)) return e;
        while (current < latest && !g_stop.load()) {
            if (Error e = write_version(*db, opt.dir, current + 1, state)) return e;
            ++current;
            say("hashguard store sync: " + opt.dir + " at version " + std::to_string(current));
            if (Error e = prune_versions(opt.dir, current, opt.keep)) return e;
        }
        if (current < latest) return {};  // stopped part way: not current
        confirmed = Clock::now();
        // DIR/CONFIRMED: when DIR was last known current ("<unix seconds> <version>"),
        // so that a follower without database access can say how stale it may be.
        const long long now_s = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch()).count();
        return write_file_atomic(opt.dir + "/CONFIRMED", std::to_string(now_s) + " " + std::to_string(current) + "\n");
    }

    void stale(const Error& e, long long retry_ms) const {
        if (!opt.warn) return;
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - confirmed).count();
        opt.warn("hashguard store sync: " + e.message + "; " + opt.dir + " stays at version " +
                 std::to_string(current) + ", last confirmed current " + std::to_string(age) + " s ago; retrying in " +
                 std::to_string(retry_ms) + " ms");
    }

    Error follow() {
        long long backoff = 100;
        while (!g_stop.load()) {
            Error e = db ? Error{} : connect();
            if (!e) e = catch_up();
            if (e) {
                db.reset();
                stale(e, backoff);
                wait_for(-1, backoff);
                backoff = std::min(backoff * 2, opt.max_backoff_ms);
                continue;
            }
            backoff = 100;
            // Notifications libpq read while catching up are queued, not on the socket: take them first.
            std::vector<std::string> payloads;
            if (Error ne = db->notifications(payloads)) {
                db.reset();
                stale(ne, 0);
                continue;
            }
            if (!payloads.empty()) continue;
            if (wait_for(db->socket(), opt.poll_ms))
                if (Error ne = db->notifications(payloads)) db.reset(), stale(ne, 0);
        }
        return {};
    }
};

}  // namespace

Error current_version(const std::string& dir, long long& version, std::string& subdir) {
    version = 0;
    subdir.clear();
    if (!path_exists(dir + "/CURRENT")) return {};
    std::string text;
    if (Error e = read_small_file(dir + "/CURRENT", text)) return e;
    const auto space = text.find(' ');
    char* end = nullptr;
    version = std::strtoll(text.c_str(), &end, 10);
    if (space == std::string::npos || version <= 0 || end != text.c_str() + space)
        return {Status::list_format, dir + "/CURRENT: not '<version> v<version>'"};
    subdir = text.substr(space + 1);
    while (!subdir.empty() && (subdir.back() == '\n' || subdir.back() == '\r')) subdir.pop_back();
    return {};
}

Error run_sync(const SyncOptions& options) {
    return detail::guard([&]() -> Error {
        if (Error e = make_dir(options.dir)) return e;
        // One writer per directory: a second sync (--once beside --follow) would
        // rewrite or remove a version the first one named.
        const int lock_fd = ::open((options.dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd < 0) return {Status::io_error, options.dir + "/.lock: " + std::strerror(errno)};
        struct Unlock {
            int fd;
            ~Unlock() { ::close(fd); }
        } unlock{lock_fd};
        if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
            return {Status::invalid_argument, "another hashguard store sync is writing " + options.dir};
        Syncer s{options, nullptr};
        std::string sub;
        if (Error e = current_version(options.dir, s.current, sub)) return e;
        if (Error e = s.clean()) return e;
        if (!options.follow) {
            if (Error e = s.connect()) return e;
            return s.catch_up();
        }
        g_stop.store(false);
        if (Error e = install_stop_handlers()) return e;
        return s.follow();
    });
}

}  // namespace hashguard::store
