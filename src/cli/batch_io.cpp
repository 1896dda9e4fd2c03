#include "batch_io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "hashguard/csv.hpp"
#include "hashguard/json.hpp"
#include "hashguard/lists.hpp"

namespace hgcli {

std::atomic<bool> g_stop{false};

const char* const kCsvHeader = "path,size,verdict,pdq,quality,md5,sha256,matches,error\n";

// ------------------------------------------------------------------ walking

bool Walker::visit(const std::string& path, bool is_root) {
    if (g_stop || (stop_ && *stop_)) return false;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return on_error_(path, "io_error", std::strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        if (stat(path.c_str(), &st) != 0) {
            const int e = errno;
            return on_error_(path, "io_error",
                             e == ELOOP ? "symlink loop" : e == ENOENT ? "broken symlink" : std::strerror(e));
        }
        if (S_ISDIR(st.st_mode) && !is_root && !follow_) return on_special_(), true;
    }
    if (S_ISREG(st.st_mode)) return on_file_(path);
    if (!S_ISDIR(st.st_mode)) return on_special_(), true;
    return dir(path, st);
}

bool Walker::dir(const std::string& path, const struct stat& st) {
    // A cycle is a directory that is its own ancestor (a symlink or bind mount
    // back up the tree); the same directory reached twice otherwise is walked twice.
    const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    if (ancestors_.count(id)) return on_error_(path, "io_error", "directory cycle: an ancestor of itself");
    ancestors_.insert(id);
    const bool ok = dir_entries(path);
    ancestors_.erase(id);
    return ok;
}

bool Walker::dir_entries(const std::string& path) {
    DIR* d = opendir(path.c_str());
    if (!d) return on_error_(path, "io_error", std::string("cannot read directory: ") + std::strerror(errno));
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    const std::string prefix = !path.empty() && path.back() == '/' ? path : path + "/";
    for (const auto& n : names)
        if (!visit(prefix + n, false)) return false;
    return true;
}

namespace {
int g_wake[2] = {-1, -1};  // the read end is polled beside stdin; a byte written wakes the reader

bool stopped(const std::atomic<bool>* stop) { return g_stop || (stop && *stop); }

// Paths from standard input, one per line, handed to f as each line ends.
// poll() watches stdin and the wake-up pipe, so a blocked read cannot keep
// the walker (and the whole run) alive after a stop.
void stdin_roots(const std::function<bool(const std::string&)>& f, const std::atomic<bool>* stop) {
    std::string pending;
    char chunk[4096];
    auto emit = [&](std::string line) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line.empty() || f(line);
    };
    while (!stopped(stop)) {
        pollfd fds[2] = {{0, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
        if (::poll(fds, g_wake[0] >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) return;
        if (stopped(stop) || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::read(0, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;  // end of input (or an error: no more paths)
        pending.append(chunk, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
            if (!emit(pending.substr(0, nl))) return;
            pending.erase(0, nl + 1);
        }
    }
    if (!stopped(stop) && !pending.empty()) emit(pending);  // a last line without its newline
}
}  // namespace

void init_stdin_wakeup() {
    if (g_wake[0] < 0 && ::pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) g_wake[0] = g_wake[1] = -1;
    char drain[64];  // wake-ups of an earlier run in this process
    while (g_wake[0] >= 0 && ::read(g_wake[0], drain, sizeof drain) > 0) {
    }
}

void wake_stdin_readers() noexcept {
    if (g_wake[1] >= 0) {
        const char c = 1;
        [[maybe_unused]] const ssize_t n = ::write(g_wake[1], &c, 1);
    }
}

void for_each_root(const std::vector<std::string>& inputs, const std::function<bool(const std::string&)>& f,
                   const std::atomic<bool>* stop) {
    for (const auto& in : inputs) {
        if (stopped(stop)) return;
        if (in == "-") stdin_roots(f, stop);
        else if (!f(in)) return;
    }
}

// ------------------------------------------------------------------ output

bool Output::write_line(const std::string& line) {
    std::lock_guard<std::mutex> lk(mu_);
    for (std::size_t off = 0; off < line.size();) {
        const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return failed_ = true, false;
        off += static_cast<std::size_t>(n);
    }
    if (is_file_ && (++since_sync_ >= every_lines_ || seconds_since(last_sync_) >= every_s_)) sync_locked();
    return true;
}

void Output::sync() {
    std::lock_guard<std::mutex> lk(mu_);
    if (is_file_) sync_locked();
}

void Output::sync_locked() {
    ::fsync(fd_);
    since_sync_ = 0;
    last_sync_ = Clock::now();
}

// ------------------------------------------------------------------ resume

std::size_t ResumeState::KeyHash::operator()(const Key& k) const noexcept {
    std::size_t h;
    std::memcpy(&h, k.data(), sizeof h);
    return h;
}

ResumeState::Key ResumeState::key(const std::string& path) {
    // A cryptographic digest: a file name crafted to collide with a finished
    // one must not make a resumed run skip it unscanned.
    hashguard::Digest d;
    if (hashguard::Error e = hashguard::compute_digest(hashguard::HashKind::sha256, path.data(), path.size(), d)) throw std::runtime_error(e.message);
    Key k{};
    std::memcpy(k.data(), d.bytes.data(), k.size());
    return k;
}

bool ResumeState::contains(const std::string& path) const { return done_.count(key(path)) > 0; }

// One line of a previous output. A line that is not ours is ignored: its
// file, if any, is scanned again.
void ResumeState::line(const std::string& text, bool csv, const std::string& source) {
    std::string path, verdict;
    if (csv) {
        const bool header = first_line_ && text + "\n" == kCsvHeader;
        first_line_ = false;
        std::vector<std::string> fields;
        if (header || !hashguard::csv::split(text, fields) || fields.size() < 3) return;
        path = fields[0];
        verdict = fields[2];
    } else {
        hashguard::json::Value v;
        if (hashguard::json::parse(text, source, v)) return;
        const std::string* p = v.get_string("path");
        const std::string* vd = v.get_string("verdict");
        if (!p || !vd) return;
        path = *p;
        verdict = *vd;
    }
    done_.insert(key(path));
    if (verdict == "match") ++matched;
    else if (verdict == "error") ++errors;
}

bool ResumeState::read(const std::string& path, bool csv) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT;  // nothing yet: start fresh
    std::string pending;  // the current line, not yet terminated
    off_t whole = 0, pos = 0;  // bytes up to the last newline; bytes read
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] != '\n') {
                pending += buf[i];
                continue;
            }
            line(pending, csv, path);
            pending.clear();
            whole = pos + i + 1;
        }
        if (n > 0) pos += n;
    }
    const bool ok = n == 0 && (pending.empty() || ::ftruncate(fd, whole) == 0);  // drop a torn last line
    const int err = errno;
    ::close(fd);
    empty_ = whole == 0;
    errno = err;
    return ok;
}

}  // namespace hgcli
