// The net content of imported feeds: entries keyed by (role, kind, hash), each
// with the contributions (source, id, provenance) of the records that listed
// it; tombstones retire contributions, and an entry without a live one is gone.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <xxhash.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <stdexcept>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "common/secure.hpp"
#include "hashguard/json.hpp"
#include "hashguard/video.hpp"
#include "import/feed.hpp"
#include "index/index_impl.hpp"

namespace hashguard {

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// An entry: one hash of one kind and role. Digests and PDQ hashes are held as
// bytes; a vPDQ frame array lives in the arena (its handle and length in `bytes`).
struct Entry {
    std::array<std::uint8_t, 32> bytes;
    std::uint32_t head = kNone;  // newest contribution
    std::uint32_t alive = 0;     // live contributions
    std::uint32_t count = 0;     // contributions (kMaxPerEntry at most)
    bool allow;
    std::uint8_t kind;  // HashKind
    std::uint8_t size;  // bytes (0 for vPDQ)

    HashKind hash_kind() const { return static_cast<HashKind>(kind); }
    void set_text(std::uint64_t handle, std::uint32_t len) {
        std::memcpy(bytes.data(), &handle, 8);
        std::memcpy(bytes.data() + 8, &len, 4);
    }
    std::uint64_t text_handle() const {
        std::uint64_t h;
        std::memcpy(&h, bytes.data(), 8);
        return h;
    }
    std::uint32_t text_len() const {
        std::uint32_t n;
        std::memcpy(&n, bytes.data() + 8, 4);
        return n;
    }
};

// Items in fixed chunks: growing never copies (or faults in) what is there.
template <class T>
class Chunked {
public:
    std::size_t size() const { return size_; }
    T& operator[](std::size_t i) { return chunks_[i >> kShift][i & (kChunk - 1)]; }
    const T& operator[](std::size_t i) const { return chunks_[i >> kShift][i & (kChunk - 1)]; }
    void push_back(const T& v) {
        if ((size_ >> kShift) == chunks_.size()) chunks_.emplace_back(new T[kChunk]);
        (*this)[size_++] = v;
    }
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
    }
    void truncate(std::size_t n) {
        size_ = std::min(size_, n);
        chunks_.resize((size_ + kChunk - 1) >> kShift);
    }

private:
    static constexpr std::size_t kShift = 12, kChunk = std::size_t{1} << kShift;
    std::vector<std::unique_ptr<T[]>> chunks_;
    std::size_t size_ = 0;
};

// Strings in blocks of 64 KiB doubling to 16 MiB (a longer string gets a block of its own); a handle is
// block << 32 | offset. Wiped when freed.
class Arena {
public:
    ~Arena() {
        for (std::string& b : blocks_) detail::wipe(b);
    }
    std::uint64_t put(std::string_view s) {
        if (blocks_.empty() || blocks_.back().size() + s.size() > blocks_.back().capacity()) {
            const std::size_t block = std::min(kMaxBlock, kFirstBlock << std::min<std::size_t>(blocks_.size(), 16));
            blocks_.emplace_back();
            blocks_.back().reserve(std::max(block, s.size()));
        }
        const std::uint64_t h = (static_cast<std::uint64_t>(blocks_.size() - 1) << 32) | blocks_.back().size();
        blocks_.back().append(s);
        return h;
    }
    std::string_view get(std::uint64_t h, std::uint32_t len) const {
        return std::string_view(blocks_[h >> 32]).substr(h & 0xFFFFFFFFu, len);
    }
    /// Where the next string goes; truncate(mark()) forgets (and wipes) everything put since.
    std::pair<std::size_t, std::size_t> mark() const {
        return {blocks_.size(), blocks_.empty() ? 0 : blocks_.back().size()};
    }
    void truncate(std::pair<std::size_t, std::size_t> m) {
        while (blocks_.size() > m.first) {
            detail::wipe(blocks_.back());
            blocks_.pop_back();
        }
        if (!blocks_.empty()) {
            std::string& b = blocks_.back();
            detail::wipe(b.data() + m.second, b.size() - m.second);
            b.resize(m.second);
        }
    }

private:
    static constexpr std::size_t kFirstBlock = std::size_t{64} << 10, kMaxBlock = std::size_t{16} << 20;
    std::vector<std::string> blocks_;
};

