// Batch scanning: one walker thread (directories in sorted order, symlink
// rules, cycle detection) -> bounded queue of paths -> reader threads (sniff
// the first bytes, skip non-media, read the file) -> bounded queue of bytes
// (capped by count and by total bytes in flight) -> scan threads (hg_scan)
// -> whole-line writes to the output (one write() per line, fsync at
// checkpoints). A progress thread reports; a counting thread walks ahead for
// the ETA. Ctrl-C stops the walk, lets in-flight scans finish and flushes:
// every line in the output is whole, and --resume picks up from there.
#include "cli/batch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "common/json.hpp"
#include "common/json_parse.hpp"
#include "hashguard/image.hpp"

namespace hgcli {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};

extern "C" void on_signal(int) {
    g_stop.store(true);
    if (g_signals.fetch_add(1) >= 1) _exit(130);  // second Ctrl-C: leave now
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A queue bounded by item count and by the summed weight of its items.
template <class T>
class Queue {
public:
    Queue(std::size_t max_items, std::size_t max_weight) : max_items_(max_items), max_weight_(max_weight) {}

    bool push(T v, std::size_t weight = 0) {
        std::unique_lock<std::mutex> lk(mu_);
        not_full_.wait(lk, [&] {
            return closed_ || (q_.size() < max_items_ && (weight_ + weight <= max_weight_ || q_.empty()));
        });
        if (closed_) return false;
        weight_ += weight;
        q_.push_back({std::move(v), weight});
        not_empty_.notify_one();
        return true;
    }
    /// False when the queue is closed and empty.
    bool pop(T& v) {
        std::unique_lock<std::mutex> lk(mu_);
        not_empty_.wait(lk, [&] { return closed_ || !q_.empty(); });
        if (q_.empty()) return false;
        v = std::move(q_.front().first);
        weight_ -= q_.front().second;
        q_.pop_front();
        not_full_.notify_one();
        return true;
    }
    void close() {
        std::lock_guard<std::mutex> lk(mu_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

private:
    std::mutex mu_;
    std::condition_variable not_empty_, not_full_;
    std::deque<std::pair<T, std::size_t>> q_;
    std::size_t max_items_, max_weight_, weight_ = 0;
    bool closed_ = false;
};

struct Job {
    std::string path;
    std::string error_status, error;  ///< set when the walk already failed for this path
    std::uint64_t size = 0;
    std::vector<std::uint8_t> bytes;
};

struct Counters {
    std::atomic<std::uint64_t> walked{0}, done{0}, bytes{0}, matched{0}, allowed{0}, no_match{0}, below{0}, errors{0};
    std::atomic<std::uint64_t> non_media{0}, resumed{0}, special{0};
    std::atomic<std::int64_t> total{-1};  ///< from the counting walk; -1 until known
    std::mutex mu;
    std::map<std::string, std::uint64_t> errors_by_kind;
    void error(const std::string& kind) {
        ++errors;
        std::lock_guard<std::mutex> lk(mu);
        ++errors_by_kind[kind];
    }
};

std::string join_path(const std::string& dir, const std::string& name) {
    return !dir.empty() && dir.back() == '/' ? dir + name : dir + "/" + name;
}

// ------------------------------------------------------------------ walking

// Walks the inputs depth-first (entries sorted by name), calling on_file for
// regular files (and symlinks to them) and on_error for paths that cannot be
// walked. Directory symlinks below the roots are followed only when asked;
// a directory seen twice (a cycle) is reported once and not entered again.
class Walker {
public:
    Walker(bool follow, std::function<bool(const std::string&)> on_file,
           std::function<bool(const std::string&, const std::string&, const std::string&)> on_error,
           std::function<void()> on_special)
        : follow_(follow), on_file_(std::move(on_file)), on_error_(std::move(on_error)),
          on_special_(std::move(on_special)) {}

    /// False when a callback asked to stop.
    bool root(const std::string& path) { return visit(path, true); }
    /// Also stop when *flag becomes true.
    void stop_on(const std::atomic<bool>* flag) { stop_ = flag; }

private:
    bool visit(const std::string& path, bool is_root) {
        if (g_stop || (stop_ && *stop_)) return false;
        struct stat st;
        if (lstat(path.c_str(), &st) != 0) return on_error_(path, "io_error", std::strerror(errno));
        if (S_ISLNK(st.st_mode)) {
            if (stat(path.c_str(), &st) != 0) {
                const int e = errno;
                return on_error_(path, "io_error",
                                 e == ELOOP ? "symlink loop" : e == ENOENT ? "broken symlink" : std::strerror(e));
            }
            if (S_ISDIR(st.st_mode) && !is_root && !follow_) {
                on_special_();
                return true;
            }
        }
        if (S_ISREG(st.st_mode)) return on_file_(path);
        if (!S_ISDIR(st.st_mode)) {
            on_special_();
            return true;
        }
        return dir(path, st);
    }

    bool dir(const std::string& path, const struct stat& st) {
        // A cycle is a directory that is its own ancestor (a symlink or bind mount
        // back up the tree); the same directory reached twice otherwise is walked twice.
        const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
        if (ancestors_.count(id)) return on_error_(path, "io_error", "directory cycle: an ancestor of itself");
        ancestors_.insert(id);
        const bool ok = dir_entries(path);
        ancestors_.erase(id);
        return ok;
    }

    bool dir_entries(const std::string& path) {
        DIR* d = opendir(path.c_str());
        if (!d) return on_error_(path, "io_error", std::string("cannot read directory: ") + std::strerror(errno));
        std::vector<std::string> names;
        while (dirent* e = readdir(d)) {
            if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
            names.emplace_back(e->d_name);
        }
        closedir(d);
        std::sort(names.begin(), names.end());
        for (const auto& n : names)
            if (!visit(join_path(path, n), false)) return false;
        return true;
    }

    bool follow_;
    std::function<bool(const std::string&)> on_file_;
    std::function<bool(const std::string&, const std::string&, const std::string&)> on_error_;
    std::function<void()> on_special_;
    std::set<std::pair<dev_t, ino_t>> ancestors_;
    const std::atomic<bool>* stop_ = nullptr;
};

// Calls f for every root input; "-" expands to the paths on standard input.
template <class F>
void for_each_root(const std::vector<std::string>& inputs, F&& f) {
    for (const auto& in : inputs) {
        if (in == "-") {
            std::string line;
            while (!g_stop && std::getline(std::cin, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (!line.empty() && !f(line)) return;
            }
        } else if (!f(in)) {
            return;
        }
    }
}

// ------------------------------------------------------------------ output

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) {
        if (c == '"') o += '"';
        o += c;
    }
    return o + "\"";
}

const char* kCsvHeader = "path,size,verdict,pdq,quality,md5,sha256,matches,error\n";

class Output {
public:
    Output(int fd, bool is_file, std::size_t every_lines, double every_s)
        : fd_(fd), is_file_(is_file), every_lines_(every_lines), every_s_(every_s), last_sync_(Clock::now()) {}

    /// Writes one whole line (with its newline) in one write() where possible.
    bool write_line(const std::string& line) {
        std::lock_guard<std::mutex> lk(mu_);
        std::size_t off = 0;
        while (off < line.size()) {
            const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                failed_ = true;
                return false;
            }
            off += static_cast<std::size_t>(n);
        }
        if (is_file_ && (++since_sync_ >= every_lines_ || seconds_since(last_sync_) >= every_s_)) sync_locked();
        return true;
    }
    void sync() {
        std::lock_guard<std::mutex> lk(mu_);
        if (is_file_) sync_locked();
    }
    bool failed() const { return failed_; }

private:
    void sync_locked() {
        ::fsync(fd_);
        since_sync_ = 0;
        last_sync_ = Clock::now();
    }
    std::mutex mu_;
    int fd_;
    bool is_file_;
    std::size_t every_lines_, since_sync_ = 0;
    double every_s_;
    Clock::time_point last_sync_;
    bool failed_ = false;
};

std::string error_line(const Job& j, bool csv) {
    if (csv)
        return csv_field(j.path) + "," + std::to_string(j.size) + ",error,,,,,," +
               csv_field(j.error_status + ": " + j.error) + "\n";
    std::string o = "{";
    hashguard::detail::json_key(o, "path");
    hashguard::detail::json_string(o, j.path);
    o += ",\"size\":" + std::to_string(j.size) + ",\"verdict\":\"error\",\"error\":{\"status\":";
    hashguard::detail::json_string(o, j.error_status);
    o += ",\"message\":";
    hashguard::detail::json_string(o, j.error);
    o += "}}\n";
    return o;
}

std::string result_line(const Job& j, const hg::Result& r, bool csv) {
    if (!csv) {
        const std::string json = r.json();  // "{...}": the path goes first
        std::string o = "{";
        hashguard::detail::json_key(o, "path");
        hashguard::detail::json_string(o, j.path);
        if (json.size() > 2) o += ',';
        o.append(json, 1, std::string::npos);
        o += '\n';
        return o;
    }
    std::string matches;
    for (const auto& m : r.matches()) {
        if (!matches.empty()) matches += ';';
        matches += m.list + ":" + m.id + ":" + std::to_string(m.distance) + ":" + m.transform;
    }
    const std::string err = r.status() == HG_OK ? "" : std::string(hg_status_name(r.status())) + ": " + r.error();
    return csv_field(j.path) + "," + std::to_string(j.size) + "," + r.verdict_name() + "," + r.pdq_hex() + "," +
           (r.get(HG_RESULT_HAS_PDQ) == 1 ? std::to_string(r.quality()) : "") + "," + r.str(HG_RESULT_MD5_HEX) + "," +
           r.str(HG_RESULT_SHA256_HEX) + "," + csv_field(matches) + "," + csv_field(err) + "\n";
}

// Paths already in a previous output; drops a trailing partial line (a kill
// mid-write) by truncating the file to its last newline.
struct Prior {
    std::uint64_t matched = 0, errors = 0;
};

bool read_resume(const std::string& path, bool csv, std::unordered_set<std::string>& done, bool& empty, Prior& prior) {
    empty = true;
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) return errno == ENOENT;  // nothing yet: start fresh
    std::string text;
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    const std::size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    if (keep != text.size() && ::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
        ::close(fd);
        return false;
    }
    ::close(fd);
    text.resize(keep);
    empty = text.empty();
    std::size_t pos = 0;
    bool first = true;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (csv) {
            if (first && line + "\n" == kCsvHeader) {
                first = false;
                continue;
            }
            first = false;
            std::string p;
            if (!line.empty() && line[0] == '"') {
                for (std::size_t i = 1; i < line.size(); ++i) {
                    if (line[i] == '"') {
                        if (i + 1 < line.size() && line[i + 1] == '"') {
                            p += '"';
                            ++i;
                        } else {
                            break;
                        }
                    } else {
                        p += line[i];
                    }
                }
            } else {
                p = line.substr(0, line.find(','));
            }
            done.insert(p);
            if (line.find(",match,") != std::string::npos) ++prior.matched;
            else if (line.find(",error,") != std::string::npos) ++prior.errors;
        } else {
            hashguard::detail::JsonValue v;
            if (hashguard::detail::parse_json(line, path, v)) continue;  // not ours: rescanned
            if (const auto* p = v.get("path"); p && p->type == hashguard::detail::JsonValue::Type::string)
                done.insert(p->string);
            if (const auto* vd = v.get("verdict"); vd && vd->string == "match") ++prior.matched;
            else if (vd && vd->string == "error") ++prior.errors;
        }
    }
    return true;
}

