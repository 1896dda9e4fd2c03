// NCMEC hash-sharing XML v2, read in one pass by a small pull parser of our
// own: elements, attributes, character data, the five predefined entities and
// character references, CDATA, comments and processing instructions. A DOCTYPE
// (and so any entity definition: no expansion attacks) is refused. Namespace
// prefixes are dropped (NCMEC's default namespace has none). Nothing but the
// open-element stack and the current entry is kept, so memory does not grow
// with the file.
//
// queryResult -> images / videos (attribute maxTimestamp) -> image / video
// entries and deletedImage / deletedVideo tombstones; paging/next. An entry:
// member (attribute id, text name), id, timestamp, classification,
// fingerprints (md5 sha1 pdq: matched; pdna netclean videntifier tmk_pdqf
// ssvh_pdna ssvh_safer_hash: counted as unsupported).
#include <algorithm>
#include <cstring>
#include <vector>

#include "import/feed.hpp"

namespace hashguard::feeds {

namespace {

constexpr std::size_t kMaxDepth = 64;

class Xml {
public:
    struct Attr {
        std::string_view name;
        std::string value;
    };

    Xml(std::string_view s, const std::string& name, std::size_t max_text) : s_(s), name_(name), max_text_(max_text) {}

    std::size_t line() const { return line_; }
    std::size_t depth() const { return stack_.size(); }
    std::string_view parent(std::size_t up = 1) const {
        return stack_.size() > up ? stack_[stack_.size() - 1 - up] : std::string_view();
    }

    // Runs the parse, calling h.start(name, attrs), h.text(chunk), h.end(name).
    template <class H>
    Error run(H& h) {
        if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
        bool root_seen = false;
        while (pos_ < s_.size()) {
            if (s_[pos_] != '<') {
                if (Error e = text(h, root_seen)) return e;
                continue;
            }
            if (Error e = markup(h, root_seen)) return e;
            if (h.failed()) return {};
        }
        if (!stack_.empty()) return fail("the file ends inside <" + std::string(stack_.back()) + ">");
        if (!root_seen) return fail("no root element");
        return {};
    }

private:
    Error fail(const std::string& why) const {
        return {Status::list_format, name_ + ":" + std::to_string(line_) + ": " + why};
    }

    void advance_to(std::size_t p) {
        line_ += static_cast<std::size_t>(std::count(s_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                                     s_.begin() + static_cast<std::ptrdiff_t>(p), '\n'));
        pos_ = p;
    }

    bool starts(std::string_view with) const { return s_.substr(pos_, with.size()) == with; }

    Error skip_past(std::string_view end, const char* what) {
        const std::size_t p = s_.find(end, pos_);
        if (p == std::string_view::npos) return fail(std::string("unterminated ") + what);
        advance_to(p + end.size());
        return {};
    }

    // Decodes the entities of `raw` onto `out`.
    Error decode(std::string_view raw, std::string& out) const {
        for (std::size_t i = 0; i < raw.size();) {
            const std::size_t amp = raw.find('&', i);
            out.append(raw.substr(i, amp == std::string_view::npos ? std::string_view::npos : amp - i));
            if (amp == std::string_view::npos) break;
            const std::size_t semi = raw.find(';', amp);
            if (semi == std::string_view::npos || semi - amp > 10) return fail("bad entity reference");
            if (!entity(raw.substr(amp + 1, semi - amp - 1), out)) return fail("unknown entity reference");
            i = semi + 1;
        }
        return {};
    }