// Where records came from: one per (source, id), or per record without an id;
// its "k=v;..." text in the arena.
struct Prov {
    std::uint64_t id, meta;  // arena handles
    std::uint32_t id_len, meta_len, source;
    std::uint32_t head = kNone;  // newest contribution
    std::uint32_t alive = 0, count = 0;
};

// Bounds on the lists a tombstone walks, so that a hostile feed cannot make an
// import quadratic: hashes under one (source, id), records listing one hash.
constexpr std::uint32_t kMaxPerProv = 1024, kMaxPerEntry = 1024;

struct Contribution {
    std::uint32_t entry, prov, next_in_entry, next_in_prov;
    bool alive;
};

// Open addressing over item numbers (load <= 1/2). A slot holds the item and
// the high half of its 64-bit hash, so a probe rejects other items without
// touching them (one cache miss per lookup, not one per probed item); the
// caller says when two items with the same hash are equal.
class FlatTable {
public:
    template <class Eq>
    std::uint32_t find(std::uint64_t h, Eq&& eq) const {
        if (slots_.empty()) return kNone;
        const std::uint64_t tag = h & ~kItemMask;
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const std::uint64_t v = slots_[i];
            if (v == kEmpty) return kNone;
            if ((v & ~kItemMask) == tag && eq(static_cast<std::uint32_t>(v))) return static_cast<std::uint32_t>(v);
        }
    }
    void insert(std::uint64_t h, std::uint32_t item) {
        while (hashes_.size() <= item) hashes_.push_back(0);
        hashes_[item] = h;
        if ((count_ + 1) * 2 > slots_.size()) grow();
        place(item);
        ++count_;
    }
    /// Forgets every item numbered `limit` or more.
    void truncate(std::uint32_t limit) {
        std::vector<std::uint32_t> keep;
        for (std::uint64_t v : slots_)
            if (v != kEmpty && static_cast<std::uint32_t>(v) < limit) keep.push_back(static_cast<std::uint32_t>(v));
        std::fill(slots_.begin(), slots_.end(), kEmpty);
        for (std::uint32_t v : keep) place(v);
        count_ = keep.size();
        hashes_.truncate(limit);
    }

private:
    static constexpr std::uint64_t kEmpty = ~std::uint64_t{0}, kItemMask = 0xFFFFFFFFu;
    void place(std::uint32_t item) {
        const std::uint64_t h = hashes_[item];
        std::size_t i = h & mask_;
        while (slots_[i] != kEmpty) i = (i + 1) & mask_;
        slots_[i] = (h & ~kItemMask) | item;
    }
    void grow() {
        std::vector<std::uint64_t> old;
        old.swap(slots_);
        slots_.assign(std::max<std::size_t>(1024, old.size() * 2), kEmpty);
        mask_ = slots_.size() - 1;
        for (std::uint64_t v : old)
            if (v != kEmpty) place(static_cast<std::uint32_t>(v));
    }

    std::vector<std::uint64_t> slots_;
    Chunked<std::uint64_t> hashes_;  // per item number, for growing (never copied on growth)
    std::size_t mask_ = 0, count_ = 0;
};

std::string group_file(bool allow, HashKind kind) {
    return std::string(allow ? "allow-" : "") + hash_kind_name(kind) + (kind == HashKind::vpdq ? ".txt" : ".snap");
}

Error write_text_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return {Status::io_error, path + ": cannot write: " + std::strerror(errno)};
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                    ::fsync(::fileno(f)) == 0;
    if (std::fclose(f) != 0 || !ok) {
        std::remove(tmp.c_str());
        return {Status::io_error, path + ": write failed"};
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return {Status::io_error, path + ": cannot rename into place: " + std::strerror(errno)};
    }
    return {};
}