std::string fmt_duration(double s) {
    if (s < 0 || s > 1e7) return "?";
    const long t = static_cast<long>(s + 0.5);
    char buf[32];
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
    return buf;
}

}  // namespace

void install_stop_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

std::string BatchSummary::to_json() const {
    std::string o = "{\"files\":" + std::to_string(files) + ",\"no_match\":" + std::to_string(no_match) +
                    ",\"match\":" + std::to_string(matched) + ",\"allowed\":" + std::to_string(allowed) +
                    ",\"below_quality\":" + std::to_string(below_quality) + ",\"errors\":" + std::to_string(errors) +
                    ",\"errors_by_kind\":{";
    bool first = true;
    for (const auto& [k, v] : errors_by_kind) {
        if (!first) o += ',';
        first = false;
        hashguard::detail::json_string(o, k);
        o += ":" + std::to_string(v);
    }
    char rate[96];
    std::snprintf(rate, sizeof rate, "%.3f,\"files_per_s\":%.2f,\"mb_per_s\":%.2f", elapsed_s,
                  elapsed_s > 0 ? files / elapsed_s : 0.0, elapsed_s > 0 ? bytes / 1e6 / elapsed_s : 0.0);
    o += "},\"skipped_non_media\":" + std::to_string(skipped_non_media) +
         ",\"skipped_special\":" + std::to_string(skipped_special) +
         ",\"skipped_already_in_output\":" + std::to_string(skipped_resumed) + ",\"bytes\":" + std::to_string(bytes) +
         ",\"elapsed_s\":" + rate + ",\"interrupted\":" + (interrupted ? "true" : "false") +
         ",\"kernel\":\"" + hg_kernel() + "\"}";
    return o;
}

