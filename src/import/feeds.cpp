// The line and JSON feed readers: plain `type hash` text, ThreatExchange CSV
// and threat_updates JSON, StopNCII, Tech Against Terrorism, vPDQ JSON lines,
// and mapped CSV/JSON. Facts: ../shared/list-formats.md (summarised in each
// reader's comment).
#include <algorithm>
#include <vector>

#include "hashguard/csv.hpp"
#include "import/feed.hpp"

namespace hashguard::feeds {

namespace {

using Type = json::Value::Type;

// JSON pages are parsed whole into a DOM of ~150-byte values: a bound on the page.
constexpr std::size_t kMaxJsonPage = std::size_t{256} << 20;

const json::Value* member(const json::Value& obj, std::string_view key) {
    return obj.type == Type::object ? obj.get(key) : nullptr;
}

std::string member_text(const json::Value& obj, std::string_view key) {
    const json::Value* v = member(obj, key);
    return v ? label_text(*v) : std::string();
}

void add_label(FeedRecord& r, std::string key, std::string value) {
    if (!value.empty()) r.labels.emplace_back(std::move(key), std::move(value));
}

// Parses a JSON feed page; a syntax error is fatal whatever skip_bad_records
// says (nothing after it can be trusted to be what the feed meant).
Error parse_page(std::string_view text, Reader& r, json::Value& out) {
    if (text.size() > kMaxJsonPage)
        return {Status::limit_bytes, r.name() + ": a JSON feed page larger than 256 MiB (it is parsed whole); split it"};
    return json::parse(text, r.name(), out, 32);
}

// The array of records at `key` of the page (or the page itself when it is an
// array and key is empty).
Error records_of(const json::Value& page, std::string_view key, Reader& r, const std::vector<json::Value>*& out) {
    if (key.empty() && page.type == Type::array) {
        out = &page.array;
        return {};
    }
    const json::Value* v = member(page, key);
    if (!v || v->type != Type::array)
        return {Status::list_format, r.where(page.line) + ": expected " +
                                         (key.empty() ? std::string("an array of records")
                                                      : "an object with a \"" + std::string(key) + "\" array")};
    out = &v->array;
    return {};
}

// A boolean member (a tombstone flag): absent or null is false; any other
// type makes the record malformed (`bad`: skip it), never "not deleted".
Error flag(const json::Value& obj, std::string_view key, Reader& r, bool& out, bool& bad) {
    const json::Value* v = member(obj, key);
    out = v && v->type == Type::boolean && v->boolean;
    bad = v && v->type != Type::boolean && v->type != Type::null;
    if (!bad) return {};
    return r.bad(static_cast<std::size_t>(std::max(v->line, 1)), "\"" + std::string(key) + "\" is " + v->type_name() + ", not a boolean");
}

FeedRecord record_at(const json::Value& v) {
    FeedRecord rec;
    rec.line = static_cast<std::size_t>(std::max(v.line, 1));
    return rec;
}

Error not_object(const json::Value& v, Reader& r) { return r.bad(record_at(v).line, "a record is not a JSON object"); }

}  // namespace

// HMA's file form: "<signal_type> <hash>" per line, split on the first space;
// no comments or quoting; an empty type or hash is skipped. Ids: line numbers.
Error read_text(std::string_view text, Reader& r) {
    return for_each_line(text, [&](std::size_t n, std::string_view line) -> Error {
        if (line.size() > r.options().max_record_bytes) return r.bad(n, "line longer than max_record_bytes");
        const std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos) {
            if (trim(line).empty()) return {};
            r.counted();
            return r.bad(n, "expected \"<type> <hash>\"");
        }
        const std::string_view type = line.substr(0, sp), hash = trim(line.substr(sp + 1));
        if (type.empty() || hash.empty()) return {};
        r.counted();
        FeedRecord rec;
        rec.line = n;
        rec.id = r.line_id(n);
        rec.hash = std::string(hash);
        return r.emit_typed(rec, type);
    });
}

