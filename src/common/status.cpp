#include "hashguard/config.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

const char* version() noexcept { return HASHGUARD_VERSION_STRING; }

const char* status_name(Status s) noexcept {
    static const char* const kNames[] = {"ok",          "invalid_argument", "unsupported_format", "decode_failed",
                                         "limit_bytes", "limit_pixels",     "limit_dimension",    "limit_frames",
                                         "io_error",    "out_of_memory",    "internal",           "limit_scans",
                                         "list_format", "limit_memory",     "limit_time",         "module_unavailable",
                                         "limit_duration"};
    static_assert(sizeof kNames / sizeof kNames[0] == static_cast<int>(kLastStatus) + 1);
    const int i = static_cast<int>(s);
    return i >= 0 && i <= static_cast<int>(kLastStatus) ? kNames[i] : "unknown";
}

const char* status_str(Status s) noexcept {
    switch (s) {
        case Status::ok: return "ok";
        case Status::invalid_argument: return "invalid argument";
        case Status::unsupported_format: return "unsupported format";
        case Status::decode_failed: return "decode failed";
        case Status::limit_bytes: return "input byte limit exceeded";
        case Status::limit_pixels: return "pixel limit exceeded";
        case Status::limit_dimension: return "dimension limit exceeded";
        case Status::limit_frames: return "frame limit exceeded";
        case Status::io_error: return "I/O error";
        case Status::out_of_memory: return "out of memory";
        case Status::internal: return "internal error";
        case Status::limit_scans: return "jpeg scan limit exceeded";
        case Status::list_format: return "malformed hash list";
        case Status::limit_memory: return "decode memory limit exceeded";
        case Status::limit_time: return "decode time limit exceeded";
        case Status::module_unavailable: return "decoder module unavailable";
        case Status::limit_duration: return "video duration limit exceeded";
    }
    return "unknown status";
}

}  // namespace hashguard
