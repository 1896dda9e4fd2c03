// The JSON writer and reader (include/hashguard/json.hpp).
#include "hashguard/json.hpp"

#include <charconv>
#include <cmath>
#include <unordered_set>

#include "common/errors.hpp"
#include "common/utf8.hpp"

namespace hashguard::json {

namespace {

void append_escaped_ascii(std::string& out, unsigned char c) {
    switch (c) {
        case '"': out += "\\\""; return;
        case '\\': out += "\\\\"; return;
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        case '\t': out += "\\t"; return;
        default: break;
    }
    if (c >= 0x20 && c != 0x7f) {
        out += static_cast<char>(c);
        return;
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    out += "\\u00";
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            append_escaped_ascii(out, c);
            ++i;
            continue;
        }
        const std::size_t n = detail::utf8_sequence(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    out += '"';
}

// ------------------------------------------------------------------ Writer

void Writer::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!has_items_.empty()) {
        if (has_items_.back()) out_ += ',';
        has_items_.back() = true;
    }
}

Writer& Writer::begin_object() {
    separate();
    out_ += '{';
    has_items_.push_back(false);
    return *this;
}

Writer& Writer::end_object() {
    out_ += '}';
    if (!has_items_.empty()) has_items_.pop_back();
    return *this;
}

Writer& Writer::begin_array() {
    separate();
    out_ += '[';
    has_items_.push_back(false);
    return *this;
}

Writer& Writer::end_array() {
    out_ += ']';
    if (!has_items_.empty()) has_items_.pop_back();
    return *this;
}

Writer& Writer::key(std::string_view k) {
    separate();
    append_string(out_, k);
    out_ += ':';
    after_key_ = true;
    return *this;
}

Writer& Writer::value(std::string_view s) {
    separate();
    append_string(out_, s);
    return *this;
}

Writer& Writer::value(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
}

Writer& Writer::value(long long v) {
    separate();
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    return *this;
}

Writer& Writer::value(unsigned long long v) {
    separate();
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    return *this;
}

Writer& Writer::value(double v, int decimals) {
    if (!std::isfinite(v)) return null();  // JSON has no NaN or infinity
    separate();
    char buf[400];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    if (r.ec != std::errc()) out_ += '0';
    else out_.append(buf, r.ptr);
    return *this;
}

Writer& Writer::null() {
    separate();
    out_ += "null";
    return *this;
}

Writer& Writer::members_of(std::string_view object_json) {
    const std::size_t open = object_json.find('{'), close = object_json.rfind('}');
    if (open == std::string_view::npos || close == std::string_view::npos || close <= open) return *this;
    const std::string_view inner = object_json.substr(open + 1, close - open - 1);
    if (inner.find_first_not_of(" \t\r\n") == std::string_view::npos) return *this;
    separate();
    out_.append(inner);
    return *this;
}

// ------------------------------------------------------------------ Value

const Value* Value::get(std::string_view key) const noexcept {
    if (type != Type::object) return nullptr;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == key) return &members[i];
    return nullptr;
}

const std::string* Value::get_string(std::string_view key) const noexcept {
    const Value* v = get(key);
    return v && v->type == Type::string ? &v->string : nullptr;
}

const char* Value::type_name() const noexcept {
    switch (type) {
        case Type::null: return "null";
        case Type::boolean: return "a boolean";
        case Type::number: return "a number";
        case Type::string: return "a string";
        case Type::array: return "an array";
        case Type::object: return "an object";
    }
    return "?";
}

// ------------------------------------------------------------------ parser

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

struct Parser {
    Parser(std::string_view text, const std::string& src, int depth) : s(text), source(src), max_depth(depth) {}
    std::string_view s;
    const std::string& source;
    int max_depth;
    std::size_t i = 0;
    int line = 1;
    Error err;

    bool fail(const std::string& why) {
        if (err.ok()) err = {Status::list_format, source + ":" + std::to_string(line) + ": " + why};
        return false;
    }

    bool at(char c) const { return i < s.size() && s[i] == c; }

    void skip_ws() {
        for (; i < s.size(); ++i) {
            const char c = s[i];
            if (c == '\n') ++line;
            else if (c != ' ' && c != '\t' && c != '\r') break;
        }
    }

    bool literal(std::string_view word) {
        if (s.substr(i, word.size()) != word) return fail("invalid token");
        i += word.size();
        return true;
    }

