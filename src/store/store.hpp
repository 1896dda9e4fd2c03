// The list store: hash lists kept in PostgreSQL with their provenance,
// tombstones and immutable published versions (`hashguard store ...`).
//
// Tables (all prefixed hg_, created by init(), idempotent):
//   hg_lists     id, name (unique: "<source>-<kind>" or "<source>-allow-<kind>"), kind, role
//   hg_entries   id, list_id, hash (lowercase hex; vPDQ: its JSON array), source,
//                external_id, metadata ("k=v;..." provenance, starting "source=<source>"),
//                media, added_version, removed_version, removal_pending
//   hg_versions  version, published_at, additions, removals, entries
//   hg_meta      schema version
// An entry is pending while added_version IS NULL (imported, not published);
// a published entry whose removal is pending has removal_pending = true.
// Version V's content: entries with added_version <= V and (removed_version
// IS NULL or removed_version > V). Publishing only ever fills NULL versions,
// so a published version never changes. A list holds one row per hash that
// is present or pending (a unique index).
//
// Locks: publish takes the publisher lock with pg_try_advisory_xact_lock (a
// second publisher fails at once, PublishReport::lock_held), and
// both publish and import take the writer lock (blocking), so a publish sees
// whole imports and an import never runs half inside a version.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hashguard/import.hpp"
#include "hashguard/status.hpp"
#include "pq.hpp"

namespace hashguard::store {

/// Creates the tables if missing (idempotent; safe while others use them).
Error init(Connection& db);

struct ImportReport {
    std::size_t records = 0;     ///< records read from the files
    std::size_t additions = 0;   ///< new pending entries
    std::size_t restored = 0;    ///< pending removals cancelled by a new addition
    std::size_t already = 0;     ///< additions of hashes already present
    std::size_t removals = 0;    ///< entries marked for removal (or pending additions withdrawn)
    std::size_t lists_created = 0;
    std::vector<FeedReport> feeds;  ///< per input file
};

using RecordSource = std::function<Error(const FeedSink&)>;

/// Reads records from `source` (which calls the sink for each) and stages
/// them as pending changes in one transaction: all or nothing. Records apply
/// in order, as ImportSet applies them: an addition goes to its list
/// (list_name_for); a tombstone with a hash removes that hash from the
/// source's lists of its kind (block and allow), one with only an id every
/// entry the source added under that id. For one hash the last record
/// decides; an addition of a hash already present (or pending) is ignored,
/// one of a hash whose removal is pending cancels the removal. The first
/// addition's id and provenance are kept.
Error import_records(Connection& db, const RecordSource& source, ImportReport& report);

/// The list a record belongs to: "<source>-<kind>" or "<source>-allow-<kind>".
std::string list_name_for(const FeedRecord& r);

struct PublishReport {
    long long version = 0;  ///< 0: nothing was pending, nothing published
    long long additions = 0, removals = 0, entries = 0;
    std::string published_at;
    bool lock_held = false;  ///< failed because another publisher holds the lock (the CLI exits 3)
};

/// Publishes every pending change as the next version (one transaction,
/// NOTIFY hashguard_versions '<version>' on commit). `before_commit` (tests)
/// runs while the transaction is open, after the NOTIFY.
Error publish(Connection& db, PublishReport& report, const std::function<void()>& before_commit = {});

struct ListStatus {
    std::string name, kind, role;
    long long entries = 0, pending_additions = 0, pending_removals = 0;
};
struct StoreStatus {
    std::vector<ListStatus> lists;
    long long latest_version = 0;
    std::string published_at;  ///< of the latest version ("" when none)
};
Error status(Connection& db, StoreStatus& out);

}  // namespace hashguard::store
