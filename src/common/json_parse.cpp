#include "common/json_parse.hpp"

#include <cstdlib>

namespace hashguard::detail {

const JsonValue* JsonValue::get(std::string_view key) const noexcept {
    if (type != Type::object) return nullptr;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == key) return &members[i];
    return nullptr;
}

const char* JsonValue::type_name() const noexcept {
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

namespace {

struct Parser {
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

    void skip_ws() {
        while (i < s.size()) {
            const char c = s[i];
            if (c == '\n') ++line;
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
            ++i;
        }
    }

    bool literal(std::string_view word) {
        if (s.substr(i, word.size()) != word) return fail("invalid token");
        i += word.size();
        return true;
    }

    static void put_utf8(std::string& out, unsigned cp) {
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

    bool hex4(unsigned& v) {
        if (i + 4 > s.size()) return fail("truncated \\u escape");
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s[i++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
            else return fail("bad \\u escape");
        }
        return true;
    }

    bool string(std::string& out) {
        ++i;  // opening quote
        while (true) {
            if (i >= s.size()) return fail("unterminated string");
            const char c = s[i++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i >= s.size()) return fail("unterminated string");
            const char e = s[i++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xD800 && cp < 0xDC00 && s.substr(i, 2) == "\\u") {
                        i += 2;
                        unsigned lo = 0;
                        if (!hex4(lo)) return false;
                        if (lo < 0xDC00 || lo >= 0xE000) return fail("bad surrogate pair");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xD800 && cp < 0xE000) {
                        cp = 0xFFFD;
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: return fail("bad escape in string");
            }
        }
    }

    bool number(JsonValue& v) {
        const std::size_t start = i;
        if (i < s.size() && s[i] == '-') ++i;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                                s[i] == '+' || s[i] == '-'))
            ++i;
        const std::string text(s.substr(start, i - start));
        char* end = nullptr;
        v.number = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return fail("bad number '" + text + "'");
        v.type = JsonValue::Type::number;
        return true;
    }

    bool value(JsonValue& v, int depth) {
        if (depth > max_depth) return fail("nested too deeply");
        skip_ws();
        v.line = line;
        if (i >= s.size()) return fail("unexpected end of input");
        const char c = s[i];
        if (c == '{') {
            v.type = JsonValue::Type::object;
            ++i;
            skip_ws();
            if (i < s.size() && s[i] == '}') {
                ++i;
                return true;
            }
            while (true) {
                skip_ws();
                if (i >= s.size() || s[i] != '"') return fail("expected a quoted key");
                std::string key;
                if (!string(key)) return false;
                skip_ws();
                if (i >= s.size() || s[i] != ':') return fail("expected ':' after key \"" + key + "\"");
                ++i;
                JsonValue member;
                if (!value(member, depth + 1)) return false;
                v.keys.push_back(std::move(key));
                v.members.push_back(std::move(member));
                skip_ws();
                if (i < s.size() && s[i] == ',') {
                    ++i;
                    continue;
                }
                if (i < s.size() && s[i] == '}') {
                    ++i;
                    return true;
                }
                return fail("expected ',' or '}' in object");
            }
        }
        if (c == '[') {
            v.type = JsonValue::Type::array;
            ++i;
            skip_ws();
            if (i < s.size() && s[i] == ']') {
                ++i;
                return true;
            }
            while (true) {
                JsonValue item;
                if (!value(item, depth + 1)) return false;
                v.array.push_back(std::move(item));
                skip_ws();
                if (i < s.size() && s[i] == ',') {
                    ++i;
                    continue;
                }
                if (i < s.size() && s[i] == ']') {
                    ++i;
                    return true;
                }
                return fail("expected ',' or ']' in array");
            }
        }
        if (c == '"') {
            v.type = JsonValue::Type::string;
            return string(v.string);
        }
        if (c == 't') {
            v.type = JsonValue::Type::boolean;
            v.boolean = true;
            return literal("true");
        }
        if (c == 'f') {
            v.type = JsonValue::Type::boolean;
            return literal("false");
        }
        if (c == 'n') return literal("null");
        if (c == '-' || (c >= '0' && c <= '9')) return number(v);
        return fail(std::string("unexpected character '") + c + "'");
    }
};

}  // namespace

Error parse_json(std::string_view text, const std::string& source, JsonValue& out, int max_depth) {
    Parser p{text, source, max_depth, 0, 1, {}};
    out = JsonValue{};
    if (!p.value(out, 0)) return p.err;
    p.skip_ws();
    if (p.i != text.size()) {
        p.fail("unexpected text after the JSON value");
        return p.err;
    }
    return {};
}

}  // namespace hashguard::detail
