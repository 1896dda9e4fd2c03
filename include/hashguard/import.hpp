// hashguard — importing hash lists as teams receive them: plain `type hash`
// text, ThreatExchange CSV and threat_updates JSON, NCMEC hash-sharing XML v2,
// StopNCII and Tech Against Terrorism JSON, HMA's vPDQ JSON, and any other CSV
// or JSON feed through a column mapping.
//
// A feed is read into records (read_feed): an entry to add, with its
// provenance, or a tombstone. An ImportSet applies records in order and holds
// the net content (tombstones remove what earlier records added), grouped by
// role (block, or allow for known-benign entries) and hash kind; it writes
// snapshots and a lists config a scanner loads directly.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/lists.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

enum class FeedFormat : int {
    text = 0,           ///< "<type> <hash>" per line (HMA's file form); types: pdq md5 sha1 sha256 vpdq + HMA's names
    te_csv = 1,         ///< ThreatExchange CSV export: signal_type,signal_str,collab,category,tags
    te_json = 2,        ///< ThreatExchange Graph API threat_updates records (an array, or {"data": [...]})
    ncmec_xml = 3,      ///< NCMEC hash-sharing XML v2 (queryResult), streamed
    stopncii_json = 4,  ///< StopNCII FetchHashes JSON (hashRecords)
    tat_json = 5,       ///< Tech Against Terrorism TCAP hash list JSON (results)
    vpdq_json = 6,      ///< one video per line: HMA's JSON array of "hex,quality,timestamp", optionally "<id>\t" first
    mapped_csv = 7,     ///< any CSV with a header, through FeedOptions::mapping
    mapped_json = 8,    ///< any JSON array of objects, through FeedOptions::mapping
};

/// "text", "te-csv", "te-json", "ncmec-xml", "stopncii-json", "tat-json",
/// "vpdq-json", "csv", "json".
HASHGUARD_API const char* feed_format_name(FeedFormat f) noexcept;
/// The format called `name` (feed_format_name's names; '_' may stand for '-').
HASHGUARD_API bool feed_format_from_name(std::string_view name, FeedFormat& out) noexcept;

/// One record of a feed.
struct FeedRecord {
    HashKind kind = HashKind::pdq;  ///< pdq, md5, sha1, sha256 or vpdq
    /// Lowercase hex; for vPDQ the video's JSON array, normalised. Empty only
    /// for a tombstone that names an entry by id (NCMEC's deletedImage).
    std::string hash;
    /// Removes instead of adding: the entry with this hash (from this source),
    /// or, when `hash` is empty, every entry this source added under `id`.
    bool tombstone = false;
    bool allow = false;   ///< known-benign (ThreatExchange NEGATIVE_CLASS / NON_MALICIOUS): an allow list
    std::string source;   ///< the feed it came from (FeedOptions::source)
    std::string id;       ///< the feed's own id of the entry (may be empty)
    std::string media;    ///< "image", "video" or empty when the feed does not say
    /// Provenance as the feed gives it: member, timestamps, classification, tags...
    std::vector<std::pair<std::string, std::string>> labels;
    std::size_t line = 0;  ///< the record's line in its file (1-based), for messages
};

/// How a mapped_csv / mapped_json feed names its fields. Parsed from
/// "hash=COL,type=COL,id=COL,deleted=COL,labels=COL|COL,records=KEY,kind=pdq":
/// `hash` is required; `type` names a column holding the hash kind (text
/// format names), else `kind` fixes it; `deleted` a column whose true value
/// ("true", "1", "yes", "deleted", "withdrawn") makes the record a tombstone;
/// `records` the JSON key holding the array of records (default: the
/// top-level array).
struct ColumnMapping {
    std::string hash, type, id, deleted, records, kind;
    std::vector<std::string> labels;
};
HASHGUARD_API Error parse_column_mapping(std::string_view spec, ColumnMapping& out) noexcept;

struct FeedOptions {
    FeedFormat format = FeedFormat::text;
    /// The provenance name every record carries; default: the format's name
    /// ("ncmec" for ncmec-xml, "stopncii", "tat", "threatexchange", ...).
    std::string source;
    ColumnMapping mapping;  ///< mapped_csv / mapped_json
    /// By default one malformed record rejects the whole feed (nothing is
    /// applied). With skip_bad_records they are skipped, counted and reported.
    bool skip_bad_records = false;
    std::size_t max_record_bytes = 1 << 20;  ///< a longer line / record is malformed
    std::size_t max_file_bytes = std::size_t{16} << 30;
};

