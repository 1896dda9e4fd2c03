// `hashguard store import`: feed records staged as pending changes. The
// records go by COPY into a temporary table; set-based statements then merge
// them into hg_entries, all in one transaction (all or nothing).
#include <string>

#include "feed.hpp"
#include "schema.hpp"
#include "common/errors.hpp"

namespace hashguard::store {

namespace {

bool valid_source(const std::string& s) {
    if (s.empty() || s.size() > 100) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

// The entry's metadata: the record's provenance, starting "source=<source>"
// (the delta files sync writes rely on that first key).
std::string entry_metadata(const FeedRecord& r) {
    std::string meta = record_provenance(r);
    if (meta.rfind("source=", 0) == 0) return meta;
    return "source=" + r.source + (meta.empty() ? "" : ";" + meta);
}

// One COPY row of hg_stage.
void stage_row(std::string& buf, long long seq, const FeedRecord& r) {
    buf += std::to_string(seq);
    buf += r.tombstone ? "\tr\t" : "\ta\t";
    if (!r.tombstone) copy_escape(buf, list_name_for(r));  // a tombstone names no list: either role
    buf += '\t';
    buf += hash_kind_name(r.kind);
    buf += r.allow ? "\tallow\t" : "\tblock\t";
    for (const std::string* f : {&r.hash, &r.source, &r.id}) {
        copy_escape(buf, *f);
        buf += '\t';
    }
    if (!r.tombstone) copy_escape(buf, entry_metadata(r));
    buf += '\t';
    copy_escape(buf, r.media);
    buf += '\n';
}

// Text compared as bytes (COLLATE "C"), as in hg_entries.
const char* kStage =
    "CREATE TEMP TABLE hg_stage (seq bigint NOT NULL, op text COLLATE \"C\" NOT NULL, "
    "list text COLLATE \"C\" NOT NULL, kind text COLLATE \"C\" NOT NULL, role text COLLATE \"C\" NOT NULL, "
    "hash text COLLATE \"C\" NOT NULL, source text COLLATE \"C\" NOT NULL, ext_id text COLLATE \"C\" NOT NULL, "
    "metadata text NOT NULL, media text NOT NULL) ON COMMIT DROP";

// Streams the records into hg_stage.
Error copy_records(Connection& db, const RecordSource& source, ImportReport& report) {
    if (Error e = db.copy_begin("COPY hg_stage FROM STDIN")) return e;
    std::string buf;
    long long seq = 0;
    Error copy_error;
    Error e = source([&](const FeedRecord& r) -> Error {
        if (!valid_source(r.source))
            return {Status::invalid_argument, "source name '" + r.source +
                                                  "' is not usable in list names (letters, digits, '-', '_', '.')"};
        if (r.hash.empty() && !(r.tombstone && !r.id.empty()))
            return {Status::list_format, "a record has no hash (line " + std::to_string(r.line) + ")"};
        stage_row(buf, ++seq, r);
        if (buf.size() >= (1u << 20)) {
            copy_error = db.copy_put(buf);
            buf.clear();
            if (copy_error) return copy_error;
        }
        return {};
    });
    if (!e && !buf.empty()) e = db.copy_put(buf);
    if (e) {
        db.copy_abort("import stopped: " + e.message);
        return e;
    }
    report.records = static_cast<std::size_t>(seq);
    return db.copy_end();
}

// Lists named by additions are created; an existing list of another kind or
// role is an error.
Error ensure_lists(Connection& db, ImportReport& report) {
    Rows rows;
    if (Error e = db.query("INSERT INTO hg_lists (name, kind, role) SELECT DISTINCT list, kind, role FROM hg_stage "
                           "WHERE op = 'a' ORDER BY list ON CONFLICT (name) DO NOTHING",
                           rows))
        return e;
    report.lists_created = static_cast<std::size_t>(rows.affected());
    if (Error e = db.query("SELECT s.list, l.kind, l.role, s.kind, s.role FROM (SELECT DISTINCT list, kind, role "
                           "FROM hg_stage WHERE list <> '') s JOIN hg_lists l ON l.name = s.list "
                           "WHERE l.kind <> s.kind OR l.role <> s.role LIMIT 1",
                           rows))
        return e;
    if (rows.size() > 0)
        return {Status::invalid_argument, "list '" + std::string(rows.text(0, 0)) + "' holds " +
                                              std::string(rows.text(0, 1)) + " " + std::string(rows.text(0, 2)) +
                                              " entries; a record gives it " + std::string(rows.text(0, 3)) + " " +
                                              std::string(rows.text(0, 4))};
    return {};
}

// hg_adds: per (list, hash), the first addition after the last tombstone of
// that hash from its source (either role, as ImportSet) that no later
// tombstone of its (source, id) withdraws.
const char* kAdds =
    "CREATE TEMP TABLE hg_adds ON COMMIT DROP AS "
    "WITH last_rm AS (SELECT source, kind, hash, max(seq) AS seq FROM hg_stage WHERE op = 'r' AND hash <> '' "
    "  GROUP BY source, kind, hash), "
    "id_rm AS (SELECT source, ext_id, max(seq) AS seq FROM hg_stage WHERE op = 'r' AND hash = '' "
    "  GROUP BY source, ext_id), "
    "adds AS (SELECT a.* FROM hg_stage a "
    "  LEFT JOIN last_rm r ON r.source = a.source AND r.kind = a.kind AND r.hash = a.hash "
    "  LEFT JOIN id_rm i ON a.ext_id <> '' AND i.source = a.source AND i.ext_id = a.ext_id "
    "  WHERE a.op = 'a' AND (r.seq IS NULL OR a.seq > r.seq) AND (i.seq IS NULL OR a.seq > i.seq)) "
    "SELECT DISTINCT ON (a.list, a.hash) l.id AS list_id, a.hash, a.source, a.ext_id, a.metadata, a.media "
    "FROM adds a JOIN hg_lists l ON l.name = a.list ORDER BY a.list, a.hash, a.seq";

// hg_rm: present or pending entries a tombstone names, unless re-added after it.
const char* kRemovals =
    "CREATE TEMP TABLE hg_rm ON COMMIT DROP AS "
    "SELECT e.id, e.added_version FROM hg_entries e JOIN hg_lists l ON l.id = e.list_id "
    "  JOIN (SELECT DISTINCT source, kind, hash FROM hg_stage WHERE op = 'r' AND hash <> '') t "
    "  ON t.source = e.source AND t.kind = l.kind AND t.hash = e.hash WHERE e.removed_version IS NULL "
    "UNION "
    "SELECT e.id, e.added_version FROM hg_entries e "
    "  JOIN (SELECT DISTINCT source, ext_id FROM hg_stage WHERE op = 'r' AND hash = '' AND ext_id <> '') t "
    "  ON e.source = t.source AND e.external_id = t.ext_id WHERE e.removed_version IS NULL";

Error run_counted(Connection& db, const std::string& sql, std::size_t& count) {
    Rows rows;
    if (Error e = db.query(sql, rows)) return e;
    count += static_cast<std::size_t>(rows.affected());
    return {};
}

Error merge(Connection& db, ImportReport& report) {
    if (Error e = ensure_lists(db, report)) return e;
    if (Error e = db.exec(kAdds)) return e;
    if (Error e = db.exec(kRemovals)) return e;
    if (Error e = db.exec("ANALYZE hg_adds; ANALYZE hg_rm")) return e;
    std::size_t ignored = 0;
    Error e = run_counted(db,
                          "DELETE FROM hg_rm r USING hg_entries e, hg_adds a WHERE r.id = e.id "
                          "AND a.list_id = e.list_id AND a.hash = e.hash",
                          ignored);
    if (!e) e = run_counted(db, "DELETE FROM hg_entries e USING hg_rm r WHERE e.id = r.id AND r.added_version IS NULL",
                            report.removals);
    if (!e) e = run_counted(db, "UPDATE hg_entries e SET removal_pending = true FROM hg_rm r WHERE e.id = r.id "
                                "AND r.added_version IS NOT NULL AND NOT e.removal_pending", report.removals);
    if (!e) e = run_counted(db, "UPDATE hg_entries e SET removal_pending = false FROM hg_adds a "
                                "WHERE e.list_id = a.list_id AND e.hash = a.hash AND e.removed_version IS NULL "
                                "AND e.removal_pending", report.restored);
    if (!e) e = run_counted(db, "INSERT INTO hg_entries (list_id, hash, source, external_id, metadata, media) "
                                "SELECT a.list_id, a.hash, a.source, a.ext_id, a.metadata, a.media FROM hg_adds a "
                                "WHERE NOT EXISTS (SELECT 1 FROM hg_entries e WHERE e.list_id = a.list_id "
                                "AND md5(e.hash) = md5(a.hash) AND e.hash = a.hash AND e.removed_version IS NULL)",
                            report.additions);
    if (e) return e;
    Rows rows;
    if (Error ce = db.query("SELECT count(*) FROM hg_adds", rows)) return ce;
    report.already = static_cast<std::size_t>(rows.number(0, 0)) - report.additions - report.restored;
    return {};
}

}  // namespace

std::string list_name_for(const FeedRecord& r) {
    return r.source + (r.allow ? "-allow-" : "-") + hash_kind_name(r.kind);
}

Error import_records(Connection& db, const RecordSource& source, ImportReport& report) {
    return detail::guard([&]() -> Error {
        if (Error e = db.exec("BEGIN")) return e;
        Error e = db.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSpace) + ", " +
                          std::to_string(kWriterLock) + ")");
        if (!e) e = db.exec(kStage);
        if (!e) e = copy_records(db, source, report);
        if (!e) e = db.exec("ANALYZE hg_stage");
        if (!e) e = merge(db, report);
        if (!e) e = db.exec("COMMIT");
        if (e) (void)db.exec("ROLLBACK");
        return e;
    });
}

}  // namespace hashguard::store