// mkdir -p.
Error make_dirs(const std::string& dir) {
    for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
        if (pos < dir.size() && dir[pos] != '/') continue;
        const std::string part = dir.substr(0, pos);
        struct stat st {};
        if (::stat(part.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
            return {Status::io_error, part + ": cannot create: " + std::strerror(errno)};
    }
    return {};
}

}  // namespace

struct ImportSet::Impl {
    Chunked<Entry> entries;
    Chunked<Prov> provs;
    Chunked<Contribution> contribs;
    std::vector<std::string> sources;
    Arena arena;  // provenance texts, ids, vPDQ arrays
    FlatTable by_hash, by_id;
    std::size_t live = 0;
    bool poisoned = false;
    // Undo for one file (apply_file): the contributions whose state changed, in
    // order; what existed when the file began.
    struct Savepoint {
        std::size_t entries, provs, contribs, sources;
        std::pair<std::size_t, std::size_t> arena;
    };
    std::vector<std::uint32_t> journal;  // each a change of that contribution's `alive` (undone by changing it back)
    bool journaling = false;
    void set_alive(std::uint32_t c, bool alive) {
        Contribution& k = contribs[c];
        if (k.alive == alive) return;
        if (journaling) journal.push_back(c);
        k.alive = alive;
        Entry& e = entries[k.entry];
        alive ? ++provs[k.prov].alive : --provs[k.prov].alive;
        if (alive ? e.alive++ == 0 : --e.alive == 0) alive ? ++live : --live;
    }
    Savepoint savepoint() {
        journal.clear();
        journaling = true;
        return {entries.size(), provs.size(), contribs.size(), sources.size(), arena.mark()};
    }
    void rollback(const Savepoint& sp);
    // The last record's provenance: the next record reuses it when it says the
    // same (an NCMEC entry's fingerprints are one record each).
    FeedRecord last;
    std::uint32_t last_prov = kNone;

    ~Impl() {
        for (std::size_t i = 0; i < entries.size(); ++i) detail::wipe(entries[i].bytes.data(), entries[i].bytes.size());
    }

    std::string_view text(std::uint64_t handle, std::uint32_t len) const { return arena.get(handle, len); }

    static std::uint64_t key_hash(bool allow, HashKind kind, const std::uint8_t* p, std::size_t n) {
        return XXH3_64bits_withSeed(p, n, (allow ? 16u : 0u) + static_cast<unsigned>(kind));
    }

    std::uint32_t source_index(const std::string& s) {
        for (std::size_t i = 0; i < sources.size(); ++i)
            if (sources[i] == s) return static_cast<std::uint32_t>(i);
        sources.push_back(s);
        return static_cast<std::uint32_t>(sources.size() - 1);
    }

    std::uint64_t id_hash(std::uint32_t source, std::string_view id) const {
        return XXH3_64bits_withSeed(id.data(), id.size(), source);
    }

    std::uint32_t find_prov(std::uint32_t source, std::string_view id) const {
        return by_id.find(id_hash(source, id), [&](std::uint32_t p) {
            return provs[p].source == source && text(provs[p].id, provs[p].id_len) == id;
        });
    }

    std::uint32_t prov_for(const FeedRecord& r);
    std::uint32_t entry_for(const FeedRecord& r);
    std::uint32_t find_entry(bool allow, HashKind kind, const std::string& hash) const;
    Error add(const FeedRecord& r);
    FlatTable by_pair;  // (entry, provenance) -> contribution
    static std::uint64_t pair_hash(std::uint32_t e, std::uint32_t p) {
        const std::uint64_t k = (std::uint64_t{e} << 32) | p;
        return XXH3_64bits(&k, sizeof k);
    }
    void remove(const FeedRecord& r);
    void retire(std::uint32_t c);
    void describe(const Entry& e, std::string& id, std::string& meta) const;
};

