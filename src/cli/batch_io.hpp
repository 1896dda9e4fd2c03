// Pieces of the batch pipeline (src/cli/batch.cpp): the bounded queue, the
// tree walker, the output writer and the resume reader.
#pragma once
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace hgcli {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// Set by SIGINT/SIGTERM: every stage stops taking new work.
extern std::atomic<bool> g_stop;

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

// Walks inputs depth-first (entries sorted by name), calling on_file for
// regular files (and symlinks to them) and on_error for paths that cannot be
// walked. Directory symlinks below the roots are followed only when asked;
// a directory that is its own ancestor (a cycle) is reported, not entered.
class Walker {
public:
    using OnFile = std::function<bool(const std::string&)>;
    using OnError = std::function<bool(const std::string&, const std::string&, const std::string&)>;
    Walker(bool follow, OnFile on_file, OnError on_error, std::function<void()> on_special)
        : follow_(follow), on_file_(std::move(on_file)), on_error_(std::move(on_error)),
          on_special_(std::move(on_special)) {}

    /// False when a callback asked to stop.
    bool root(const std::string& path) { return visit(path, true); }
    /// Also stop when *flag becomes true.
    void stop_on(const std::atomic<bool>* flag) { stop_ = flag; }

private:
    bool visit(const std::string& path, bool is_root);
    bool dir(const std::string& path, const struct stat& st);
    bool dir_entries(const std::string& path);

    bool follow_;
    OnFile on_file_;
    OnError on_error_;
    std::function<void()> on_special_;
    std::set<std::pair<dev_t, ino_t>> ancestors_;
    const std::atomic<bool>* stop_ = nullptr;
};

/// Calls f for every root input; "-" expands to the paths on standard input,
/// read so that a stop (Ctrl-C, *stop) ends the wait for more paths at once.
void for_each_root(const std::vector<std::string>& inputs, const std::function<bool(const std::string&)>& f,
                   const std::atomic<bool>* stop);

/// Wakes every reader of standard input to look at its stop flags again.
/// Async-signal-safe (the stop signal handler calls it).
void wake_stdin_readers() noexcept;
/// Creates the wake-up pipe (once; before any signal handler may use it).
void init_stdin_wakeup();

/// Whole-line writes (one write() per line, O_APPEND) with fsync at checkpoints.
class Output {
public:
    Output(int fd, bool is_file, std::size_t every_lines, double every_s)
        : fd_(fd), is_file_(is_file), every_lines_(every_lines), every_s_(every_s), last_sync_(Clock::now()) {}
    bool write_line(const std::string& line);
    void sync();
    bool failed() const { return failed_; }

private:
    void sync_locked();
    std::mutex mu_;
    int fd_;
    bool is_file_;
    std::size_t every_lines_, since_sync_ = 0;
    double every_s_;
    Clock::time_point last_sync_;
    bool failed_ = false;
};

extern const char* const kCsvHeader;

/// What a previous output holds: the paths already scanned (kept as 128-bit
/// SHA-256 prefixes: memory stays small on archives of millions of files, and
/// no crafted file name can collide with another) and its verdict counts.
class ResumeState {
public:
    /// Reads `path` line by line (a fixed buffer: memory does not grow with the
    /// file), truncating a torn last line. True when the file is absent (a
    /// fresh start) or was read; false with errno set otherwise.
    bool read(const std::string& path, bool csv);
    bool contains(const std::string& path) const;
    bool empty_file() const { return empty_; }
    std::uint64_t matched = 0, errors = 0;

private:
    using Key = std::array<unsigned char, 16>;
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    static Key key(const std::string& path);
    void line(const std::string& text, bool csv, const std::string& source);
    std::unordered_set<Key, KeyHash> done_;
    bool empty_ = true, first_line_ = true;
};

}  // namespace hgcli