    bool hex4(unsigned& v) {
        if (i + 4 > s.size()) return fail("truncated \\u escape");
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s[i++];
            const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) return fail("bad \\u escape");
            v = (v << 4) | static_cast<unsigned>(d);
        }
        return true;
    }

    bool unicode_escape(std::string& out) {
        unsigned cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00 && s.substr(i, 2) == "\\u") {
            i += 2;
            unsigned lo = 0;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo >= 0xE000) return fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xD800 && cp < 0xE000) {
            cp = 0xFFFD;  // a lone surrogate
        }
        put_utf8(out, cp);
        return true;
    }

    bool escape(std::string& out) {
        if (i >= s.size()) return fail("unterminated string");
        switch (s[i++]) {
            case '"': out += '"'; return true;
            case '\\': out += '\\'; return true;
            case '/': out += '/'; return true;
            case 'b': out += '\b'; return true;
            case 'f': out += '\f'; return true;
            case 'n': out += '\n'; return true;
            case 'r': out += '\r'; return true;
            case 't': out += '\t'; return true;
            case 'u': return unicode_escape(out);
            default: return fail("bad escape in string");
        }
    }

    bool string(std::string& out) {
        ++i;  // opening quote
        while (true) {
            if (i >= s.size()) return fail("unterminated string");
            const char c = s[i++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
            if (c != '\\') out += c;
            else if (!escape(out)) return false;
        }
    }

    // The JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(Value& v) {
        const std::size_t start = i;
        if (at('-')) ++i;
        if (at('0')) ++i;
        else if (i < s.size() && is_digit(s[i])) while (i < s.size() && is_digit(s[i])) ++i;
        else return fail("bad number");
        bool integral = true;
        if (at('.')) {
            integral = false;
            if (++i >= s.size() || !is_digit(s[i])) return fail("bad number: no digit after '.'");
            while (i < s.size() && is_digit(s[i])) ++i;
        }
        if (at('e') || at('E')) {
            integral = false;
            ++i;
            if (at('+') || at('-')) ++i;
            if (i >= s.size() || !is_digit(s[i])) return fail("bad number: no digit in the exponent");
            while (i < s.size() && is_digit(s[i])) ++i;
        }
        const char* b = s.data() + start;
        const char* e = s.data() + i;
        if (std::from_chars(b, e, v.number).ec != std::errc() || !std::isfinite(v.number))
            return fail("number out of range '" + std::string(b, e) + "'");
        v.type = Value::Type::number;
        v.integral = integral && std::from_chars(b, e, v.integer).ec == std::errc();
        return true;
    }

    // A repeated key: a linear look for small objects, a hash set of copies past
    // 16 keys (an object of 10^6 keys must not cost 10^12 comparisons). Records
    // `key` as seen.
    static bool duplicate(const Value& v, const std::string& key, std::unordered_set<std::string>& seen) {
        if (v.keys.size() < 16) {
            for (const auto& k : v.keys)
                if (k == key) return true;
            return false;
        }
        if (seen.empty()) seen.insert(v.keys.begin(), v.keys.end());
        return !seen.insert(key).second;
    }

    bool object(Value& v, int depth) {
        std::unordered_set<std::string> seen;
        v.type = Value::Type::object;
        ++i;
        skip_ws();
        if (at('}')) return ++i, true;
        while (true) {
            skip_ws();
            if (!at('"')) return fail("expected a quoted key");
            std::string key;
            if (!string(key)) return false;
            if (duplicate(v, key, seen)) return fail("duplicate key \"" + key + "\"");
            skip_ws();
            if (!at(':')) return fail("expected ':' after key \"" + key + "\"");
            ++i;
            Value member;
            if (!value(member, depth + 1)) return false;
            v.keys.push_back(std::move(key));
            v.members.push_back(std::move(member));
            skip_ws();
            if (at(',')) ++i;
            else if (at('}')) return ++i, true;
            else return fail("expected ',' or '}' in object");
        }
    }

    bool array(Value& v, int depth) {
        v.type = Value::Type::array;
        ++i;
        skip_ws();
        if (at(']')) return ++i, true;
        while (true) {
            Value item;
            if (!value(item, depth + 1)) return false;
            v.array.push_back(std::move(item));
            skip_ws();
            if (at(',')) ++i;
            else if (at(']')) return ++i, true;
            else return fail("expected ',' or ']' in array");
        }
    }

    bool value(Value& v, int depth) {
        if (depth > max_depth) return fail("nested too deeply");
        skip_ws();
        v.line = line;
        if (i >= s.size()) return fail("unexpected end of input");
        switch (s[i]) {
            case '{': return object(v, depth);
            case '[': return array(v, depth);
            case '"': v.type = Value::Type::string; return string(v.string);
            case 't': v.type = Value::Type::boolean; v.boolean = true; return literal("true");
            case 'f': v.type = Value::Type::boolean; return literal("false");
            case 'n': return literal("null");
            default: break;
        }
        if (s[i] == '-' || is_digit(s[i])) return number(v);
        return fail(std::string("unexpected character '") + s[i] + "'");
    }
};

}  // namespace

Error parse(std::string_view text, const std::string& source, Value& out, int max_depth) noexcept {
    return detail::guard([&]() -> Error {
        Parser p(text, source, max_depth);
        out = Value{};
        if (p.value(out, 0)) {
            p.skip_ws();
            if (p.i == text.size()) return {};
            p.fail("unexpected text after the JSON value");
        }
        out = Value{};
        return p.err;
    });
}

}  // namespace hashguard::json