std::uint32_t ImportSet::Impl::prov_for(const FeedRecord& r) {
    if (last_prov != kNone && r.source == last.source && r.id == last.id && r.media == last.media &&
        r.labels == last.labels)
        return last_prov;
    const std::uint32_t src = source_index(r.source);
    std::uint32_t p = r.id.empty() ? kNone : find_prov(src, r.id);
    if (p == kNone) {
        p = static_cast<std::uint32_t>(provs.size());
        const std::string meta = provenance_text(r);
        Prov v{arena.put(r.id), arena.put(meta), static_cast<std::uint32_t>(r.id.size()),
               static_cast<std::uint32_t>(meta.size()), src};
        provs.push_back(v);
        if (!r.id.empty()) by_id.insert(id_hash(src, r.id), p);
    }
    last.source = r.source;
    last.id = r.id;
    last.media = r.media;
    last.labels = r.labels;
    last_prov = p;
    return p;
}

std::uint32_t ImportSet::Impl::find_entry(bool allow, HashKind kind, const std::string& hash) const {
    std::array<std::uint8_t, 32> b{};
    std::size_t n = 0;
    if (kind == HashKind::vpdq) {
        const std::uint64_t h = key_hash(allow, kind, reinterpret_cast<const std::uint8_t*>(hash.data()), hash.size());
        return by_hash.find(h, [&](std::uint32_t e) {
            const Entry& x = entries[e];
            return x.allow == allow && x.hash_kind() == kind && text(x.text_handle(), x.text_len()) == hash;
        });
    }
    n = hash.size() / 2;
    if (n > b.size() || !detail::hex_decode(hash, b.data())) return kNone;
    return by_hash.find(key_hash(allow, kind, b.data(), n), [&](std::uint32_t e) {
        const Entry& x = entries[e];
        return x.allow == allow && x.hash_kind() == kind && x.size == n && std::memcmp(x.bytes.data(), b.data(), n) == 0;
    });
}

std::uint32_t ImportSet::Impl::entry_for(const FeedRecord& r) {
    const std::uint32_t found = find_entry(r.allow, r.kind, r.hash);
    if (found != kNone) return found;
    Entry e{};
    e.allow = r.allow;
    e.kind = static_cast<std::uint8_t>(r.kind);
    std::uint64_t h;
    if (r.kind == HashKind::vpdq) {
        e.set_text(arena.put(r.hash), static_cast<std::uint32_t>(r.hash.size()));
        h = key_hash(r.allow, r.kind, reinterpret_cast<const std::uint8_t*>(r.hash.data()), r.hash.size());
    } else {
        e.size = static_cast<std::uint8_t>(r.hash.size() / 2);
        if (e.size > e.bytes.size() || !detail::hex_decode(r.hash, e.bytes.data()))
            throw std::invalid_argument("a record's hash is not hex");
        h = key_hash(r.allow, r.kind, e.bytes.data(), e.size);
    }
    const auto idx = static_cast<std::uint32_t>(entries.size());
    entries.push_back(e);
    by_hash.insert(h, idx);
    return idx;
}

Error ImportSet::Impl::add(const FeedRecord& r) {
    const std::uint32_t p = prov_for(r), e = entry_for(r);
    Entry& x = entries[e];
    // Most hashes are listed once: the (entry, provenance) table holds only
    // entries with two contributions or more.
    const std::uint32_t found =
        x.count == 0   ? kNone
        : x.count == 1 ? (contribs[x.head].prov == p ? x.head : kNone)
                       : by_pair.find(pair_hash(e, p), [&](std::uint32_t c) {
                             return contribs[c].entry == e && contribs[c].prov == p;
                         });
    if (found != kNone) {  // the same record again (a re-sent page), or listed again after removal
        set_alive(found, true);
        return {};
    }
    if (x.count >= kMaxPerEntry || provs[p].count >= kMaxPerProv)
        return {Status::list_format, "line " + std::to_string(r.line) + ": more than " +
                                         std::to_string(x.count >= kMaxPerEntry ? kMaxPerEntry : kMaxPerProv) +
                                         (x.count >= kMaxPerEntry ? " records list this hash" : " hashes under one id")};
    const auto c = static_cast<std::uint32_t>(contribs.size());
    contribs.push_back(Contribution{e, p, x.head, provs[p].head, false});
    if (x.count == 1) by_pair.insert(pair_hash(e, contribs[x.head].prov), x.head);  // the entry's first, now one of two
    if (x.count >= 1) by_pair.insert(pair_hash(e, p), c);
    x.head = c;
    provs[p].head = c;
    ++x.count;
    ++provs[p].count;
    set_alive(c, true);
    return {};
}

