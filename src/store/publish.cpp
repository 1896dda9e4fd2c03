// `hashguard store publish` and `status`.
#include <string>

#include "schema.hpp"
#include "common/errors.hpp"

namespace hashguard::store {

namespace {

std::string lock_call(const char* fn, int which) {
    return std::string("SELECT ") + fn + "(" + std::to_string(kLockSpace) + ", " + std::to_string(which) + ")";
}

// Inside the transaction, with both locks held.
Error publish_pending(Connection& db, PublishReport& report) {
    Rows rows;
    if (Error e = db.query("SELECT coalesce(max(version), 0) + 1 FROM hg_versions", rows)) return e;
    const std::string v = std::to_string(rows.number(0, 0));
    if (Error e = db.query("INSERT INTO hg_versions (version, additions, removals, entries) VALUES ($1, 0, 0, 0)",
                           {v}, rows))
        return e;
    if (Error e = db.query("UPDATE hg_entries SET added_version = $1 WHERE added_version IS NULL", {v}, rows))
        return e;
    report.additions = rows.affected();
    if (Error e = db.query("UPDATE hg_entries SET removed_version = $1, removal_pending = false "
                           "WHERE removal_pending",
                           {v}, rows))
        return e;
    report.removals = rows.affected();
    if (report.additions == 0 && report.removals == 0) return {};  // nothing pending: rolled back by the caller
    if (Error e = db.query("UPDATE hg_versions SET additions = $2, removals = $3, entries = (SELECT count(*) "
                           "FROM hg_entries WHERE removed_version IS NULL AND added_version IS NOT NULL) "
                           "WHERE version = $1 RETURNING entries, published_at",
                           {v, std::to_string(report.additions), std::to_string(report.removals)}, rows))
        return e;
    report.entries = rows.number(0, 0);
    report.published_at = std::string(rows.text(0, 1));
    if (Error e = db.query("SELECT pg_notify('hashguard_versions', $1)", {v}, rows)) return e;
    report.version = std::stoll(v);
    return {};
}

}  // namespace

Error publish(Connection& db, PublishReport& report, const std::function<void()>& before_commit) {
    return detail::guard([&]() -> Error {
        report = PublishReport{};
        if (Error e = db.exec("BEGIN")) return e;
        Rows rows;
        Error e = db.query(lock_call("pg_try_advisory_xact_lock", kPublisherLock), rows);
        if (!e && rows.text(0, 0) != "t") {
            report.lock_held = true;
            e = {Status::io_error, "another publisher holds the lock (pg_try_advisory_xact_lock(" +
                                       std::to_string(kLockSpace) + ", " + std::to_string(kPublisherLock) +
                                       ")); nothing was published"};
        }
        if (!e) e = db.exec(lock_call("pg_advisory_xact_lock", kWriterLock));  // waits for running imports
        if (!e) e = publish_pending(db, report);
        if (!e && report.version == 0) return db.exec("ROLLBACK");
        if (!e && before_commit) before_commit();
        if (!e) e = db.exec("COMMIT");
        if (e) {
            (void)db.exec("ROLLBACK");
            report.version = 0;
        }
        return e;
    });
}

Error status(Connection& db, StoreStatus& out) {
    return detail::guard([&]() -> Error {
        out = StoreStatus{};
        Rows rows;
        if (Error e = db.query(
                "SELECT l.name, l.kind, l.role, "
                "count(*) FILTER (WHERE e.added_version IS NOT NULL AND e.removed_version IS NULL), "
                "count(*) FILTER (WHERE e.added_version IS NULL), count(*) FILTER (WHERE e.removal_pending) "
                "FROM hg_lists l LEFT JOIN hg_entries e ON e.list_id = l.id GROUP BY l.id ORDER BY l.name",
                rows))
            return e;
        for (int i = 0; i < rows.size(); ++i)
            out.lists.push_back({std::string(rows.text(i, 0)), std::string(rows.text(i, 1)), std::string(rows.text(i, 2)),
                                 rows.number(i, 3), rows.number(i, 4), rows.number(i, 5)});
        if (Error e = db.query("SELECT version, published_at FROM hg_versions ORDER BY version DESC LIMIT 1", rows))
            return e;
        if (rows.size() > 0) {
            out.latest_version = rows.number(0, 0);
            out.published_at = std::string(rows.text(0, 1));
        }
        return {};
    });
}

}  // namespace hashguard::store
