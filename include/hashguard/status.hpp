// hashguard — status codes and the error value every fallible call returns.
#pragma once
#include <string>

#include "hashguard/config.hpp"

namespace hashguard {

/// Status codes. Values are explicit and never renumbered: the C API exposes
/// the same numbers.
enum class Status : int {
    ok = 0,
    invalid_argument = 1,    ///< a caller error (null pointer, bad option value)
    unsupported_format = 2,  ///< magic bytes name no format we decode
    decode_failed = 3,       ///< corrupt or truncated data
    limit_bytes = 4,         ///< input larger than DecodeOptions::max_input_bytes
    limit_pixels = 5,        ///< declared width*height above DecodeOptions::max_pixels
    limit_dimension = 6,     ///< a side above DecodeOptions::max_dimension
    limit_frames = 7,        ///< requested frame beyond the file or DecodeOptions::max_frames
    io_error = 8,            ///< a file could not be read
    out_of_memory = 9,       ///< an allocation failed
    internal = 10,           ///< a bug: please report
    limit_scans = 11,        ///< progressive JPEG with more scans than allowed
    list_format = 12,        ///< a hash list line is malformed (message: file:line: reason)
    limit_memory = 13,       ///< decoding would need more than DecodeOptions::max_memory_bytes
    limit_time = 14,         ///< decoding ran past DecodeOptions::max_decode_ms
    module_unavailable = 15, ///< the format's decoder module (HEIC/AVIF: hashguard-heif.so) could not be loaded
    limit_duration = 16,     ///< a video longer than VideoOptions::max_duration_s (declared or reached)
};
/// The highest Status value (for range checks).
inline constexpr Status kLastStatus = Status::limit_duration;

/// Static, never-null description of a status ("ok", "decode failed", ...).
HASHGUARD_API const char* status_str(Status s) noexcept;
/// Short identifier of a status ("decode_failed"), as the C API's hg_status_name.
HASHGUARD_API const char* status_name(Status s) noexcept;

/// The result of a fallible call: a status and a message naming the cause.
/// Converts to true when it holds an error. [[nodiscard]]: a dropped Error is
/// a compiler warning, so no failure is silently turned into success.
struct [[nodiscard]] Error {
    Status code = Status::ok;
    std::string message;

    Error() = default;
    Error(Status c, std::string msg) : code(c), message(std::move(msg)) {}

    bool ok() const noexcept { return code == Status::ok; }
    explicit operator bool() const noexcept { return code != Status::ok; }
};

}  // namespace hashguard