void ImportSet::Impl::retire(std::uint32_t c) { set_alive(c, false); }

// Back to the savepoint: changed contributions restored (newest change first),
// then what was appended unlinked (newest first) and dropped, the tables
// rebuilt without the dropped items.
void ImportSet::Impl::rollback(const Savepoint& sp) {
    journaling = false;
    for (auto it = journal.rbegin(); it != journal.rend(); ++it) set_alive(*it, !contribs[*it].alive);
    journal.clear();
    for (std::size_t c = contribs.size(); c-- > sp.contribs;) {
        const Contribution& k = contribs[c];
        set_alive(static_cast<std::uint32_t>(c), false);
        if (k.entry < sp.entries) {
            entries[k.entry].head = k.next_in_entry;
            --entries[k.entry].count;
        }
        if (k.prov < sp.provs) {
            provs[k.prov].head = k.next_in_prov;
            --provs[k.prov].count;
        }
    }
    for (std::size_t e = sp.entries; e < entries.size(); ++e) detail::wipe(entries[e].bytes.data(), entries[e].bytes.size());
    contribs.truncate(sp.contribs);
    entries.truncate(sp.entries);
    provs.truncate(sp.provs);
    sources.resize(sp.sources);
    arena.truncate(sp.arena);
    by_hash.truncate(static_cast<std::uint32_t>(sp.entries));
    by_id.truncate(static_cast<std::uint32_t>(sp.provs));
    by_pair.truncate(static_cast<std::uint32_t>(sp.contribs));
    last_prov = kNone;
}

// A tombstone: by hash, the source's contributions to that hash (either
// role); by id, every contribution the source made under that id.
void ImportSet::Impl::remove(const FeedRecord& r) {
    const std::uint32_t src = source_index(r.source);
    if (r.hash.empty()) {
        const std::uint32_t p = find_prov(src, r.id);
        if (p == kNone) return;
        for (std::uint32_t c = provs[p].head; c != kNone && provs[p].alive > 0; c = contribs[c].next_in_prov)
            retire(c);
        return;
    }
    for (bool allow : {false, true}) {
        const std::uint32_t e = find_entry(allow, r.kind, r.hash);
        if (e == kNone) continue;
        // Every live contribution visited at most once; stop when none is left unvisited.
        std::uint32_t unvisited = entries[e].alive;
        for (std::uint32_t c = entries[e].head; c != kNone && unvisited > 0; c = contribs[c].next_in_entry) {
            if (!contribs[c].alive) continue;
            --unvisited;
            if (provs[contribs[c].prov].source == src) retire(c);
        }
    }
}

// The first (oldest) live contribution's id and every live one's provenance,
// oldest first (most entries have one contribution: no list is built for them).
void ImportSet::Impl::describe(const Entry& e, std::string& id, std::string& meta) const {
    id.clear();
    meta.clear();
    const Contribution& newest = contribs[e.head];
    if (newest.alive && newest.next_in_entry == kNone) {
        const Prov& p = provs[newest.prov];
        id = text(p.id, p.id_len);
        meta = text(p.meta, p.meta_len);
        return;
    }
    std::vector<std::uint32_t> live_provs;
    for (std::uint32_t c = e.head; c != kNone; c = contribs[c].next_in_entry)
        if (contribs[c].alive) live_provs.push_back(contribs[c].prov);
    for (auto it = live_provs.rbegin(); it != live_provs.rend(); ++it) {
        const Prov& p = provs[*it];
        if (id.empty()) id = text(p.id, p.id_len);
        if (!meta.empty()) meta += " | ";
        meta += text(p.meta, p.meta_len);
    }
}

