#include "sync_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hashguard::store {

namespace {

Error sys_error(const std::string& what, const std::string& path) {
    return {Status::io_error, what + " " + path + ": " + std::strerror(errno)};
}

}  // namespace

Error write_file_atomic(const std::string& path, std::string_view content) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return sys_error("cannot create", tmp);
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            Error e = sys_error("cannot write", tmp);
            ::close(fd);
            return e;
        }
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd) != 0) {
        Error e = sys_error("cannot flush", tmp);
        ::close(fd);
        return e;
    }
    if (::close(fd) != 0) return sys_error("cannot close", tmp);
    return rename_path(tmp, path);
}

Error make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return sys_error("cannot create directory", path);
    return {};
}

Error fsync_dir(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_error("cannot open directory", path);
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return sys_error("cannot flush directory", path);
    return {};
}

Error rename_path(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) return sys_error("cannot rename " + from + " to", to);
    return {};
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

Error list_dir(const std::string& dir, std::vector<std::string>& names) {
    names.clear();
    DIR* d = ::opendir(dir.c_str());
    if (!d) return sys_error("cannot read directory", dir);
    while (const dirent* ent = ::readdir(d)) {
        const std::string n = ent->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    return {};
}

Error remove_tree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? Error{} : sys_error("cannot stat", path);
    if (S_ISDIR(st.st_mode)) {
        std::vector<std::string> names;
        if (Error e = list_dir(path, names)) return e;
        for (const auto& n : names)
            if (Error e = remove_tree(path + "/" + n)) return e;
        if (::rmdir(path.c_str()) != 0) return sys_error("cannot remove", path);
    } else if (::unlink(path.c_str()) != 0) {
        return sys_error("cannot remove", path);
    }
    return {};
}

Error read_small_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {Status::io_error, "cannot open " + path};
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return {};
}

}  // namespace hashguard::store
