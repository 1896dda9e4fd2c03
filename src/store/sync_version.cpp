// One version of the sync directory (the layout: sync.cpp's top comment).
#include "sync_version.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>

#include "hashguard/json.hpp"
#include "hashguard/lists.hpp"
#include "hashguard/video.hpp"
#include "sync_files.hpp"

namespace hashguard::store {

namespace {

using RowFn = std::function<Error(const Rows&, int)>;

// Streams a SELECT's rows through a cursor (bounded memory for any list).
Error for_each_row(Connection& db, const std::string& select, const RowFn& f) {
    if (Error e = db.exec("DECLARE hg_rows NO SCROLL CURSOR FOR " + select)) return e;
    for (;;) {
        Rows rows;
        if (Error e = db.query("FETCH 50000 FROM hg_rows", rows)) return e;
        if (rows.size() == 0) break;
        for (int i = 0; i < rows.size(); ++i)
            if (Error e = f(rows, i)) return e;
    }
    return db.exec("CLOSE hg_rows");
}

std::string list_dir_of(const std::string& dir, const std::string& list) { return dir + "/lists/" + list; }
std::string base_name(const ListState& l) {
    return "base-" + std::to_string(l.base) + (l.kind == "vpdq" ? ".txt" : ".snap");
}
std::string delta_name(long long v) { return "delta-" + std::to_string(v) + ".csv"; }

// "e<row id>" stands in for an entry without an external id, in bases and deltas alike.
const char* kIdExpr = "CASE WHEN external_id <> '' THEN external_id ELSE 'e' || id END";

bool parse_digest_hex(std::string_view hex, const std::string& kind, Digest& d) {
    d.kind = kind == "md5" ? HashKind::md5 : kind == "sha1" ? HashKind::sha1 : HashKind::sha256;
    d.size = static_cast<std::uint8_t>(hex.size() / 2);
    if (hex.size() % 2 || d.size > 32) return false;
    auto nib = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
    for (std::size_t i = 0; i < d.size; ++i) {
        const int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        d.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return true;
}

// Adds one row (hash, id, metadata) to a list being built.
Error add_entry(HashList& list, const std::string& kind, const Rows& rows, int i) {
    const std::string_view hex = rows.text(i, 0);
    bool ok;
    if (list.kind == ListKind::pdq) {
        Hash256 h;
        ok = Hash256::from_hex(hex, h);
        if (ok) list.pdq.push_back(h);
    } else {
        Digest d;
        ok = parse_digest_hex(hex, kind, d);
        if (ok) list.digests.push_back(d);
    }
    if (!ok) return {Status::list_format, "the store holds a malformed " + kind + " hash '" + std::string(hex) + "'"};
    list.ids.emplace_back(rows.text(i, 1));
    list.metadata.emplace_back(rows.text(i, 2));
    return {};
}

// The list's whole content at `version`, as a snapshot (vPDQ: text lines).
Error write_base(Connection& db, const std::string& dir, long long list_id, long long version, ListState& l) {
    const std::string v = std::to_string(version);
    const std::string select = std::string("SELECT hash, ") + kIdExpr + ", metadata FROM hg_entries WHERE list_id = " +
                               std::to_string(list_id) + " AND added_version <= " + v +
                               " AND (removed_version IS NULL OR removed_version > " + v + ") ORDER BY id";
    l.base = version;
    l.deltas.clear();
    l.delta_entries = 0;
    l.base_entries = l.entries;
    const std::string path = list_dir_of(dir, l.name) + "/" + base_name(l);
    if (l.kind == "vpdq") {
        std::string text;
        Error e = for_each_row(db, select, [&](const Rows& rows, int i) -> Error {
            append_vpdq_list_line(text, rows.text(i, 1), rows.text(i, 0), rows.text(i, 2));
            return {};
        });
        return e ? e : write_file_atomic(path, text);
    }
    HashList list;
    list.kind = l.kind == "pdq" ? ListKind::pdq : ListKind::exact;
    if (Error e = for_each_row(db, select, [&](const Rows& r, int i) { return add_entry(list, l.kind, r, i); }))
        return e;
    SnapshotOptions so;
    so.index = list.kind == ListKind::pdq ? "auto" : "none";
    Error e = save_snapshot(list, path, so);
    secure_clear(list);
    return e;
}

void csv_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

// The list's changes at `version` (against version - 1): "-<hash>" removes,
// "<hash>,<id>,<rest>" adds; the header names the metadata column "source",
// so the list parser gives back "source=<rest>", the stored metadata.
Error write_delta(Connection& db, const std::string& dir, long long list_id, long long version, ListState& l) {
    const std::string v = std::to_string(version);
    std::string text = "# hashguard store: list " + l.name + ", version " + v + " (changes since version " +
                       std::to_string(version - 1) + ")\nhash,id,source\n";
    Error e = for_each_row(db,
                           std::string("SELECT hash, ") + kIdExpr + ", metadata, removed_version = " + v +
                               " FROM hg_entries WHERE list_id = " + std::to_string(list_id) +
                               " AND (added_version = " + v + " OR removed_version = " + v + ") ORDER BY id",
                           [&](const Rows& rows, int i) -> Error {
                               if (rows.text(i, 3) == "t") {
                                   text.append("-").append(rows.text(i, 0)) += '\n';
                                   return {};
                               }
                               std::string_view meta = rows.text(i, 2);
                               if (meta.rfind("source=", 0) == 0) meta.remove_prefix(7);
                               text.append(rows.text(i, 0)) += ',';
                               csv_quoted(text, rows.text(i, 1));
                               text += ',';
                               csv_quoted(text, meta);
                               text += '\n';
                               return {};
                           });
    if (e) return e;
    l.deltas.push_back(version);
    return write_file_atomic(list_dir_of(dir, l.name) + "/" + delta_name(version), text);
}

}  // namespace

Error read_state(const std::string& dir, long long version, std::vector<ListState>& out) {
    out.clear();
    if (version == 0) return {};
    std::string text;
    const std::string path = dir + "/v" + std::to_string(version) + "/state";
    if (Error e = read_small_file(path, text)) return e;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        ListState l;
        std::string deltas;
        if (!(f >> l.name >> l.kind >> l.role >> l.base >> l.entries >> l.delta_entries >> deltas >> l.base_entries))
            return {Status::list_format, path + ": malformed line '" + line + "'"};
        std::istringstream d(deltas);
        for (std::string item; std::getline(d, item, ',');)
            if (item != "-") l.deltas.push_back(std::stoll(item));
        out.push_back(std::move(l));
    }
    return {};
}

namespace {

std::string state_text(const std::vector<ListState>& lists) {
    std::string out;
    for (const auto& l : lists) {
        out += l.name + " " + l.kind + " " + l.role + " " + std::to_string(l.base) + " " + std::to_string(l.entries) +
               " " + std::to_string(l.delta_entries) + " ";
        std::string d;
        for (long long v : l.deltas) {
            if (!d.empty()) d += ',';
            d += std::to_string(v);
        }
        out += (d.empty() ? "-" : d) + " " + std::to_string(l.base_entries) + "\n";
    }
    return out;
}

std::string lists_json(const std::vector<ListState>& lists) {
    std::string out;
    json::Writer w(out);
    w.begin_object().key("lists").begin_array();
    for (const auto& l : lists) {
        if (l.kind == "vpdq" && l.entries == 0) continue;  // a vPDQ list cannot be empty; absent until it has videos
        const std::string rel = "../lists/" + l.name + "/";
        w.begin_object().field("name", l.name).field("path", rel + base_name(l)).field("kind", l.kind);
        w.field("role", l.role);
        if (l.kind != "vpdq") w.field("allow_empty", true);
        w.key("deltas").begin_array();
        for (long long v : l.deltas) w.value(rel + delta_name(v));
        w.end_array().end_object();
    }
    w.end_array().end_object();
    return out + "\n";
}

constexpr std::size_t kMaxDeltas = 256;

// Whether `version` adds back a hash the list's base holds (an earlier delta
// removed it): a delta would bring back the base's entry, with its old id and
// metadata, so the list gets a new base instead.
Error readds_base_entry(Connection& db, long long list_id, long long version, const ListState& l, bool& out) {
    const std::string id = std::to_string(list_id), v = std::to_string(version), b = std::to_string(l.base);
    Rows rows;
    if (Error e = db.query("SELECT EXISTS (SELECT 1 FROM hg_entries n JOIN hg_entries o ON o.list_id = n.list_id "
                           "AND o.hash = n.hash WHERE n.list_id = " + id + " AND n.added_version = " + v +
                           " AND o.list_id = " + id + " AND o.added_version <= " + b + " AND o.removed_version > " + b +
                           ")",
                           rows))
        return e;
    out = rows.text(0, 0) == "t";
    return {};
}

// Writes a list's files for `version` (a new base or a delta), updating `l`.
Error write_list(Connection& db, const std::string& dir, long long list_id, long long version, long long adds,
                 long long removes, bool is_new, ListState& l) {
    if (Error e = make_dir(list_dir_of(dir, l.name))) return e;
    l.entries += adds - removes;
    // The follower merges a list's deltas into its base past max(65536, base / 8)
    // changes (staging.cpp): a new base comes first, so a follower's base is
    // always a base file (a re-added hash is then found by readds_base_entry).
    // And at most kMaxDeltas delta files per base (a fresh follower applies each).
    const long long limit = std::max<long long>(65536, l.base_entries / 8);
    bool rebase = is_new || l.kind == "vpdq" || l.delta_entries + adds + removes > limit ||
                  l.deltas.size() >= kMaxDeltas;
    if (!rebase && adds > 0)
        if (Error e = readds_base_entry(db, list_id, version, l, rebase)) return e;
    Error e;
    if (rebase) {
        e = write_base(db, dir, list_id, version, l);
    } else {
        l.delta_entries += adds + removes;
        e = write_delta(db, dir, list_id, version, l);
    }
    return e ? e : fsync_dir(list_dir_of(dir, l.name));  // the renames durable before the version names them
}

// The lists `version` changed, each with its files written.
Error write_changed_lists(Connection& db, const std::string& dir, long long version, std::vector<ListState>& state) {
    const std::string v = std::to_string(version);
    Rows rows;
    if (Error e = db.query("SELECT l.id, l.name, l.kind, l.role, count(*) FILTER (WHERE e.added_version = " + v +
                               "), count(*) FILTER (WHERE e.removed_version = " + v +
                               ") FROM hg_entries e JOIN hg_lists l ON l.id = e.list_id WHERE e.added_version = " + v +
                               " OR e.removed_version = " + v + " GROUP BY l.id ORDER BY l.name",
                           rows))
        return e;
    for (int i = 0; i < rows.size(); ++i) {
        const std::string name(rows.text(i, 1));
        auto it = std::find_if(state.begin(), state.end(), [&](const ListState& l) { return l.name == name; });
        const bool is_new = it == state.end();
        if (is_new) {
            state.push_back({name, std::string(rows.text(i, 2)), std::string(rows.text(i, 3)), 0, 0, 0, 0, {}});
            it = state.end() - 1;
        }
        if (Error e = write_list(db, dir, rows.number(i, 0), version, rows.number(i, 4), rows.number(i, 5), is_new, *it))
            return e;
    }
    std::sort(state.begin(), state.end(), [](const ListState& a, const ListState& b) { return a.name < b.name; });
    return {};
}

// Test hook (HASHGUARD_TEST_SYNC_PAUSE=files|current): at that stage, says
// so on stderr and waits until stdin has a line or ends, so a test can kill
// the process there.
void pause_for_test(const char* stage, long long version) {
    const char* want = std::getenv("HASHGUARD_TEST_SYNC_PAUSE");
    if (!want || std::string(want) != stage) return;
    const std::string msg = "hashguard store sync: paused at '" + std::string(stage) + "' of version " +
                            std::to_string(version) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    char c = 0;
    while (::read(0, &c, 1) == 1 && c != '\n') {
    }
}

}  // namespace

Error write_version(Connection& db, const std::string& dir, long long version, std::vector<ListState>& state) {
    if (Error e = make_dir(dir + "/lists")) return e;
    if (Error e = db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) return e;
    Error e = write_changed_lists(db, dir, version, state);
    (void)db.exec(e ? "ROLLBACK" : "COMMIT");
    if (e) return e;
    const std::string name = "v" + std::to_string(version), tmp = dir + "/" + name + ".tmp";
    if (Error re = remove_tree(tmp)) return re;
    if (Error re = remove_tree(dir + "/" + name)) return re;  // a complete one CURRENT never named: rewritten
    if (Error me = make_dir(tmp)) return me;
    if (Error we = write_file_atomic(tmp + "/lists.json", lists_json(state))) return we;
    if (Error we = write_file_atomic(tmp + "/state", state_text(state))) return we;
    if (Error fe = fsync_dir(dir + "/lists")) return fe;
    if (Error fe = fsync_dir(tmp)) return fe;  // lists.json and state durable before v<N> is named
    pause_for_test("files", version);
    if (Error re = rename_path(tmp, dir + "/" + name)) return re;
    if (Error fe = fsync_dir(dir)) return fe;
    pause_for_test("current", version);
    if (Error we = write_file_atomic(dir + "/CURRENT", std::to_string(version) + " " + name + "\n")) return we;
    return fsync_dir(dir);
}

Error prune_versions(const std::string& dir, long long newest, long long keep) {
    std::vector<std::string> names;
    if (Error e = list_dir(dir, names)) return e;
    for (const auto& n : names) {
        if (n.size() < 2 || n[0] != 'v' || n.find_first_not_of("0123456789", 1) != std::string::npos) continue;
        if (std::stoll(n.substr(1)) <= newest - keep)
            if (Error e = remove_tree(dir + "/" + n)) return e;
    }
    std::set<std::string> used;  // "<list>/<file>" named by a kept version
    for (long long v = std::max<long long>(1, newest - keep + 1); v <= newest; ++v) {
        std::vector<ListState> state;
        if (!path_exists(dir + "/v" + std::to_string(v) + "/state")) continue;
        if (Error e = read_state(dir, v, state)) return e;
        for (const auto& l : state) {
            used.insert(l.name + "/" + base_name(l));
            for (long long d : l.deltas) used.insert(l.name + "/" + delta_name(d));
        }
    }
    std::vector<std::string> lists, files;
    if (Error e = list_dir(dir + "/lists", lists)) return e;
    for (const auto& l : lists) {
        if (Error e = list_dir(dir + "/lists/" + l, files)) return e;
        for (const auto& f : files)
            if (!used.count(l + "/" + f))
                if (Error e = remove_tree(dir + "/lists/" + l + "/" + f)) return e;
    }
    return {};
}

}  // namespace hashguard::store