namespace {

// What apply() takes from any caller: a known kind and a hash of its form
// (the readers give nothing else; a library caller might).
Error check_record(const FeedRecord& r) {
    const int k = static_cast<int>(r.kind);
    if (k < 0 || k > static_cast<int>(HashKind::vpdq)) return {Status::invalid_argument, "a record of an unknown hash kind"};
    if (r.hash.empty()) {
        if (!r.tombstone) return {Status::invalid_argument, "a record to add has no hash"};
        if (r.id.empty()) return {Status::invalid_argument, "a tombstone with neither a hash nor an id"};
        return {};
    }
    if (r.kind == HashKind::vpdq)
        return r.hash.front() == '[' && r.hash.back() == ']' ? Error{}
                                                              : Error{Status::invalid_argument, "a vPDQ record's hash is not a JSON array"};
    static const std::size_t kDigits[] = {64, 32, 40, 64};
    std::array<std::uint8_t, 32> b{};
    if (r.hash.size() != kDigits[k] || !detail::hex_decode(r.hash, b.data()))
        return {Status::invalid_argument, std::string("a ") + hash_kind_name(r.kind) + " record's hash is not " +
                                              std::to_string(kDigits[k]) + " hex digits"};
    return {};
}

}  // namespace

ImportSet::ImportSet() : impl_(std::make_unique<Impl>()) {}
ImportSet::~ImportSet() = default;

Error ImportSet::apply(const FeedRecord& r) noexcept {
    return detail::guard([&]() -> Error {
        if (impl_->poisoned)
            return {Status::invalid_argument, "this import was left incomplete by an earlier failure; start a new one"};
        if (impl_->entries.size() >= 0xFFFFFFF0u || impl_->contribs.size() >= 0xFFFFFFF0u)
            return {Status::invalid_argument, "an import holds at most 2^32 - 16 entries"};
        if (Error e = check_record(r)) return e;
        if (r.tombstone) {
            impl_->remove(r);
            return {};
        }
        return impl_->add(r);
    });
}

namespace {

// Reading and applying on two threads: the reader copies records into batches
// (slots reused, so their strings keep their capacity), the applier takes the
// batches in order. A failure on either side stops both.
class RecordPipe {
public:
    explicit RecordPipe(const FeedSink& apply) : apply_(apply) {
        for (auto& b : slots_) b.records.resize(kBatch);
    }
    ~RecordPipe() {  // the copies held hashes and provenance: wiped
        for (auto& b : slots_)
            for (FeedRecord& r : b.records) {
                detail::wipe(r.hash);
                detail::wipe(r.id);
                for (auto& [k, v] : r.labels) detail::wipe(v);
            }
    }

    // Reader side.
    Error put(const FeedRecord& r) {
        Batch& b = slots_[written_ % kSlots];
        b.records[b.count++] = r;
        return b.count == kBatch ? publish(false) : Error{};
    }
    Error finish() { return publish(true); }
    void stop() {
        std::lock_guard<std::mutex> lock(m_);
        stopped_ = true;
        cv_.notify_all();
    }

    // Applier side: runs until the reader finishes or either side stops.
    void run() noexcept {
        for (;;) {
            std::unique_lock<std::mutex> lock(m_);
            cv_.wait(lock, [&] { return stopped_ || read_ < written_ || done_; });
            if (stopped_ || read_ == written_) return;
            Batch& b = slots_[read_ % kSlots];
            lock.unlock();
            Error e;
            for (std::size_t i = 0; i < b.count && !e; ++i) e = apply_(b.records[i]);
            lock.lock();
            b.count = 0;
            ++read_;
            if (e) {
                error_ = std::move(e);
                stopped_ = true;
            }
            cv_.notify_all();
        }
    }
    Error error() {
        std::lock_guard<std::mutex> lock(m_);
        return error_;
    }

private:
    static constexpr std::size_t kBatch = 256, kSlots = 4;
    struct Batch {
        std::vector<FeedRecord> records;
        std::size_t count = 0;
    };

