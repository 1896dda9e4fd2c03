// Batch scanning: one walker thread (directories in sorted order, symlink
// rules, cycle detection) -> bounded queue of paths -> reader threads (sniff
// the first bytes, skip non-media, read the file) -> bounded queue of bytes
// (capped by count and by total bytes in flight) -> scan threads (hg_scan)
// -> whole-line writes to the output (one write() per line, fsync at
// checkpoints). A progress thread reports; a counting thread walks ahead for
// the ETA. Ctrl-C stops the walk, lets in-flight scans finish and flushes:
// every line in the output is whole, and --resume picks up from there.
#include "batch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>
#include <thread>

#include "batch_io.hpp"
#include "hashguard/csv.hpp"
#include "hashguard/image.hpp"
#include "hashguard/video.hpp"
#include "hashguard/json.hpp"

namespace hgcli {

namespace {

std::atomic<int> g_signals{0};

extern "C" void on_signal(int) {
    g_stop.store(true);
    wake_stdin_readers();  // a walker waiting for paths on stdin sees the stop at once
    if (g_signals.fetch_add(1) >= 1) _exit(130);  // second Ctrl-C: leave now
}

struct Job {
    std::string path;
    std::string error_status, error;  ///< set when the walk or the read already failed
    std::uint64_t size = 0;
    std::vector<std::uint8_t> bytes;
};

Job failed_job(std::string path, std::string status, std::string why) {
    Job j;
    j.path = std::move(path);
    j.error_status = std::move(status);
    j.error = std::move(why);
    return j;
}

struct Counters {
    std::atomic<std::uint64_t> done{0}, bytes{0}, matched{0}, allowed{0}, no_match{0}, below{0}, errors{0};
    std::atomic<std::uint64_t> non_media{0}, resumed{0}, special{0};
    std::atomic<std::int64_t> total{-1};  ///< from the counting walk; -1 until known
    std::mutex mu;
    std::map<std::string, std::uint64_t> errors_by_kind;
    void error(const std::string& kind) {
        ++errors;
        std::lock_guard<std::mutex> lk(mu);
        ++errors_by_kind[kind];
    }
    std::uint64_t skipped() const { return non_media + resumed + special; }
};

std::string error_line(const Job& j, bool csv) {
    std::string o;
    if (csv) {
        hashguard::csv::append_field(o, j.path);
        o += "," + std::to_string(j.size) + ",error,,,,,,";
        hashguard::csv::append_field(o, j.error_status + ": " + j.error);
        return o + "\n";
    }
    hashguard::json::Writer w(o);
    w.begin_object().field("path", j.path).field("size", j.size).field("verdict", "error");
    w.key("error").begin_object().field("status", j.error_status).field("message", j.error).end_object();
    w.end_object();
    return o + "\n";
}

std::string result_line(const Job& j, const hg::Result& r, bool csv) {
    std::string o;
    if (!csv) {
        hashguard::json::Writer(o).begin_object().field("path", j.path).members_of(r.json()).end_object();
        return o + "\n";
    }
    std::string matches;
    for (const auto& m : r.matches())
        matches += (matches.empty() ? "" : ";") + m.list + ":" + m.id + ":" + std::to_string(m.distance) + ":" +
                   m.transform;
    const std::string err = r.status() == HG_OK ? "" : std::string(hg_status_name(r.status())) + ": " + r.error();
    const std::string quality = r.get(HG_RESULT_HAS_PDQ) == 1 ? std::to_string(r.quality()) : "";
    const std::string fields[] = {j.path, std::to_string(j.size), r.verdict_name(), r.pdq_hex(), quality,
                                  r.str(HG_RESULT_MD5_HEX), r.str(HG_RESULT_SHA256_HEX), matches, err};
    for (const auto& f : fields) {
        if (&f != fields) o += ',';
        hashguard::csv::append_field(o, f);
    }
    return o + "\n";
}

std::string fmt_duration(double s) {
    if (s < 0 || s > 1e7) return "?";
    const long t = static_cast<long>(s + 0.5);
    char buf[32];
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
    return buf;
}

// Reads one file for scanning: sniff, skip non-media, size limits.
enum class ReadOutcome { ready, skip_non_media, skip_special };

}  // namespace

namespace {

class BatchRun {
public:
    BatchRun(hg::Scanner& scanner, const BatchOptions& opt)
        : scanner_(scanner), opt_(opt), paths_(4096, SIZE_MAX),
          ready_(static_cast<std::size_t>(4 * threads()), opt.max_in_flight_bytes) {}

