// The store's tables (store.hpp describes them). CREATE ... IF NOT EXISTS
// throughout, under an advisory lock so two concurrent inits do not race on
// the catalog.
#include "schema.hpp"

namespace hashguard::store {

namespace {

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS hg_meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO hg_meta VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING;
CREATE TABLE IF NOT EXISTS hg_lists (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
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
  list_id integer NOT NULL REFERENCES hg_lists (id),
  hash text NOT NULL,
  source text NOT NULL,
  external_id text NOT NULL DEFAULT '',
  metadata text NOT NULL DEFAULT '',
  media text NOT NULL DEFAULT '',
  added_version bigint,
  removed_version bigint,
  removal_pending boolean NOT NULL DEFAULT false,
  CHECK (removed_version IS NULL OR added_version IS NOT NULL AND removed_version > added_version),
  CHECK (NOT removal_pending OR added_version IS NOT NULL AND removed_version IS NULL));
CREATE UNIQUE INDEX IF NOT EXISTS hg_entries_present ON hg_entries (list_id, md5(hash)) WHERE removed_version IS NULL;
CREATE INDEX IF NOT EXISTS hg_entries_added ON hg_entries (added_version);
CREATE INDEX IF NOT EXISTS hg_entries_removed ON hg_entries (removed_version) WHERE removed_version IS NOT NULL;
CREATE INDEX IF NOT EXISTS hg_entries_pending_add ON hg_entries (list_id) WHERE added_version IS NULL;
CREATE INDEX IF NOT EXISTS hg_entries_pending_removal ON hg_entries (list_id) WHERE removal_pending;
CREATE INDEX IF NOT EXISTS hg_entries_external ON hg_entries (source, external_id) WHERE external_id <> '';
)SQL";

}  // namespace

Error init(Connection& db) {
    if (Error e = db.exec("BEGIN")) return e;
    Error e = db.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSpace) + ", " +
                      std::to_string(kWriterLock) + ")");
    if (!e) e = db.exec(kSchema);
    if (!e) e = db.exec("COMMIT");
    if (e) (void)db.exec("ROLLBACK");
    return e;
}

}  // namespace hashguard::store