    Error publish(bool last) {
        std::unique_lock<std::mutex> lock(m_);
        if (slots_[written_ % kSlots].count > 0) ++written_;
        done_ = last;
        cv_.notify_all();
        cv_.wait(lock, [&] { return stopped_ || last || written_ - read_ < kSlots; });
        return stopped_ ? Error{Status::internal, "stopped"} : Error{};
    }

    const FeedSink& apply_;
    Batch slots_[kSlots];
    std::mutex m_;
    std::condition_variable cv_;
    std::size_t written_ = 0, read_ = 0;
    bool done_ = false, stopped_ = false;
    Error error_;
};

// Reads `text` and applies its records through `apply`, reading and applying
// on two threads when a second one can be started.
Error read_and_apply(std::string_view text, const std::string& path, const FeedOptions& options,
                     const FeedSink& apply, FeedReport* report) {
    RecordPipe pipe(apply);
    std::thread applier;
    try {
        applier = std::thread([&pipe]() noexcept { pipe.run(); });
    } catch (...) {
        return read_feed(text, path, options, apply, report);
    }
    // On a reader error the records before it are still applied (then rolled
    // back by the caller): the same states as reading on one thread.
    Error e = read_feed(text, path, options, [&](const FeedRecord& r) { return pipe.put(r); }, report);
    if (Error pe = pipe.error()) e = pe;  // the applier failed first: the reader was stopped
    if (Error f = pipe.finish(); f && !e) e = f;
    applier.join();
    Error pe = pipe.error();
    return pe ? pe : e;
}

}  // namespace

// All or nothing: on any error, what the file applied is rolled back (a
// journal of the contributions it changed; what it appended is dropped). A
// failure while rolling back (out of memory) poisons the set: it refuses
// further use rather than be written half done.
Error ImportSet::apply_file(const std::string& path, const FeedOptions& options, FeedReport* report) noexcept {
    return detail::guard([&]() -> Error {
        if (impl_->poisoned)
            return {Status::invalid_argument, "this import was left incomplete by an earlier failure; start a new one"};
        feeds::MappedFile m;
        if (Error e = feeds::map_file(path, options.max_file_bytes, m)) return e;
        const Impl::Savepoint sp = impl_->savepoint();
        Error e = read_and_apply(m.text(), path, options, [&](const FeedRecord& r) { return apply(r); }, report);
        impl_->journaling = false;
        if (e) {
            impl_->poisoned = true;
            impl_->rollback(sp);
            impl_->poisoned = false;
        }
        impl_->journal = {};
        return e;
    });
}

std::size_t ImportSet::size() const noexcept { return impl_->live; }

std::vector<ImportGroup> ImportSet::groups() const {
    std::size_t n[2][5] = {};
    impl_->entries.for_each([&](const Entry& e) {
        if (e.alive) ++n[e.allow][e.kind];
    });
    std::vector<ImportGroup> out;
    for (bool allow : {false, true})
        for (HashKind k : {HashKind::pdq, HashKind::md5, HashKind::sha1, HashKind::sha256, HashKind::vpdq})
            if (const std::size_t c = n[allow][static_cast<int>(k)]) out.push_back(ImportGroup{allow, k, c});
    return out;
}

Error ImportSet::to_list(bool allow, HashKind kind, HashList& out) const noexcept {
    return detail::guard([&]() -> Error {
        if (kind == HashKind::vpdq) return {Status::invalid_argument, "a vPDQ group is text: use vpdq_text()"};
        secure_clear(out);
        out.kind = kind == HashKind::pdq ? ListKind::pdq : ListKind::exact;
        std::size_t n = 0;  // reserved once: no growth frees an unwiped copy
        impl_->entries.for_each([&](const Entry& e) { n += e.alive && e.allow == allow && e.hash_kind() == kind; });
        (kind == HashKind::pdq ? out.pdq.reserve(n) : out.digests.reserve(n));
        out.ids.reserve(n);
        out.metadata.reserve(n);
        std::string id, meta;
        for (std::size_t i = 0; i < impl_->entries.size(); ++i) {
            const Entry& e = impl_->entries[i];
            if (!e.alive || e.allow != allow || e.hash_kind() != kind) continue;
            if (kind == HashKind::pdq) {
                out.pdq.push_back(Hash256::from_bytes(e.bytes.data()));
            } else {
                Digest d;
                d.kind = kind;
                d.size = e.size;
                std::memcpy(d.bytes.data(), e.bytes.data(), e.size);
                out.digests.push_back(d);
            }
            impl_->describe(e, id, meta);
            if (id.empty()) id = std::to_string(out.ids.size() + 1);
            out.ids.emplace_back(std::move(id));  // moved: describe() assigns afresh
            out.metadata.emplace_back(std::move(meta));
        }
        return {};
    });
}