struct FeedReport {
    std::size_t records = 0;      ///< records read (entries and tombstones)
    std::size_t additions = 0;    ///< hashes to add (one entry may carry several)
    std::size_t tombstones = 0;
    std::size_t bad_records = 0;  ///< malformed (fatal, or skipped with skip_bad_records)
    /// Fingerprints of kinds no scanner here matches (NCMEC pdna, netclean,
    /// tmk_pdqf...; URLs, text), by kind: counted, never silently dropped.
    std::vector<std::pair<std::string, std::size_t>> unsupported;
    /// Where the next fetch resumes, as the feed says it: NCMEC's largest
    /// maxTimestamp, StopNCII nextSetTimestamp, TCAP checkpoint, ThreatExchange's
    /// largest last_updated.
    std::string checkpoint;
    bool more = false;       ///< the page says more records follow
    std::string next_page;   ///< how to ask for them: NCMEC paging/next, StopNCII nextPageToken, TCAP/Graph next
    std::vector<std::string> problems;  ///< "source:line: reason", the first 100
};

using FeedSink = std::function<Error(const FeedRecord&)>;

/// Reads a feed held in memory, calling `sink` for each record in order; an
/// error from the sink stops the read and is returned. `name` labels messages.
/// Never throws.
HASHGUARD_API Error read_feed(std::string_view text, const std::string& name, const FeedOptions& options,
                              const FeedSink& sink, FeedReport* report = nullptr) noexcept;
/// Reads a feed file (mapped, not copied: an NCMEC dump of any size is read in
/// one pass with constant memory beside the mapping).
HASHGUARD_API Error read_feed_file(const std::string& path, const FeedOptions& options, const FeedSink& sink,
                                   FeedReport* report = nullptr) noexcept;

/// Where the imported entries go when written.
struct ImportGroup {
    bool allow = false;
    HashKind kind = HashKind::pdq;
    std::size_t entries = 0;
};

struct ImportWriteOptions {
    std::string name = "imported";  ///< list names in lists.json: "<name>-pdq", "<name>-allow-md5", ...
    std::string index = "auto";     ///< PDQ snapshots' stored index (SnapshotOptions::index)
    int threshold = 31;
};

/// The net content of feeds applied in order. An entry is one hash of one kind
/// and role; records from several sources or ids that list the same hash are
/// one entry whose id is the first one's and whose metadata joins every
/// record's provenance (" | "); a tombstone removes its own records'
/// contributions, and the entry goes when none is left.
class HASHGUARD_API ImportSet {
public:
    ImportSet();
    ~ImportSet();
    ImportSet(const ImportSet&) = delete;
    ImportSet& operator=(const ImportSet&) = delete;

    /// Applies one record.
    Error apply(const FeedRecord& record) noexcept;
    /// Reads a feed file and applies its records: all or nothing (on an error
    /// nothing of this file is applied).
    Error apply_file(const std::string& path, const FeedOptions& options, FeedReport* report = nullptr) noexcept;

    std::size_t size() const noexcept;  ///< entries, every group
    std::vector<ImportGroup> groups() const;
    /// A group's entries as a list (PDQ or exact kinds); ids and "k=v;..." metadata.
    Error to_list(bool allow, HashKind kind, HashList& out) const noexcept;
    /// A vPDQ group as the text parse_vpdq_list reads ("<id>\t<array>\t<metadata>" lines).
    Error vpdq_text(bool allow, std::string& out) const noexcept;
    /// Writes every non-empty group into `dir` (created if missing): PDQ and
    /// exact groups as snapshots (pdq.snap, md5.snap, allow-pdq.snap, ...),
    /// vPDQ as vpdq.txt, and lists.json naming them all (hg_lists_add_config,
    /// `hashguard scan --lists`). Each file is written to a temporary name and
    /// renamed. `written` receives the paths.
    Error write(const std::string& dir, const ImportWriteOptions& options,
                std::vector<std::string>* written = nullptr) const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// "k=v;k=v" provenance text of a record (source, id, media, labels), as an
/// imported entry's metadata holds it: ';' '=' '|' and newlines in values are
/// escaped as %3B %3D %7C %0A.
HASHGUARD_API std::string provenance_text(const FeedRecord& record);

}  // namespace hashguard
