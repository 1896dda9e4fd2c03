#include "common/io.hpp"

#include <vector>

#include "common/errors.hpp"
#include "hashguard/image.hpp"

namespace hashguard {

namespace detail {

Error open_regular_file(const std::string& path, FileDescriptor& file, std::uint64_t& size) {
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (file.fd < 0) return {Status::io_error, "cannot open: " + std::string(std::strerror(errno))};
    struct stat st;
    if (::fstat(file.fd, &st) != 0) return {Status::io_error, "cannot stat: " + std::string(std::strerror(errno))};
    if (!S_ISREG(st.st_mode))
        return {Status::io_error, "not a regular file (devices, FIFOs and directories are not read)"};
    size = static_cast<std::uint64_t>(st.st_size);
    return {};
}

Error file_too_big(std::uint64_t size, std::size_t max_bytes) {
    return {Status::limit_bytes,
            "file is " + std::to_string(size) + " bytes, above the limit of " + std::to_string(max_bytes) + " bytes"};
}

}  // namespace detail

Error read_file(const std::string& path, std::vector<std::uint8_t>& out, std::size_t max_bytes) noexcept {
    Error e = detail::guard([&] { return detail::read_regular_file(path, out, max_bytes); });
    if (e) out.clear();
    return e;
}

}  // namespace hashguard