int run_batch(hg::Scanner& scanner, const BatchOptions& opt, BatchSummary& summary) {
    const auto t0 = Clock::now();
    g_stop = false;
    g_signals = 0;
    const int threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    const int readers = std::max(1, opt.readers);

    // Output and resume state.
    std::unordered_set<std::string> done;
    Prior prior;  // verdicts already in a resumed output count towards the exit status
    int fd = 1;
    bool is_file = false, write_header = opt.csv;
    if (!opt.resume.empty()) {
        bool empty = true;
        if (!read_resume(opt.resume, opt.csv, done, empty, prior)) {
            std::fprintf(stderr, "hashguard scan: cannot read %s: %s\n", opt.resume.c_str(), std::strerror(errno));
            return 2;
        }
        fd = ::open(opt.resume.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        is_file = true;
        write_header = opt.csv && empty;
    } else if (!opt.output.empty()) {
        fd = ::open(opt.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        is_file = true;
    }
    if (fd < 0) {
        std::fprintf(stderr, "hashguard scan: cannot write %s: %s\n",
                     (opt.resume.empty() ? opt.output : opt.resume).c_str(), std::strerror(errno));
        return 2;
    }
    Output out(fd, is_file, opt.fsync_every_lines, opt.fsync_every_s);
    if (write_header) out.write_line(kCsvHeader);

    Counters c;
    Queue<Job> paths(4096, SIZE_MAX);
    Queue<Job> ready(static_cast<std::size_t>(4 * threads), opt.max_in_flight_bytes);

    // Every pipeline thread counts itself in `live`; the main thread watches for
    // Ctrl-C and closes the queues so no thread stays blocked on a full one.
    std::atomic<int> live{0};
    auto spawn = [&](auto&& body) {
        ++live;
        return std::thread([&live, body = std::move(body)]() mutable {
            body();
            --live;
        });
    };

    // Walker.
    std::thread walker = spawn([&] {
        // Counts the path; true when a resumed output already has it (then skipped).
        auto already_done = [&](const std::string& p) {
            ++c.walked;
            if (!done.count(p)) return false;
            ++c.resumed;
            return true;
        };
        Walker w(
            opt.follow_symlinks,
            [&](const std::string& p) { return already_done(p) || paths.push(Job{p, {}, {}, 0, {}}); },
            [&](const std::string& p, const std::string& status, const std::string& why) {
                return already_done(p) || paths.push(Job{p, status, why, 0, {}});
            },
            [&] { ++c.special; });
        for_each_root(opt.inputs, [&](const std::string& r) { return w.root(r); });
        paths.close();
    });

    // Counting walk for the ETA (directories only; stdin input has no total).
    const bool show_progress = !opt.quiet && opt.progress != 0;
    const bool bar = opt.progress == 1 || (opt.progress == -1 && isatty(2));
    std::thread counter;
    std::atomic<bool> stop_counting{false};
    const bool countable = std::none_of(opt.inputs.begin(), opt.inputs.end(), [](const std::string& s) { return s == "-"; });
    if (show_progress && countable) {
        counter = std::thread([&] {
            std::int64_t n = 0;
            Walker w(opt.follow_symlinks, [&](const std::string&) { return ++n, true; },
                     [&](const std::string&, const std::string&, const std::string&) { return ++n, true; }, [] {});
            w.stop_on(&stop_counting);
            for (const auto& r : opt.inputs)
                if (!w.root(r)) return;
            c.total = n;
        });
    }

    // Readers: sniff, skip non-media, read.
    std::atomic<int> readers_left{readers};
    std::vector<std::thread> reader_threads;
    for (int i = 0; i < readers; ++i)
        reader_threads.push_back(spawn([&] {
            Job j;
            while (!g_stop && paths.pop(j)) {
                if (!j.error.empty()) {
                    ready.push(std::move(j));
                    continue;
                }
                const int f = ::open(j.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                struct stat st;
                if (f < 0 || fstat(f, &st) != 0) {
                    j.error_status = "io_error";
                    j.error = std::string("cannot open: ") + std::strerror(errno);
                    if (f >= 0) ::close(f);
                    ready.push(std::move(j));
                    continue;
                }
                if (!S_ISREG(st.st_mode)) {  // swapped for a FIFO or device since the walk
                    ::close(f);
                    ++c.special;
                    continue;
                }
                j.size = static_cast<std::uint64_t>(st.st_size);
                std::uint8_t head[64];
                const ssize_t hn = ::read(f, head, sizeof head);
                if (hn < 0) {
                    j.error_status = "io_error";
                    j.error = std::string("cannot read: ") + std::strerror(errno);
                    ::close(f);
                    ready.push(std::move(j));
                    continue;
                }
                if (!opt.all_files &&
                    hashguard::sniff_format(head, static_cast<std::size_t>(hn)) == hashguard::Format::unknown) {
                    ::close(f);
                    ++c.non_media;
                    continue;
                }
                if (j.size > opt.max_bytes) {
                    ::close(f);
                    j.error_status = "limit_bytes";
                    j.error = "file is " + std::to_string(j.size) + " bytes, above the limit of " +
                              std::to_string(opt.max_bytes);
                    ready.push(std::move(j));
                    continue;
                }
                j.bytes.assign(head, head + hn);
                j.bytes.resize(static_cast<std::size_t>(j.size) + 1);  // +1: notice growth
                std::size_t have = static_cast<std::size_t>(hn);
                bool ok = true;
                while (have < j.bytes.size()) {
                    const ssize_t n = ::read(f, j.bytes.data() + have, j.bytes.size() - have);
                    if (n < 0 && errno == EINTR) continue;
                    if (n < 0) ok = false;
                    if (n <= 0) break;
                    have += static_cast<std::size_t>(n);
                }
                ::close(f);
                if (!ok) {
                    j.bytes.clear();
                    j.error_status = "io_error";
                    j.error = std::string("cannot read: ") + std::strerror(errno);
                } else {
                    j.bytes.resize(std::min(have, static_cast<std::size_t>(opt.max_bytes)));
                    j.size = j.bytes.size();
                }
                const std::size_t w = j.bytes.size();
                if (!ready.push(std::move(j), w)) break;
            }
            if (--readers_left == 0) ready.close();
        }));

    // Scanners.
    std::vector<std::thread> scan_threads;
    for (int i = 0; i < threads; ++i)
        scan_threads.push_back(spawn([&] {
            Job j;
            while (!g_stop && ready.pop(j)) {
                std::string line;
                if (!j.error.empty()) {
                    c.error(j.error_status);
                    line = error_line(j, opt.csv);
                } else {
                    hg_result* raw = nullptr;
                    const hg_status st = hg_scan(scanner.get(), j.bytes.data(), j.bytes.size(), &raw);
                    if (st != HG_OK) {
                        j.error_status = hg_status_name(st);
                        j.error = hg_last_error();
                        c.error(j.error_status);
                        line = error_line(j, opt.csv);
                    } else {
                        hg::Result r(raw);
                        switch (r.verdict()) {
                            case HG_VERDICT_MATCH: ++c.matched; break;
                            case HG_VERDICT_ALLOWED: ++c.allowed; break;
                            case HG_VERDICT_BELOW_QUALITY: ++c.below; break;
                            case HG_VERDICT_ERROR: c.error(hg_status_name(r.status())); break;
                            default: ++c.no_match; break;
                        }
                        line = result_line(j, r, opt.csv);
                    }
                }
                c.bytes += j.size;
                out.write_line(line);
                ++c.done;
            }
        }));

    // Progress.
    std::atomic<bool> finished{false};
    std::thread progress;
    if (show_progress)
        progress = std::thread([&] {
            auto last_log = Clock::now();
            while (!finished) {
                std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.25, opt.log_interval_s)));
                if (finished) break;
                const double el = seconds_since(t0);
                if (!bar && seconds_since(last_log) < opt.log_interval_s) continue;
                last_log = Clock::now();
                const std::uint64_t done_n = c.done, skipped = c.non_media + c.resumed + c.special;
                const double fps = el > 0 ? done_n / el : 0, mbps = el > 0 ? c.bytes / 1e6 / el : 0;
                const std::int64_t total = c.total;
                std::string eta, pct;
                if (total > 0) {
                    const double processed = static_cast<double>(done_n + skipped);
                    const double rate = el > 0 ? processed / el : 0;
                    eta = " ETA " + fmt_duration(rate > 0 ? (total - processed) / rate : -1);
                    const double frac = std::min(1.0, processed / total);
                    if (bar) {
                        const int width = 24, fill = static_cast<int>(frac * width);
                        pct = "[" + std::string(fill, '#') + std::string(width - fill, '.') + "] ";
                    }
                    char b[16];
                    std::snprintf(b, sizeof b, "%3.0f%% ", frac * 100);
                    pct += b;
                }
                char line[256];
                std::snprintf(line, sizeof line,
                              "%s%llu files, %.1f files/s, %.1f MB/s, %llu matches, %llu errors, %llu skipped%s",
                              pct.c_str(), static_cast<unsigned long long>(done_n), fps, mbps,
                              static_cast<unsigned long long>(c.matched.load()),
                              static_cast<unsigned long long>(c.errors.load()),
                              static_cast<unsigned long long>(skipped), eta.c_str());
                if (bar) std::fprintf(stderr, "\r%s\033[K", line);
                else std::fprintf(stderr, "hashguard scan: %s\n", line);
                std::fflush(stderr);
            }
            if (bar) std::fprintf(stderr, "\r\033[K");
        });

    while (live > 0) {
        if (g_stop) {
            paths.close();
            ready.close();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    walker.join();
    for (auto& t : reader_threads) t.join();
    for (auto& t : scan_threads) t.join();
    finished = true;
    stop_counting = true;
    if (progress.joinable()) progress.join();
    if (counter.joinable()) counter.join();
    out.sync();
    if (is_file) ::close(fd);

    summary.files = c.done;
    summary.no_match = c.no_match;
    summary.matched = c.matched;
    summary.allowed = c.allowed;
    summary.below_quality = c.below;
    summary.errors = c.errors;
    summary.skipped_non_media = c.non_media;
    summary.skipped_resumed = c.resumed;
    summary.skipped_special = c.special;
    summary.bytes = c.bytes;
    summary.errors_by_kind = c.errors_by_kind;
    summary.elapsed_s = seconds_since(t0);
    summary.interrupted = g_stop;
    if (out.failed()) {
        std::fprintf(stderr, "hashguard scan: writing the output failed: %s\n", std::strerror(errno));
        return 2;
    }
    if (summary.interrupted) return 130;
    const bool failed = summary.errors + prior.errors > 0, matched = summary.matched + prior.matched > 0;
    return matched && failed ? 4 : matched ? 3 : failed ? 1 : 0;
}

}  // namespace hgcli
