// The store's tables (store.hpp describes them). CREATE ... IF NOT EXISTS
// throughout, under an advisory lock so two concurrent inits do not race on
// the catalog.
//
// Publishing sets added_version on every pending row. No index covers
// added_version (nor has it in a predicate) and hg_entries keeps half of each
// page free (fillfactor 50), so that UPDATE is a heap-only (HOT) update that
// touches no index: publishing 10^6 additions took 47 s with an index on
// added_version and a pending-additions index, 8 s without (94% HOT). The
// queries by version (sync) scan the table instead. list_id has no foreign
// key (a trigger per imported row); import creates lists before entries.
// Compared text is COLLATE "C" (bytes): the database's locale collation made
// the (source, external_id) index alone cost ~3 s per 10^6 inserted rows.
#include "schema.hpp"
#include "common/errors.hpp"

namespace hashguard::store {

namespace {

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS hg_meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO hg_meta VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING;
CREATE TABLE IF NOT EXISTS hg_lists (
  id serial PRIMARY KEY,
  name text COLLATE "C" NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('pdq', 'md5', 'sha1', 'sha256', 'vpdq')),
  role text NOT NULL CHECK (role IN ('block', 'allow')));
CREATE TABLE IF NOT EXISTS hg_versions (
  version bigint PRIMARY KEY CHECK (version > 0),
  published_at timestamptz NOT NULL DEFAULT now(),
  additions bigint NOT NULL,
  removals bigint NOT NULL,
  entries bigint NOT NULL);
CREATE TABLE IF NOT EXISTS hg_entries (
  id bigserial PRIMARY KEY,
  list_id integer NOT NULL,
  hash text COLLATE "C" NOT NULL,
  source text COLLATE "C" NOT NULL,
  external_id text COLLATE "C" NOT NULL DEFAULT '',
  metadata text NOT NULL DEFAULT '',
  media text NOT NULL DEFAULT '',
  added_version bigint,
  removed_version bigint,
  removal_pending boolean NOT NULL DEFAULT false,
  CHECK (removed_version IS NULL OR added_version IS NOT NULL AND removed_version > added_version),
  CHECK (NOT removal_pending OR added_version IS NOT NULL AND removed_version IS NULL))
  WITH (fillfactor = 50);
CREATE UNIQUE INDEX IF NOT EXISTS hg_entries_present ON hg_entries (list_id, md5(hash)) WHERE removed_version IS NULL;
CREATE INDEX IF NOT EXISTS hg_entries_removed ON hg_entries (removed_version) WHERE removed_version IS NOT NULL;
CREATE INDEX IF NOT EXISTS hg_entries_pending_removal ON hg_entries (list_id) WHERE removal_pending;
CREATE INDEX IF NOT EXISTS hg_entries_external ON hg_entries (source, external_id) WHERE external_id <> '';
)SQL";

}  // namespace

Error init(Connection& db) {
    return detail::guard([&]() -> Error {
        if (Error e = db.exec("BEGIN")) return e;
        Error e = db.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSpace) + ", " +
                          std::to_string(kWriterLock) + ")");
        if (!e) e = db.exec(kSchema);
        if (!e) e = db.exec("COMMIT");
        if (e) (void)db.exec("ROLLBACK");
        return e;
    });
}

}  // namespace hashguard::store