Error ImportSet::vpdq_text(bool allow, std::string& out) const noexcept {
    return detail::guard([&]() -> Error {
        out.clear();
        std::string id, meta;
        for (std::size_t i = 0; i < impl_->entries.size(); ++i) {
            const Entry& e = impl_->entries[i];
            if (!e.alive || e.allow != allow || e.hash_kind() != HashKind::vpdq) continue;
            impl_->describe(e, id, meta);
            append_vpdq_list_line(out, id.empty() ? "video" : id, impl_->text(e.text_handle(), e.text_len()), meta);
        }
        return {};
    });
}

namespace {

Error write_group(const ImportSet& set, const ImportGroup& g, const std::string& path, const ImportWriteOptions& o) {
    if (g.kind == HashKind::vpdq) {
        std::string text;
        if (Error e = set.vpdq_text(g.allow, text)) return e;
        Error e = write_text_file(path, text);
        detail::wipe(text);
        return e;
    }
    HashList list;
    if (Error e = set.to_list(g.allow, g.kind, list)) return e;
    SnapshotOptions so;
    so.index = g.kind == HashKind::pdq ? o.index : "none";
    so.radius = o.threshold;
    Error e = save_snapshot(list, path, so);
    secure_clear(list);
    return e;
}

}  // namespace

Error ImportSet::write(const std::string& dir, const ImportWriteOptions& o, std::vector<std::string>* written) const noexcept {
    return detail::guard([&]() -> Error {
        const std::vector<ImportGroup> gs = groups();
        if (gs.empty()) return {Status::list_format, "nothing to write: the feeds left no entries"};
        if (Error e = make_dirs(dir)) return e;
        // The groups are independent: written on every core (the PDQ snapshot's
        // index build beside the digest snapshots).
        std::vector<Error> errors(gs.size());
        std::atomic<std::size_t> next{0};
        auto work = [&]() noexcept {
            for (std::size_t i; (i = next.fetch_add(1)) < gs.size();)
                errors[i] = detail::guard([&] { return write_group(*this, gs[i], dir + "/" + group_file(gs[i].allow, gs[i].kind), o); });
        };
        detail::run_on_threads(static_cast<int>(std::min<std::size_t>(gs.size(), std::max(1u, std::thread::hardware_concurrency()))), work);
        for (const Error& e : errors)
            if (e) return e;
        std::string config;
        json::Writer w(config);
        w.begin_object().key("lists").begin_array();
        for (const ImportGroup& g : gs) {
            const std::string file = group_file(g.allow, g.kind), path = dir + "/" + file;
            if (written) written->push_back(path);
            w.begin_object()
                .field("name", o.name + (g.allow ? "-allow-" : "-") + hash_kind_name(g.kind))
                .field("path", file)
                .field("kind", hash_kind_name(g.kind))
                .field("role", g.allow ? "allow" : "block");
            if (g.kind == HashKind::pdq || g.kind == HashKind::vpdq) w.field("threshold", o.threshold);
            w.end_object();
        }
        w.end_array().end_object();
        config += "\n";
        const std::string path = dir + "/lists.json";
        if (Error e = write_text_file(path, config)) return e;
        if (written) written->push_back(path);
        return {};
    });
}

}  // namespace hashguard
