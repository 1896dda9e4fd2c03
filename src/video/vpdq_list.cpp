// vPDQ lists (include/hashguard/video.hpp): HMA's JSON-array signal values,
// one video per line, or the reference's per-frame output as one video.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <new>
#include <string>

#include "hashguard/json.hpp"
#include "hashguard/video.hpp"

namespace hashguard {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool parse_int(std::string_view s, long long lo, long long hi, long long& v) {
    s = trim(s);
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && v >= lo && v <= hi;
}

// A finite, non-negative number ("18.733", or "1.23e+03" as Python prints 3
// significant digits of a long video's time); locale-independent.
bool parse_float(std::string_view s, float& v) {
    s = trim(s);
    if (s.empty() || s.size() > 40) return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v) && v >= 0;
}

// Where the JSON array starting at s[0] ends (the index of its ']'), skipping
// strings; npos when it does not end on the line.
std::size_t array_end(std::string_view s) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[') {
            ++depth;
        } else if (c == ']' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

std::vector<std::string_view> fields(std::string_view s) {
    std::vector<std::string_view> f;
    for (std::size_t at = 0;;) {
        const std::size_t comma = s.find(',', at);
        f.push_back(s.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
        if (comma == std::string_view::npos) return f;
        at = comma + 1;
    }
}

// "<hex>,<quality>,<timestamp>" (HMA) or "<frame>,<quality>,<hex>,<timestamp>" (reference).
const char* parse_frame(std::string_view s, bool with_number, VpdqFrame& f) {
    const auto v = fields(s);
    if (v.size() != (with_number ? 4u : 3u)) return with_number ? "expected frame,quality,hash,timestamp" : "expected \"hash,quality,timestamp\"";
    long long n = 0, q = 0;
    if (with_number && !parse_int(v[0], 0, (1ll << 53), n)) return "bad frame number";
    const std::size_t h = with_number ? 2 : 0, qi = 1, ti = with_number ? 3 : 2;
    if (!Hash256::from_hex(trim(v[h]), f.hash)) return "bad hash (64 hex digits expected)";
    if (!parse_int(v[qi], 0, 100, q)) return "bad quality (0..100 expected)";
    if (!parse_float(v[ti], f.timestamp)) return "bad timestamp";
    f.frame = static_cast<std::uint64_t>(n);
    f.quality = static_cast<int>(q);
    return nullptr;
}

Error line_error(const std::string& source, std::size_t line, const std::string& why) {
    return {Status::list_format, source + ":" + std::to_string(line) + ": " + why};
}

// One line of the JSON form: [vpdq ][<id>\t]<array>[ metadata].
Error json_line(std::string_view s, const std::string& source, std::size_t line, VpdqListVideo& v) {
    if (s.substr(0, 5) == "vpdq ") s = trim(s.substr(5));
    v.id = std::to_string(line);
    if (const std::size_t tab = s.find('\t'); tab != std::string_view::npos && s.find('[') > tab) {
        v.id = std::string(trim(s.substr(0, tab)));
        s = trim(s.substr(tab + 1));
    }
    if (s.empty() || s.front() != '[') return line_error(source, line, "expected a JSON array of \"hash,quality,timestamp\"");
    const std::size_t close = array_end(s);
    if (close == std::string_view::npos) return line_error(source, line, "unterminated JSON array");
    v.metadata = std::string(trim(s.substr(close + 1)));
    json::Value arr;
    if (Error e = json::parse(s.substr(0, close + 1), source, arr, 4))
        return line_error(source, line, "not a JSON array: " + e.message);
    if (arr.type != json::Value::Type::array) return line_error(source, line, "not a JSON array");
    for (std::size_t i = 0; i < arr.array.size(); ++i) {
        const json::Value& item = arr.array[i];
        if (item.type != json::Value::Type::string)
            return line_error(source, line, "frame " + std::to_string(i) + " is " + item.type_name() + ", not a string");
        VpdqFrame f;
        if (const char* why = parse_frame(item.string, false, f))
            return line_error(source, line, "frame " + std::to_string(i) + ": " + why);
        f.frame = i;
        v.frames.push_back(f);
    }
    if (v.frames.empty()) return line_error(source, line, "a video with no frames");
    return {};
}

}  // namespace

Error parse_vpdq_list(std::string_view text, const std::string& source, VpdqList& out) noexcept {
    try {
        out = VpdqList{};
        enum class Form { unknown, json, frames } form = Form::unknown;
        VpdqListVideo whole;  // the per-frame form: its id is the source's file name, no directory or extension
        whole.id = source.substr(source.find_last_of('/') + 1);
        if (const std::size_t dot = whole.id.find_last_of('.'); dot != std::string::npos && dot > 0) whole.id.resize(dot);
        std::size_t line = 0;
        for (std::size_t at = 0; at <= text.size();) {
            const std::size_t nl = text.find('\n', at);
            const std::string_view raw = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
            at = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
            ++line;
            const std::string_view s = trim(raw);
            if (s.empty() || s.front() == '#') continue;
            if (form == Form::unknown) {
                VpdqFrame probe;
                form = parse_frame(s, true, probe) == nullptr ? Form::frames : Form::json;
            }
            if (form == Form::frames) {
                VpdqFrame f;
                if (const char* why = parse_frame(s, true, f)) return line_error(source, line, why);
                whole.frames.push_back(f);
                continue;
            }
            VpdqListVideo v;
            if (Error e = json_line(s, source, line, v)) return e;
            out.videos.push_back(std::move(v));
        }
        if (form == Form::frames) out.videos.push_back(std::move(whole));
        if (out.videos.empty()) return {Status::list_format, source + ": no videos in the list"};
        return {};
    } catch (const std::bad_alloc&) {
        out = VpdqList{};
        return {Status::out_of_memory, {}};
    } catch (...) {
        out = VpdqList{};
        return {Status::internal, {}};
    }
}

void append_vpdq_list_line(std::string& out, std::string_view id, std::string_view array, std::string_view metadata) {
    if (!id.empty() && (id.front() == '#' || id.substr(0, 4) == "vpdq")) out += '_';
    const std::size_t start = out.size();
    out.append(id);
    for (std::size_t i = start; i < out.size(); ++i)
        if (out[i] == '\t' || out[i] == '\n' || out[i] == '\r' || out[i] == '[') out[i] = ' ';
    out.append("\t").append(array).append("\t").append(metadata) += '\n';
}

}  // namespace hashguard
