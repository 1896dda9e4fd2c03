// The net content of imported feeds: entries keyed by (role, kind, hash), each
// with the contributions (source, id, provenance) of the records that listed
// it; tombstones retire contributions, and an entry without a live one is gone.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <vector>

#include <xxhash.h>

#include <array>
#include <stdexcept>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "common/secure.hpp"
#include "hashguard/json.hpp"
#include "import/feed.hpp"

namespace hashguard {

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// An entry: one hash of one kind and role. Digests and PDQ hashes are held as
// bytes; a vPDQ frame array lives in the arena.
struct Entry {
    bool allow;
    HashKind kind;
    std::uint8_t size;  // bytes (0 for vPDQ)
    std::array<std::uint8_t, 32> bytes;
    std::uint64_t text_off;  // vPDQ: the array in the arena
    std::uint32_t text_len;
    std::uint32_t head = kNone;  // newest contribution
    std::uint32_t alive = 0;
};

// Where records came from: one per (source, id), or per record without an id;
// its "k=v;..." text in the arena.
struct Prov {
    std::uint32_t source;
    std::uint64_t id_off, meta_off;
    std::uint32_t id_len, meta_len;
    std::uint32_t head = kNone;  // newest contribution
};

struct Contribution {
    std::uint32_t entry, prov, next_in_entry, next_in_prov;
    bool alive;
};

// Open addressing over item numbers (load <= 1/2); the caller gives each
// item's 64-bit hash and says when two are equal.
class FlatTable {
public:
    template <class Eq>
    std::uint32_t find(std::uint64_t h, Eq&& eq) const {
        if (slots_.empty()) return kNone;
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const std::uint32_t v = slots_[i];
            if (v == kNone) return kNone;
            if (hashes_[v] == h && eq(v)) return v;
        }
    }
    void insert(std::uint64_t h, std::uint32_t item) {
        if (hashes_.size() <= item) hashes_.resize(std::size_t{item} + 1, 0);
        hashes_[item] = h;
        if ((count_ + 1) * 2 > slots_.size()) grow();
        place(item);
        ++count_;
    }

private:
    void place(std::uint32_t item) {
        std::size_t i = hashes_[item] & mask_;
        while (slots_[i] != kNone) i = (i + 1) & mask_;
        slots_[i] = item;
    }
    void grow() {
        std::vector<std::uint32_t> old;
        old.swap(slots_);
        slots_.assign(std::max<std::size_t>(1024, old.size() * 2), kNone);
        mask_ = slots_.size() - 1;
        for (std::uint32_t v : old)
            if (v != kNone) place(v);
    }

    std::vector<std::uint32_t> slots_;
    std::vector<std::uint64_t> hashes_;
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
    std::vector<Entry> entries;
    std::vector<Prov> provs;
    std::vector<Contribution> contribs;
    std::vector<std::string> sources;
    std::string arena;  // provenance texts, ids, vPDQ arrays
    FlatTable by_hash, by_id;
    std::size_t live = 0;
    bool poisoned = false;
    // The last record's provenance: the next record reuses it when it says the
    // same (an NCMEC entry's fingerprints are one record each).
    FeedRecord last;
    std::uint32_t last_prov = kNone;

    ~Impl() {
        detail::wipe(arena);
        for (Entry& e : entries) detail::wipe(e.bytes.data(), e.bytes.size());
    }