// ThreatExchange CSV export: header signal_type,signal_str,collab,category,tags
// (columns found by name); NEGATIVE_CLASS entries are known-benign: allow list.
Error read_te_csv(std::string_view text, Reader& r) {
    std::vector<std::string> header, fields;
    int col[5] = {-1, -1, -1, -1, -1};
    static const char* kCols[5] = {"signal_type", "signal_str", "collab", "category", "tags"};
    return for_each_line(text, [&](std::size_t n, std::string_view line) -> Error {
        if (trim(line).empty()) return {};
        if (line.size() > r.options().max_record_bytes) return r.bad(n, "line longer than max_record_bytes");
        if (header.empty()) {
            if (!csv::split(line, header)) return {Status::list_format, r.where(n) + ": unterminated quote in header"};
            for (std::size_t i = 0; i < header.size(); ++i)
                for (int c = 0; c < 5; ++c)
                    if (col[c] < 0 && iequals(trim(header[i]), kCols[c])) col[c] = static_cast<int>(i);
            if (col[0] < 0 || col[1] < 0)
                return {Status::list_format, r.where(n) + ": not a ThreatExchange CSV header (needs signal_type and signal_str)"};
            return {};
        }
        r.counted();
        if (!csv::split(line, fields)) return r.bad(n, "unterminated quote");
        if (fields.size() != header.size())
            return r.bad(n, "has " + std::to_string(fields.size()) + " fields, the header has " +
                                std::to_string(header.size()));
        FeedRecord rec;
        rec.line = n;
        rec.id = r.line_id(n);
        rec.hash = fields[static_cast<std::size_t>(col[1])];
        for (int c = 2; c < 5; ++c)
            if (col[c] >= 0) add_label(rec, kCols[c], fields[static_cast<std::size_t>(col[c])]);
        rec.allow = col[3] >= 0 && iequals(trim(fields[static_cast<std::size_t>(col[3])]), "NEGATIVE_CLASS");
        return r.emit_typed(rec, fields[static_cast<std::size_t>(col[0])]);
    });
}

namespace {

// One threat_updates record: id, indicator, type, creation_time, last_updated,
// should_delete, tags, status. HASH_MD5 with tag media_type_video is a video MD5.
Error te_record(const json::Value& v, Reader& r, std::string& max_updated) {
    if (v.type != Type::object) return not_object(v, r);
    FeedRecord rec = record_at(v);
    rec.id = member_text(v, "id");
    rec.hash = member_text(v, "indicator");
    const std::string tags = member_text(v, "tags"), status = member_text(v, "status");
    bool bad = false;
    if (Error e = flag(v, "should_delete", r, rec.tombstone, bad); e || bad) return e;
    rec.allow = iequals(status, "NON_MALICIOUS");
    if (tags.find("media_type_video") != std::string::npos) rec.media = "video";
    for (const char* k : {"creation_time", "last_updated", "status"}) add_label(rec, k, member_text(v, k));
    add_label(rec, "tags", tags);
    const std::string updated = member_text(v, "last_updated");
    if (updated > max_updated) max_updated = updated;
    return r.emit_typed(rec, member_text(v, "type"));
}

}  // namespace

// Graph API threat_updates: an array of records, or a page {"data": [...],
// "paging": {"next": URL}}. Checkpoint: the largest last_updated.
Error read_te_json(std::string_view text, Reader& r) {
    json::Value page;
    if (Error e = parse_page(text, r, page)) return e;
    const std::vector<json::Value>* recs = nullptr;
    if (Error e = records_of(page, page.type == Type::array ? "" : "data", r, recs)) return e;
    std::string max_updated;
    for (const json::Value& v : *recs) {
        r.counted();
        if (Error e = te_record(v, r, max_updated)) return e;
    }
    if (const json::Value* paging = member(page, "paging")) r.report().next_page = member_text(*paging, "next");
    r.report().more = !r.report().next_page.empty();
    r.report().checkpoint = max_updated;
    return {};
}

