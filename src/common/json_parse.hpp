// A small JSON reader for configuration files and for reading back our own
// JSON Lines output (resume). Errors name source:line. Nesting is limited so a
// hostile file cannot exhaust the stack.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hashguard/status.hpp"

namespace hashguard::detail {

struct JsonValue {
    enum class Type { null, boolean, number, string, array, object };
    Type type = Type::null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<JsonValue> array;
    /// Object members in order: keys[i] names members[i] (two vectors: a
    /// vector of pair<string, JsonValue> would need JsonValue complete here).
    std::vector<std::string> keys;
    std::vector<JsonValue> members;
    int line = 0;  ///< where the value starts (1-based)

    /// Member `key` of an object, or nullptr.
    const JsonValue* get(std::string_view key) const noexcept;
    const char* type_name() const noexcept;
};

/// Parses one JSON document (trailing whitespace allowed, nothing else).
/// On failure: Status::list_format with "source:line: reason".
Error parse_json(std::string_view text, const std::string& source, JsonValue& out, int max_depth = 64);

}  // namespace hashguard::detail
