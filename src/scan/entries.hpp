// The entries of a loaded list, wherever they live: a parsed HashList, a
// mapped snapshot (nothing copied: the hashes are read in place, ids and
// metadata are views into the file), or binary hashes (ids are implicit, no
// metadata). What the scanner, the index cache and deltas read lists through.
// Immutable; shared by every ListSet that uses the list.
#pragma once
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/secure.hpp"
#include "hashguard/lists.hpp"
#include "hashguard/video.hpp"

namespace hashguard::scan {

class ListEntries {
public:
    virtual ~ListEntries() = default;
    ListKind kind() const noexcept { return kind_; }
    std::size_t size() const noexcept { return size_; }
    /// PDQ lists: every hash, contiguous (empty for exact lists).
    std::span<const Hash256> pdq() const noexcept { return {pdq_, kind_ == ListKind::pdq ? size_ : 0}; }
    /// Exact lists: digest i.
    virtual Digest digest(std::size_t i) const noexcept = 0;
    virtual std::string id(std::size_t i) const = 0;
    virtual std::string metadata(std::size_t i) const = 0;
    /// Bytes of memory held (a mapped snapshot: its mapping).
    virtual std::size_t memory_bytes() const noexcept = 0;
    /// The hashes as a vector when they are stored as one (no copy needed).
    virtual const std::vector<Hash256>* pdq_vector() const noexcept { return nullptr; }
    /// The snapshot the entries are read from, if any (it may store an index).
    virtual const Snapshot* snapshot() const noexcept { return nullptr; }
    /// vPDQ lists: the videos (entry i is video i).
    virtual const VpdqList* vpdq() const noexcept { return nullptr; }

protected:
    ListKind kind_ = ListKind::pdq;
    std::size_t size_ = 0;
    const Hash256* pdq_ = nullptr;
};

/// A parsed list (text lists, deltas merged into a base).
std::shared_ptr<const ListEntries> entries_of(std::shared_ptr<const HashList> list);

/// A vPDQ list: entry i is video i (its id and metadata).
std::shared_ptr<const ListEntries> entries_of(std::shared_ptr<const VpdqList> list);

/// A snapshot, mapped: opening costs the map and the snapshot's checks.
std::shared_ptr<const ListEntries> entries_of(std::unique_ptr<Snapshot> snapshot);

/// `count` binary hashes (PDQ: 32 bytes as the hex digits spell them; digests:
/// 16/20/32 bytes), duplicates dropped (the first kept); entry ids are the
/// hashes' positions, 1-based, and there is no metadata.
Error binary_entries(const std::uint8_t* data, std::size_t count, HashKind kind,
                     std::shared_ptr<const ListEntries>& out, std::size_t& duplicates);

/// An exact list must hold only digests of its kind.
Error check_digest_kinds(const ListEntries& entries, const std::string& list, HashKind kind);

/// The entries as a HashList (copies; for merging a delta into a new base).
Error copy_entries(const ListEntries& from, HashList& out, const std::vector<std::uint32_t>& skip = {});

}  // namespace hashguard::scan