    static bool entity(std::string_view e, std::string& out) {
        static const std::pair<const char*, char> kNamed[] = {
            {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
        for (const auto& [n, c] : kNamed)
            if (e == n) return out.push_back(c), true;
        if (e.size() < 2 || e[0] != '#') return false;
        const bool hex = e[1] == 'x';
        unsigned long cp = 0;
        for (char c : e.substr(hex ? 2 : 1)) {
            const int d = (c >= '0' && c <= '9') ? c - '0'
                          : hex && (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
            if (d < 0) return false;
            cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(d);
            if (cp > 0x10FFFF) return false;
        }
        if (cp == 0 || e.size() == (hex ? 2u : 1u)) return false;
        append_utf8(cp, out);
        return true;
    }

    static void append_utf8(unsigned long cp, std::string& out) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    template <class H>
    Error text(H& h, bool root_seen) {
        std::size_t p = s_.find('<', pos_);
        if (p == std::string_view::npos) p = s_.size();
        const std::string_view raw = s_.substr(pos_, p - pos_);
        if (raw.size() > max_text_) return fail("text longer than max_record_bytes");
        if (stack_.empty()) {
            if (raw.find_first_not_of(" \t\r\n") != std::string_view::npos)
                return fail(root_seen ? "text after the root element" : "text before the root element");
        } else {
            buf_.clear();
            if (Error e = decode(raw, buf_)) return e;
            h.text(buf_);
        }
        advance_to(p);
        return {};
    }

    template <class H>
    Error markup(H& h, bool& root_seen) {
        if (starts("<?")) return skip_past("?>", "processing instruction");
        if (starts("<!--")) return skip_past("-->", "comment");
        if (starts("<![CDATA[")) {
            if (stack_.empty()) return fail("CDATA outside the root element");
            const std::size_t p = s_.find("]]>", pos_ + 9);
            if (p == std::string_view::npos) return fail("unterminated CDATA section");
            h.text(s_.substr(pos_ + 9, p - pos_ - 9));
            advance_to(p + 3);
            return {};
        }
        if (starts("<!")) return fail("DOCTYPE and other declarations are not accepted");
        if (starts("</")) return close(h);
        if (stack_.empty() && root_seen) return fail("a second root element");
        root_seen = true;
        return open(h);
    }

    static bool name_char(char c) {
        return c == ':' || c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') ||
               static_cast<unsigned char>(c) >= 0x80;
    }

    std::string_view read_name() {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && name_char(s_[pos_])) ++pos_;
        return s_.substr(start, pos_ - start);
    }

    static std::string_view local(std::string_view n) {
        const std::size_t c = n.rfind(':');
        return c == std::string_view::npos ? n : n.substr(c + 1);
    }

    void skip_space() {
        std::size_t p = pos_;
        while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t' || s_[p] == '\r' || s_[p] == '\n')) ++p;
        advance_to(p);
    }

    template <class H>
    Error close(H& h) {
        pos_ += 2;
        const std::string_view n = read_name();
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] != '>') return fail("malformed end tag");
        ++pos_;
        if (stack_.empty() || stack_.back() != local(n)) {
            std::string why = "end tag '";
            why.append(n);
            why += "' does not close ";
            if (stack_.empty()) why += "anything";
            else why.append("<").append(stack_.back()).append(">");
            return fail(why);
        }
        h.end(stack_.back());
        stack_.pop_back();
        return {};
    }

    Error read_attr() {
        const std::string_view n = read_name();
        if (n.empty()) return fail("malformed attribute");
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] != '=') return fail("attribute without a value");
        ++pos_;
        skip_space();
        if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) return fail("unquoted attribute value");
        const std::size_t end = s_.find(s_[pos_], pos_ + 1);
        if (end == std::string_view::npos) return fail("unterminated attribute value");
        const std::string_view raw = s_.substr(pos_ + 1, end - pos_ - 1);
        if (raw.find('<') != std::string_view::npos) return fail("'<' in an attribute value");
        Attr a{local(n), {}};
        if (Error e = decode(raw, a.value)) return e;
        advance_to(end + 1);
        attrs_.push_back(std::move(a));
        return {};
    }

    template <class H>
    Error open(H& h) {
        ++pos_;
        const std::string_view n = read_name();
        if (n.empty()) return fail("malformed start tag");
        attrs_.clear();
        for (;;) {
            const std::size_t before = pos_;
            skip_space();
            if (pos_ >= s_.size()) return fail("unterminated start tag <" + std::string(n) + ">");
            if (s_[pos_] == '>' || starts("/>")) break;
            if (pos_ == before) return fail("malformed start tag <" + std::string(n) + ">");
            if (attrs_.size() >= 64) return fail("more than 64 attributes in a tag");
            if (Error e = read_attr()) return e;
        }
        if (stack_.size() >= kMaxDepth) return fail("elements nested deeper than 64");
        stack_.push_back(local(n));
        h.start(stack_.back(), attrs_);
        if (starts("/>")) {
            pos_ += 2;
            h.end(stack_.back());
            stack_.pop_back();
        } else {
            ++pos_;
        }
        return {};
    }

    std::string_view s_;
    const std::string& name_;
    std::size_t max_text_, pos_ = 0, line_ = 1;
    std::vector<std::string_view> stack_;
    std::vector<Attr> attrs_;
    std::string buf_;
};

