// Reading whole regular files, bounded: the one implementation behind
// hashguard::read_file (attachments) and the list loaders (whose buffers wipe
// themselves: pass a container with hashguard::WipingAllocator).
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/memory.hpp"
#include "hashguard/status.hpp"

namespace hashguard::detail {

struct FileDescriptor {
    int fd;
    explicit FileDescriptor(int f) : fd(f) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

/// Opens `path` for reading when it is a regular file (never blocks on a
/// FIFO); on success fd is open and size set.
Error open_regular_file(const std::string& path, FileDescriptor& file, std::uint64_t& size);

Error file_too_big(std::uint64_t size, std::size_t max_bytes);

/// Reads the whole regular file into `out` (a vector of bytes with any
/// allocator), refusing files above max_bytes. On failure `out` is empty.
template <class Bytes>
Error read_regular_file(const std::string& path, Bytes& out, std::size_t max_bytes) {
    out.clear();
    FileDescriptor f(-1);
    std::uint64_t size = 0;
    if (Error e = open_regular_file(path, f, size)) return e;
    if (size > max_bytes) return file_too_big(size, max_bytes);
    reserve_huge(out, static_cast<std::size_t>(size) + 1);  // a large file: huge pages, not 4 KiB faults
    out.resize(static_cast<std::size_t>(size) + 1);         // one more byte: notice a file that grew
    std::size_t have = 0;
    while (have < out.size()) {
        const ssize_t n = ::read(f.fd, out.data() + have, out.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            out.clear();
            return {Status::io_error, "read error: " + std::string(std::strerror(err))};
        }
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    if (have > size) {
        out.clear();
        return {Status::io_error, "the file grew while it was read"};
    }
    out.resize(have);
    return {};
}

}  // namespace hashguard::detail