namespace {

// StopNCII: signalType ImagePDQ / VideoMD5 (VideoTMK, Text, URL: unsupported);
// hashStatus Withdrawn or Deleted is a tombstone (HMA tests hashValue there
// and so never drops them).
Error stopncii_record(const json::Value& v, Reader& r) {
    if (v.type != Type::object) return not_object(v, r);
    FeedRecord rec = record_at(v);
    rec.hash = member_text(v, "hashValue");
    const std::string status = member_text(v, "hashStatus");
    rec.tombstone = iequals(status, "Withdrawn") || iequals(status, "Deleted");
    std::string cases = member_text(v, "caseNumbers");
    rec.id = cases.substr(0, cases.find(' '));
    add_label(rec, "hashStatus", status);
    add_label(rec, "lastModtimestamp", member_text(v, "lastModtimestamp"));
    add_label(rec, "caseNumbers", std::move(cases));
    if (const json::Value* fb = member(v, "CSPFeedbacks"); fb && fb->type == Type::array) {
        std::string all;
        for (const json::Value& f : fb->array) {
            const std::string one = member_text(f, "source") + ":" + member_text(f, "feedbackValue");
            all += (all.empty() ? "" : " ") + one;
        }
        add_label(rec, "feedback", std::move(all));
    }
    const std::string type = member_text(v, "signalType");
    if (iequals(type, "ImagePDQ")) rec.media = "image";
    return r.emit_typed(rec, type);
}

}  // namespace

// StopNCII FetchHashes: {"hashRecords": [...], "nextSetTimestamp": checkpoint,
// "nextPageToken": ..., "hasMoreRecords": bool}.
Error read_stopncii(std::string_view text, Reader& r) {
    json::Value page;
    if (Error e = parse_page(text, r, page)) return e;
    const std::vector<json::Value>* recs = nullptr;
    if (Error e = records_of(page, "hashRecords", r, recs)) return e;
    for (const json::Value& v : *recs) {
        r.counted();
        if (Error e = stopncii_record(v, r)) return e;
    }
    r.report().checkpoint = member_text(page, "nextSetTimestamp");
    r.report().next_page = member_text(page, "nextPageToken");
    const json::Value* more = member(page, "hasMoreRecords");
    r.report().more = more && more->type == Type::boolean && more->boolean;
    return {};
}

namespace {

// TCAP: algorithm MD5, SHA256, SHA512 (unsupported here), PDQ; deleted: true
// is a tombstone.
Error tat_record(const json::Value& v, Reader& r) {
    if (v.type != Type::object) return not_object(v, r);
    FeedRecord rec = record_at(v);
    rec.id = member_text(v, "id");
    rec.hash = member_text(v, "hash_digest");
    bool bad = false;
    if (Error e = flag(v, "deleted", r, rec.tombstone, bad); e || bad) return e;
    for (const char* k : {"ideology", "file_type", "created_on", "updated_on"}) add_label(rec, k, member_text(v, k));
    return r.emit_typed(rec, member_text(v, "algorithm"));
}

}  // namespace

// TCAP hash list page: {"results": [...], "next": URL, "checkpoint": "<epoch>,<id>"}.
Error read_tat(std::string_view text, Reader& r) {
    json::Value page;
    if (Error e = parse_page(text, r, page)) return e;
    const std::vector<json::Value>* recs = nullptr;
    if (Error e = records_of(page, "results", r, recs)) return e;
    for (const json::Value& v : *recs) {
        r.counted();
        if (Error e = tat_record(v, r)) return e;
    }
    r.report().checkpoint = member_text(page, "checkpoint");
    r.report().next_page = member_text(page, "next");
    r.report().more = !r.report().next_page.empty();
    return {};
}