    std::string_view text(std::uint64_t off, std::uint32_t len) const { return std::string_view(arena).substr(off, len); }

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
            return provs[p].source == source && text(provs[p].id_off, provs[p].id_len) == id;
        });
    }

    std::uint32_t prov_for(const FeedRecord& r);
    std::uint32_t entry_for(const FeedRecord& r);
    std::uint32_t find_entry(bool allow, HashKind kind, const std::string& hash) const;
    void add(const FeedRecord& r);
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
        Prov v{src, arena.size(), 0, static_cast<std::uint32_t>(r.id.size()), 0};
        arena += r.id;
        v.meta_off = arena.size();
        arena += provenance_text(r);
        v.meta_len = static_cast<std::uint32_t>(arena.size() - v.meta_off);
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
            return x.allow == allow && x.kind == kind && text(x.text_off, x.text_len) == hash;
        });
    }
    n = hash.size() / 2;
    if (n > b.size() || !detail::hex_decode(hash, b.data())) return kNone;
    return by_hash.find(key_hash(allow, kind, b.data(), n), [&](std::uint32_t e) {
        const Entry& x = entries[e];
        return x.allow == allow && x.kind == kind && x.size == n && std::memcmp(x.bytes.data(), b.data(), n) == 0;
    });
}

std::uint32_t ImportSet::Impl::entry_for(const FeedRecord& r) {
    const std::uint32_t found = find_entry(r.allow, r.kind, r.hash);
    if (found != kNone) return found;
    Entry e{r.allow, r.kind, 0, {}, 0, 0};
    std::uint64_t h;
    if (r.kind == HashKind::vpdq) {
        e.text_off = arena.size();
        e.text_len = static_cast<std::uint32_t>(r.hash.size());
        arena += r.hash;
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

void ImportSet::Impl::add(const FeedRecord& r) {
    const std::uint32_t p = prov_for(r), e = entry_for(r);
    Entry& x = entries[e];
    for (std::uint32_t c = x.head; c != kNone; c = contribs[c].next_in_entry)
        if (contribs[c].prov == p) {  // the same record again (a re-sent page), or listed again after removal
            if (!contribs[c].alive) {
                contribs[c].alive = true;
                if (x.alive++ == 0) ++live;
            }
            return;
        }
    const auto c = static_cast<std::uint32_t>(contribs.size());
    contribs.push_back(Contribution{e, p, x.head, provs[p].head, true});
    x.head = c;
    provs[p].head = c;
    if (x.alive++ == 0) ++live;
}

void ImportSet::Impl::retire(std::uint32_t c) {
    Contribution& k = contribs[c];
    if (!k.alive) return;
    k.alive = false;
    if (--entries[k.entry].alive == 0) --live;
}

// A tombstone: by hash, the source's contributions to that hash (either
// role); by id, every contribution the source made under that id.
void ImportSet::Impl::remove(const FeedRecord& r) {
    const std::uint32_t src = source_index(r.source);
    if (r.hash.empty()) {
        const std::uint32_t p = find_prov(src, r.id);
        if (p == kNone) return;
        for (std::uint32_t c = provs[p].head; c != kNone; c = contribs[c].next_in_prov) retire(c);
        return;
    }
    for (bool allow : {false, true}) {
        const std::uint32_t e = find_entry(allow, r.kind, r.hash);
        if (e == kNone) continue;
        for (std::uint32_t c = entries[e].head; c != kNone; c = contribs[c].next_in_entry)
            if (provs[contribs[c].prov].source == src) retire(c);
    }
}

// The first (oldest) live contribution's id and every live one's provenance, oldest first.
void ImportSet::Impl::describe(const Entry& e, std::string& id, std::string& meta) const {
    std::vector<std::uint32_t> live_provs;
    for (std::uint32_t c = e.head; c != kNone; c = contribs[c].next_in_entry)
        if (contribs[c].alive) live_provs.push_back(contribs[c].prov);
    id.clear();
    meta.clear();
    for (auto it = live_provs.rbegin(); it != live_provs.rend(); ++it) {
        const Prov& p = provs[*it];
        if (id.empty()) id = text(p.id_off, p.id_len);
        if (!meta.empty()) meta += " | ";
        meta += text(p.meta_off, p.meta_len);
    }
}

ImportSet::ImportSet() : impl_(std::make_unique<Impl>()) {}
ImportSet::~ImportSet() = default;

Error ImportSet::apply(const FeedRecord& r) noexcept {
    return detail::guard([&]() -> Error {
        if (impl_->poisoned)
            return {Status::invalid_argument, "this import was left incomplete by an earlier failure; start a new one"};
        if (impl_->entries.size() >= 0xFFFFFFF0u || impl_->contribs.size() >= 0xFFFFFFF0u)
            return {Status::invalid_argument, "an import holds at most 2^32 - 16 entries"};
        if (r.tombstone) impl_->remove(r);
        else if (r.hash.empty()) return {Status::invalid_argument, "a record to add has no hash"};
        else impl_->add(r);
        return {};
    });
}

// All or nothing: a strict read is checked in full before anything is applied
// (two passes over one mapping; parsing costs a fraction of applying). A
// failure while applying (out of memory, the file changed under the mapping)
// poisons the set: it refuses further use rather than be written half done.
Error ImportSet::apply_file(const std::string& path, const FeedOptions& options, FeedReport* report) noexcept {
    return detail::guard([&]() -> Error {
        feeds::MappedFile m;
        if (Error e = feeds::map_file(path, options.max_file_bytes, m)) return e;
        if (!options.skip_bad_records)
            if (Error e = read_feed(m.text(), path, options, [](const FeedRecord&) { return Error{}; }, report)) return e;
        Error e = read_feed(m.text(), path, options, [&](const FeedRecord& r) { return apply(r); }, report);
        if (e) impl_->poisoned = true;
        return e;
    });
}

std::size_t ImportSet::size() const noexcept { return impl_->live; }

std::vector<ImportGroup> ImportSet::groups() const {
    std::vector<ImportGroup> out;
    for (bool allow : {false, true})
        for (HashKind k : {HashKind::pdq, HashKind::md5, HashKind::sha1, HashKind::sha256, HashKind::vpdq}) {
            std::size_t n = 0;
            for (const Entry& e : impl_->entries) n += e.alive && e.allow == allow && e.kind == k;
            if (n) out.push_back(ImportGroup{allow, k, n});
        }
    return out;
}

Error ImportSet::to_list(bool allow, HashKind kind, HashList& out) const noexcept {
    return detail::guard([&]() -> Error {
        if (kind == HashKind::vpdq) return {Status::invalid_argument, "a vPDQ group is text: use vpdq_text()"};
        secure_clear(out);
        out.kind = kind == HashKind::pdq ? ListKind::pdq : ListKind::exact;
        std::string id, meta;
        for (const Entry& e : impl_->entries) {
            if (!e.alive || e.allow != allow || e.kind != kind) continue;
            if (kind == HashKind::pdq) {
                Hash256 h;
                if (!Hash256::from_hex(detail::hex_string(e.bytes.data(), 32), h))
                    return {Status::internal, "an imported PDQ hash does not parse"};
                out.pdq.push_back(h);
            } else {
                Digest d;
                d.kind = kind;
                d.size = e.size;
                std::memcpy(d.bytes.data(), e.bytes.data(), e.size);
                out.digests.push_back(d);
            }
            impl_->describe(e, id, meta);
            out.ids.push_back(id.empty() ? std::to_string(out.ids.size() + 1) : id);
            out.metadata.push_back(meta);
        }
        return {};
    });
}

Error ImportSet::vpdq_text(bool allow, std::string& out) const noexcept {
    return detail::guard([&]() -> Error {
        out.clear();
        std::string id, meta;
        for (const Entry& e : impl_->entries) {
            if (!e.alive || e.allow != allow || e.kind != HashKind::vpdq) continue;
            impl_->describe(e, id, meta);
            for (char& c : id)
                if (c == '\t' || c == '\n' || c == '\r' || c == '[') c = ' ';
            out += (id.empty() ? "video" : id) + "\t";
            out += impl_->text(e.text_off, e.text_len);
            out += "\t" + meta + "\n";
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
        std::string config;
        json::Writer w(config);
        w.begin_object().key("lists").begin_array();
        for (const ImportGroup& g : gs) {
            const std::string file = group_file(g.allow, g.kind), path = dir + "/" + file;
            if (Error e = write_group(*this, g, path, o)) return e;
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