// Turns the element events into records.
struct NcmecHandler {
    Xml& xml;
    Reader& r;
    Error error;
    std::size_t entry_depth = 0;  // depth of the entry element being read (0: none)
    FeedRecord rec;
    std::vector<std::pair<std::string, std::string>> prints;  // fingerprint kind, value
    std::string text, member_id, max_timestamp;

    void start(std::string_view name, const std::vector<Xml::Attr>& attrs) {
        text.clear();
        if (error) return;
        const std::size_t d = xml.depth();
        if (entry_depth == 0 && (xml.parent() == "images" || xml.parent() == "videos")) {
            begin_entry(name, d);
        } else if (entry_depth && d == entry_depth + 1 && name == "member") {
            for (const auto& a : attrs)
                if (a.name == "id") member_id = a.value;
        } else if (name == "images" || name == "videos") {
            for (const auto& a : attrs)
                if (a.name == "maxTimestamp" && a.value > max_timestamp) max_timestamp = a.value;
        }
    }

    void begin_entry(std::string_view name, std::size_t d) {
        const bool image = name == "image" || name == "deletedImage";
        if (!image && name != "video" && name != "deletedVideo") return;
        entry_depth = d;
        rec = FeedRecord{};
        rec.line = xml.line();
        rec.media = image ? "image" : "video";
        rec.tombstone = name.substr(0, 7) == "deleted";
        prints.clear();
        member_id.clear();
    }

    // Text is kept only inside an entry and in paging/next, up to max_record_bytes.
    void text_chunk(std::string_view t) {
        if (error || !(entry_depth || xml.parent(0) == "next")) return;
        if (text.size() + t.size() > r.options().max_record_bytes)
            error = {Status::list_format, r.where(xml.line()) + ": text longer than max_record_bytes"};
        else text.append(t);
    }

    void end(std::string_view name) {
        if (error) return;
        const std::size_t d = xml.depth();
        if (entry_depth && d == entry_depth) {
            entry_depth = 0;
            error = finish_entry();
        } else if (entry_depth && d == entry_depth + 1) {
            entry_field(name);
        } else if (entry_depth && d == entry_depth + 2 && xml.parent() == "fingerprints") {
            prints.emplace_back(std::string(name), std::string(trim(text)));
        } else if (name == "next" && xml.parent() == "paging") {
            r.report().next_page = std::string(trim(text));
            r.report().more = !r.report().next_page.empty();
        }
        text.clear();
    }

    void entry_field(std::string_view name) {
        const std::string value(trim(text));
        if (name == "id") rec.id = value;
        else if (name == "member") rec.labels.emplace_back("member", member_id + (value.empty() ? "" : ":" + value));
        else if (name == "timestamp" || name == "classification") rec.labels.emplace_back(std::string(name), value);
    }

    Error finish_entry() {
        r.counted();
        if (rec.id.empty()) return r.bad(rec.line, "an NCMEC entry without an <id>");
        if (!member_id.empty()) rec.id = member_id + "-" + rec.id;  // ids are unique per member (HMA's key too)
        if (prints.size() > 64) return r.bad(rec.line, "an NCMEC entry with more than 64 fingerprints");
        if (rec.tombstone) return r.emit(rec);
        for (auto& [kind, value] : prints) {
            const KindName k = kind_from_name(kind);
            if (!k.known || k.kind == HashKind::vpdq) {
                r.unsupported(kind);
                continue;
            }
            rec.kind = k.kind;  // one record per fingerprint, the entry's provenance shared
            rec.hash = std::move(value);
            if (Error e = r.emit(rec)) return e;
        }
        return {};
    }
};

// Xml calls text(); the handler's name for it avoids clashing with its member.
struct Events {
    NcmecHandler& h;
    void start(std::string_view n, const std::vector<Xml::Attr>& a) { h.start(n, a); }
    void text(std::string_view t) { h.text_chunk(t); }
    void end(std::string_view n) { h.end(n); }
    bool failed() const { return bool(h.error); }
};

}  // namespace

Error read_ncmec_xml(std::string_view text, Reader& r) {
    Xml xml(text, r.name(), r.options().max_record_bytes);
    NcmecHandler h{xml, r, {}, 0, {}, {}, {}, {}, {}};
    Events ev{h};
    Error e = xml.run(ev);
    if (h.error) return h.error;
    if (e) return e;
    if (r.report().checkpoint.empty()) r.report().checkpoint = h.max_timestamp;
    return {};
}

}  // namespace hashguard::feeds