// One video per line: HMA's JSON array of "hex,quality,timestamp" strings,
// after an optional "vpdq " or "<id>\t"; the video's id is that id, else the
// line number.
Error read_vpdq_json(std::string_view text, Reader& r) {
    return for_each_line(text, [&](std::size_t n, std::string_view line) -> Error {
        line = trim(line);
        if (line.empty() || line.front() == '#') return {};
        r.counted();
        if (line.size() > r.options().max_record_bytes) return r.bad(n, "line longer than max_record_bytes");
        FeedRecord rec;
        rec.line = n;
        rec.kind = HashKind::vpdq;
        rec.media = "video";
        const std::size_t bracket = line.find('[');
        if (bracket == std::string_view::npos) return r.bad(n, "no JSON array of frames");
        std::string_view head = trim(line.substr(0, bracket));
        if (iequals(head, "vpdq")) head = {};
        rec.id = head.empty() ? r.line_id(n) : std::string(head);
        const std::size_t close = line.rfind(']');
        if (close == std::string_view::npos || close < bracket) return r.bad(n, "unterminated JSON array");
        rec.hash = std::string(line.substr(bracket, close - bracket + 1));
        add_label(rec, "metadata", std::string(trim(line.substr(close + 1))));
        return r.emit(rec);
    });
}

namespace {

// A mapped record from a field lookup: `field(name)` gives the named
// column/key's text, or nullopt when the record has no such field.
template <class Field>
Error mapped_record(std::size_t line, Reader& r, Field&& field) {
    const ColumnMapping& m = r.options().mapping;
    FeedRecord rec;
    rec.line = line;
    rec.hash = field(m.hash);
    rec.id = m.id.empty() ? r.line_id(line) : field(m.id);
    if (!m.deleted.empty()) rec.tombstone = truthy(field(m.deleted));
    for (const std::string& l : m.labels) add_label(rec, l, field(l));
    return r.emit_typed(rec, m.type.empty() ? std::string_view(m.kind) : std::string_view(field(m.type)));
}

}  // namespace

// Any CSV with a header row, through the column mapping.
Error read_mapped_csv(std::string_view text, Reader& r) {
    std::vector<std::string> header, fields;
    return for_each_line(text, [&](std::size_t n, std::string_view line) -> Error {
        if (trim(line).empty()) return {};
        if (line.size() > r.options().max_record_bytes) return r.bad(n, "line longer than max_record_bytes");
        if (header.empty()) {
            if (!csv::split(line, header)) return {Status::list_format, r.where(n) + ": unterminated quote in header"};
            for (std::string& h : header) h = std::string(trim(h));
            const ColumnMapping& m = r.options().mapping;
            for (const std::string* c : {&m.hash, &m.type, &m.id, &m.deleted})
                if (!c->empty() && std::find(header.begin(), header.end(), *c) == header.end())
                    return {Status::list_format, r.where(n) + ": the header has no column '" + *c + "'"};
            return {};
        }
        r.counted();
        if (!csv::split(line, fields)) return r.bad(n, "unterminated quote");
        if (fields.size() != header.size())
            return r.bad(n, "has " + std::to_string(fields.size()) + " fields, the header has " +
                                std::to_string(header.size()));
        return mapped_record(n, r, [&](const std::string& name) {
            const auto it = std::find(header.begin(), header.end(), name);
            return it == header.end() ? std::string() : fields[static_cast<std::size_t>(it - header.begin())];
        });
    });
}

// Any JSON array of objects (at mapping.records, else the top level).
Error read_mapped_json(std::string_view text, Reader& r) {
    json::Value page;
    if (Error e = parse_page(text, r, page)) return e;
    const std::vector<json::Value>* recs = nullptr;
    if (Error e = records_of(page, r.options().mapping.records, r, recs)) return e;
    for (const json::Value& v : *recs) {
        r.counted();
        if (v.type != Type::object) {
            if (Error e = not_object(v, r)) return e;
            continue;
        }
        if (Error e = mapped_record(record_at(v).line, r, [&](const std::string& k) { return member_text(v, k); }))
            return e;
    }
    return {};
}

}  // namespace hashguard::feeds
