// hashguard — the JSON the library writes and reads (scan results, the lists
// config, `hashguard scan` output and its resume), as a small public API so
// tools built on hashguard emit and read the same JSON.
//
// Writing: strings are escaped, invalid UTF-8 becomes U+FFFD, numbers are
// written locale-independently (std::to_chars). Reading: strict RFC 8259 (no
// comments, no trailing commas, numbers by the JSON grammar, duplicate keys
// refused), locale-independent, nesting limited so a hostile file cannot
// exhaust the stack; errors name source:line.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/status.hpp"

namespace hashguard::json {

/// Appends `s` as a quoted JSON string.
HASHGUARD_API void append_string(std::string& out, std::string_view s);

/// Builds one JSON text into a string, inserting the commas.
///
///     std::string s;
///     json::Writer w(s);
///     w.begin_object().field("path", p).field("size", n).key("matches").begin_array() ... ;
class HASHGUARD_API Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    Writer& begin_object();
    Writer& end_object();
    Writer& begin_array();
    Writer& end_array();
    /// An object member's key; the next value call writes its value.
    Writer& key(std::string_view k);

    Writer& value(std::string_view s);
    Writer& value(const char* s) { return value(std::string_view(s)); }
    Writer& value(const std::string& s) { return value(std::string_view(s)); }
    Writer& value(bool b);
    Writer& value(int v) { return value(static_cast<long long>(v)); }
    Writer& value(long v) { return value(static_cast<long long>(v)); }
    Writer& value(long long v);
    Writer& value(unsigned v) { return value(static_cast<unsigned long long>(v)); }
    Writer& value(unsigned long v) { return value(static_cast<unsigned long long>(v)); }
    Writer& value(unsigned long long v);
    /// A number with `decimals` digits after the point (fixed notation).
    Writer& value(double v, int decimals);
    Writer& null();
    /// Copies the members of `object_json` (a JSON object's text, "{...}") into
    /// the object being written, e.g. to put a field in front of a result's own.
    Writer& members_of(std::string_view object_json);

    template <class T>
    Writer& field(std::string_view k, const T& v) {
        key(k);
        return value(v);
    }
    Writer& field(std::string_view k, double v, int decimals) {
        key(k);
        return value(v, decimals);
    }

private:
    void separate();
    std::string& out_;
    std::vector<bool> has_items_;  // per open container: something written already
    bool after_key_ = false;
};

/// A parsed JSON value.
struct HASHGUARD_API Value {
    enum class Type { null, boolean, number, string, array, object };
    Type type = Type::null;
    bool boolean = false;
    double number = 0;
    /// Numbers written without fraction or exponent that fit a long long.
    bool integral = false;
    long long integer = 0;
    std::string string;
    std::vector<Value> array;
    /// Object members in order: keys[i] names members[i].
    std::vector<std::string> keys;
    std::vector<Value> members;
    int line = 0;  ///< where the value starts (1-based)

    /// Member `key` of an object, or nullptr.
    const Value* get(std::string_view key) const noexcept;
    /// Member `key` when it is a string, else nullptr.
    const std::string* get_string(std::string_view key) const noexcept;
    /// "null", "a boolean", "a number", ...
    const char* type_name() const noexcept;
};

/// Parses one JSON text (surrounding whitespace allowed, nothing else).
/// On failure: Status::list_format, "source:line: reason".
HASHGUARD_API Error parse(std::string_view text, const std::string& source, Value& out, int max_depth = 64) noexcept;

}  // namespace hashguard::json
