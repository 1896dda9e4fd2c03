// CSV fields (include/hashguard/csv.hpp): the one reader and writer.
#include "hashguard/csv.hpp"

namespace hashguard::csv {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

bool split(std::string_view line, std::vector<std::string>& fields) {
    fields.clear();
    std::string cur;
    bool quoted = false, was_quoted = false;
    auto finish = [&] {
        fields.push_back(was_quoted ? cur : std::string(trim(cur)));
        cur.clear();
        was_quoted = false;
    };
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c != '"') cur += c;
            else if (i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
            else quoted = false;
        } else if (c == '"' && trim(cur).empty()) {
            quoted = was_quoted = true;
            cur.clear();
        } else if (c == ',') {
            finish();
        } else if (!(was_quoted && (c == ' ' || c == '\t' || c == '\r'))) {  // blanks after a closing quote
            cur += c;
        }
    }
    if (quoted) return false;
    finish();
    return true;
}

void append_field(std::string& out, std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
        out.append(s);
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

}  // namespace hashguard::csv