    int run(BatchSummary& summary) {
        if (const int rc = open_output(); rc >= 0) return rc;
        Output out(fd_, is_file_, opt_.fsync_every_lines, opt_.fsync_every_s);
        out_ = &out;
        if (write_header_) out.write_line(kCsvHeader);
        start_pipeline();
        wait_for_pipeline();
        out.sync();
        if (is_file_) ::close(fd_);
        return finish(summary);
    }

private:
    int threads() const {
        return opt_.threads > 0 ? opt_.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }
    bool stopping() const { return g_stop || abort_; }

    // Output and resume state; -1 to go on, else an exit status.
    int open_output() {
        const std::string& file = opt_.resume.empty() ? opt_.output : opt_.resume;
        if (!opt_.resume.empty()) {
            if (!resume_.read(opt_.resume, opt_.csv)) {
                std::fprintf(stderr, "hashguard scan: cannot read %s: %s\n", file.c_str(), std::strerror(errno));
                return 2;
            }
            fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            write_header_ = opt_.csv && resume_.empty_file();
        } else if (!opt_.output.empty()) {
            fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        }
        is_file_ = !file.empty();
        write_header_ = write_header_ || (opt_.csv && opt_.resume.empty());
        if (fd_ >= 0) return -1;
        std::fprintf(stderr, "hashguard scan: cannot write %s: %s\n", file.c_str(), std::strerror(errno));
        return 2;
    }

    // Starts a thread (counted in live_ when it is part of the pipeline). When
    // no thread can be created the whole run stops: the queues close so every
    // started thread can return, and the run exits 2 naming the cause.
    void spawn(std::vector<std::thread>& into, void (BatchRun::*body)(), bool pipeline) {
        if (abort_) return;
        if (pipeline) ++live_;
        try {
            into.emplace_back([this, body, pipeline] {
                run_guarded(body);
                if (pipeline) --live_;
            });
        } catch (const std::system_error& e) {
            if (pipeline) --live_;
            fail_run(std::string("cannot create a thread: ") + e.what());
        } catch (const std::exception& e) {
            if (pipeline) --live_;
            fail_run(std::string("cannot create a thread: ") + e.what());
        }
    }

    // A thread body; an exception (out of memory) stops the whole run, which
    // then exits 2: the files not yet written are not reported clean.
    void run_guarded(void (BatchRun::*body)()) noexcept {
        try {
            (this->*body)();
        } catch (const std::bad_alloc&) {
            fail_run("out of memory");
        } catch (const std::exception& e) {
            fail_run(std::string("internal error: ") + e.what());
        } catch (...) {
            fail_run("internal error");
        }
    }

    // Stops everything: no more paths, no more reads, no more scans.
    void fail_run(const std::string& why) noexcept {
        {
            std::lock_guard<std::mutex> lk(error_mu_);
            try {
                if (run_error_.empty()) run_error_ = why;
            } catch (...) {
            }
        }
        abort_ = true;
        wake_stdin_readers();
        paths_.close();
        ready_.close();
    }

    void start_pipeline() {
        t0_ = Clock::now();
        const int readers = std::max(1, opt_.readers);
        readers_left_ = readers;
        spawn(pipeline_, &BatchRun::walker_main, true);
        for (int i = 0; i < readers; ++i) spawn(pipeline_, &BatchRun::reader_main, true);
        for (int i = 0; i < threads(); ++i) spawn(pipeline_, &BatchRun::scanner_main, true);
        const bool countable = std::none_of(opt_.inputs.begin(), opt_.inputs.end(), [](auto& s) { return s == "-"; });
        if (show_progress() && countable) spawn(counter_, &BatchRun::counter_main, false);
        if (show_progress()) spawn(progress_, &BatchRun::progress_main, false);
    }

    // The main thread only watches: on Ctrl-C (or a failed spawn) it closes both
    // queues so that no pipeline thread stays blocked on a full or empty one.
    void wait_for_pipeline() {
        while (live_ > 0) {
            if (stopping()) {
                paths_.close();
                ready_.close();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        for (auto& t : pipeline_) t.join();
        for (auto& t : counter_) t.join();  // done walking too (it stops early only when the run stops)
        finished_ = true;
        for (auto& t : progress_) t.join();  // prints a last line with the final figures
    }

    bool show_progress() const { return !opt_.quiet && opt_.progress != 0; }

    // Counts the path; true when a resumed output already has it (then skipped).
    bool already_done(const std::string& p) {
        if (!resume_.contains(p)) return false;
        ++c_.resumed;
        return true;
    }

    void walker_main() {
        Walker w(
            opt_.follow_symlinks, [&](const std::string& p) { return already_done(p) || paths_.push(Job{p, {}, {}, 0, {}}); },
            [&](const std::string& p, const std::string& status, const std::string& why) {
                return already_done(p) || paths_.push(failed_job(p, status, why));
            },
            [&] { ++c_.special; });
        w.stop_on(&abort_);
        for_each_root(opt_.inputs, [&](const std::string& r) { return w.root(r); }, &abort_);
        paths_.close();
    }

    // Counting walk for the ETA (directories only; stdin input has no total).
    void counter_main() {
        std::int64_t n = 0;
        Walker w(opt_.follow_symlinks, [&](const std::string&) { return ++n, true; },
                 [&](const std::string&, const std::string&, const std::string&) { return ++n, true; }, [&] { ++n; });
        w.stop_on(&abort_);
        for (const auto& r : opt_.inputs)
            if (!w.root(r)) return;
        c_.total = n;
    }

    ReadOutcome read_job(Job& j);
    void reader_main();
    std::string scan_job(Job& j);
    void scanner_main();
    std::string progress_text(bool bar) const;
    void progress_main();
    int finish(BatchSummary& s);

    hg::Scanner& scanner_;
    const BatchOptions& opt_;
    ResumeState resume_;
    Counters c_;
    Queue<Job> paths_, ready_;
    Output* out_ = nullptr;
    int fd_ = 1;
    bool is_file_ = false, write_header_ = false;
    std::vector<std::thread> pipeline_, counter_, progress_;
    std::atomic<int> live_{0}, readers_left_{0};
    std::atomic<bool> abort_{false}, finished_{false};
    std::mutex error_mu_;
    std::string run_error_;
    Clock::time_point t0_ = Clock::now();
};

// ------------------------------------------------------------------ readers

// Opens, sniffs and reads one file into j.bytes; failures go into j.error.
ReadOutcome BatchRun::read_job(Job& j) {
    auto fail = [&](const char* status, std::string why) {
        j.error_status = status;
        j.error = std::move(why);
        return ReadOutcome::ready;
    };
    const int f = ::open(j.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (f < 0 || fstat(f, &st) != 0) {
        const int err = errno;
        if (f >= 0) ::close(f);
        return fail("io_error", std::string("cannot open: ") + std::strerror(err));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{f};
    if (!S_ISREG(st.st_mode)) return ReadOutcome::skip_special;  // swapped for a FIFO or device since the walk
    j.size = static_cast<std::uint64_t>(st.st_size);
    std::uint8_t head[64];
    const ssize_t hn = ::read(f, head, sizeof head);
    if (hn < 0) return fail("io_error", std::string("cannot read: ") + std::strerror(errno));
    if (!opt_.all_files && hashguard::sniff_format(head, static_cast<std::size_t>(hn)) == hashguard::Format::unknown &&
        !(opt_.videos && hashguard::sniff_video(head, static_cast<std::size_t>(hn))))
        return ReadOutcome::skip_non_media;
    if (j.size > opt_.max_bytes)
        return fail("limit_bytes", "file is " + std::to_string(j.size) + " bytes, above the limit of " +
                                       std::to_string(opt_.max_bytes));
    j.bytes.assign(head, head + hn);
    j.bytes.resize(static_cast<std::size_t>(j.size) + 1);  // +1: notice growth
    std::size_t have = static_cast<std::size_t>(hn);
    while (have < j.bytes.size()) {
        const ssize_t n = ::read(f, j.bytes.data() + have, j.bytes.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return j.bytes.clear(), fail("io_error", std::string("cannot read: ") + std::strerror(errno));
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    j.bytes.resize(std::min(have, static_cast<std::size_t>(opt_.max_bytes)));
    j.size = j.bytes.size();
    return ReadOutcome::ready;
}

void BatchRun::reader_main() {
    Job j;
    while (!stopping() && paths_.pop(j)) {
        if (j.error.empty()) {
            const ReadOutcome o = read_job(j);
            if (o == ReadOutcome::skip_non_media) ++c_.non_media;
            if (o == ReadOutcome::skip_special) ++c_.special;
            if (o != ReadOutcome::ready) continue;
        }
        const std::size_t w = j.bytes.size();
        if (!ready_.push(std::move(j), w)) break;
    }
    if (--readers_left_ == 0) ready_.close();
}

// ------------------------------------------------------------------ scanners

// Scans one job; returns its output line. A failed hg_scan is an error line,
// never a clean verdict.
std::string BatchRun::scan_job(Job& j) {
    if (!j.error.empty()) {
        c_.error(j.error_status);
        return error_line(j, opt_.csv);
    }
    hg_result* raw = nullptr;
    const hg_status st = hg_scan(scanner_.get(), j.bytes.data(), j.bytes.size(), &raw);
    if (st != HG_OK) {
        j.error_status = hg_status_name(st);
        j.error = hg_last_error();
        c_.error(j.error_status);
        return error_line(j, opt_.csv);
    }
    const hg::Result r(raw);
    switch (r.verdict()) {
        case HG_VERDICT_MATCH: ++c_.matched; break;
        case HG_VERDICT_ALLOWED: ++c_.allowed; break;
        case HG_VERDICT_BELOW_QUALITY: ++c_.below; break;
        case HG_VERDICT_NO_MATCH: ++c_.no_match; break;
        default: c_.error(hg_status_name(r.status())); break;
    }
    return result_line(j, r, opt_.csv);
}

void BatchRun::scanner_main() {
    Job j;
    while (!stopping() && ready_.pop(j)) {
        std::string line;
        try {
            line = scan_job(j);
        } catch (const std::exception& e) {  // out of memory formatting the line: still an error line
            c_.error("out_of_memory");
            line = error_line(failed_job(j.path, "out_of_memory", e.what()), opt_.csv);
        }
        c_.bytes += j.size;
        out_->write_line(line);
        ++c_.done;
    }
}

// ------------------------------------------------------------------ progress

std::string BatchRun::progress_text(bool bar) const {
    const double el = seconds_since(t0_);
    const std::uint64_t done = c_.done, skipped = c_.skipped();
    const std::int64_t total = c_.total;
    std::string eta, pct;
    if (total > 0) {
        const double processed = static_cast<double>(done + skipped);
        const double rate = el > 0 ? processed / el : 0;
        eta = " ETA " + fmt_duration(rate > 0 ? std::max(0.0, static_cast<double>(total) - processed) / rate : -1);
        const double frac = std::min(1.0, processed / static_cast<double>(total));
        if (bar) {
            const int width = 24, fill = static_cast<int>(frac * width);
            pct = "[" + std::string(fill, '#') + std::string(width - fill, '.') + "] ";
        }
        char b[16];
        std::snprintf(b, sizeof b, "%3.0f%% ", frac * 100);
        pct += b;
    }
    char line[256];
    std::snprintf(line, sizeof line, "%s%llu files, %.1f files/s, %.1f MB/s, %llu matches, %llu errors, %llu skipped%s",
                  pct.c_str(), static_cast<unsigned long long>(done), el > 0 ? done / el : 0.0,
                  el > 0 ? c_.bytes / 1e6 / el : 0.0, static_cast<unsigned long long>(c_.matched.load()),
                  static_cast<unsigned long long>(c_.errors.load()), static_cast<unsigned long long>(skipped),
                  eta.c_str());
    return line;
}

// A bar on a terminal (redrawn every 0.25 s), else a log line every interval;
// both once more at the end.
void BatchRun::progress_main() {
    const bool bar = opt_.progress == 1 || (opt_.progress == -1 && isatty(2));
    auto last_log = Clock::now();
    while (!finished_) {
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.25, opt_.log_interval_s)));
        if (finished_) break;
        if (!bar && seconds_since(last_log) < opt_.log_interval_s) continue;
        last_log = Clock::now();
        if (bar) std::fprintf(stderr, "\r%s\033[K", progress_text(true).c_str());
        else std::fprintf(stderr, "hashguard scan: %s\n", progress_text(false).c_str());
        std::fflush(stderr);
    }
    // The final figures once more, then the bar makes way for the summary.
    if (bar) std::fprintf(stderr, "\r%s\033[K\r\033[K", progress_text(true).c_str());
    else std::fprintf(stderr, "hashguard scan: %s\n", progress_text(false).c_str());
}

// ------------------------------------------------------------------ summary

int BatchRun::finish(BatchSummary& s) {
    s.files = c_.done;
    s.no_match = c_.no_match;
    s.matched = c_.matched;
    s.allowed = c_.allowed;
    s.below_quality = c_.below;
    s.errors = c_.errors;
    s.skipped_non_media = c_.non_media;
    s.skipped_resumed = c_.resumed;
    s.skipped_special = c_.special;
    s.bytes = c_.bytes;
    s.errors_by_kind = c_.errors_by_kind;
    s.elapsed_s = seconds_since(t0_);
    s.interrupted = g_stop;
    if (abort_) {
        std::fprintf(stderr, "hashguard scan: %s\n", run_error_.empty() ? "stopped" : run_error_.c_str());
        return 2;
    }
    if (out_->failed()) {
        std::fprintf(stderr, "hashguard scan: writing the output failed: %s\n", std::strerror(errno));
        return 2;
    }
    if (s.interrupted) return 130;
    const bool failed = s.errors + resume_.errors > 0, matched = s.matched + resume_.matched > 0;
    return matched && failed ? 4 : matched ? 3 : failed ? 1 : 0;
}

}  // namespace

void install_stop_handlers() {
    init_stdin_wakeup();
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

std::string BatchSummary::to_json() const {
    std::string o;
    hashguard::json::Writer w(o);
    w.begin_object().field("files", files).field("no_match", no_match).field("match", matched);
    w.field("allowed", allowed).field("below_quality", below_quality).field("errors", errors);
    w.key("errors_by_kind").begin_object();
    for (const auto& [k, v] : errors_by_kind) w.field(k, v);
    w.end_object();
    w.field("skipped_non_media", skipped_non_media).field("skipped_special", skipped_special);
    w.field("skipped_already_in_output", skipped_resumed).field("bytes", bytes).field("elapsed_s", elapsed_s, 3);
    w.field("files_per_s", elapsed_s > 0 ? files / elapsed_s : 0.0, 2);
    w.field("mb_per_s", elapsed_s > 0 ? bytes / 1e6 / elapsed_s : 0.0, 2);
    w.field("interrupted", interrupted).field("kernel", hg_kernel()).end_object();
    return o;
}

int run_batch(hg::Scanner& scanner, const BatchOptions& opt, BatchSummary& summary) {
    init_stdin_wakeup();
    g_stop = false;
    g_signals = 0;
    BatchRun run(scanner, opt);
    return run.run(summary);
}

}  // namespace hgcli
