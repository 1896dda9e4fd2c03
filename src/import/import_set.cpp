// The net content of imported feeds: entries keyed by (role, kind, hash), each
// with the contributions (source, id, provenance) of the records that listed
// it; tombstones retire contributions, and an entry without a live one is gone.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "common/secure.hpp"
#include "hashguard/json.hpp"
#include "import/feed.hpp"

namespace hashguard {

namespace {

struct Contribution {
    std::uint32_t entry;
    bool alive;
    std::string source, id, meta;
};

struct Entry {
    bool allow;
    HashKind kind;
    std::string hash;
    std::vector<std::uint32_t> contribs;
    std::uint32_t alive = 0;
};

std::string entry_key(bool allow, HashKind kind, std::string_view hash) {
    std::string k;
    k.reserve(hash.size() + 2);
    k.push_back(allow ? 'a' : 'b');
    k.push_back(static_cast<char>('0' + static_cast<int>(kind)));
    k.append(hash);
    return k;
}

std::string id_key(std::string_view source, std::string_view id) {
    std::string k(source);
    k.push_back('\x1f');
    k.append(id);
    return k;
}

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
    std::vector<Contribution> contribs;
    std::unordered_map<std::string, std::uint32_t> by_key;
    std::unordered_map<std::string, std::vector<std::uint32_t>> by_id;  // source + id -> contributions
    std::size_t live = 0;

    ~Impl() {
        for (auto& e : entries) detail::wipe(e.hash);
        for (auto& c : contribs)
            for (std::string* s : {&c.source, &c.id, &c.meta}) detail::wipe(*s);
    }

    void retire(std::uint32_t c) {
        Contribution& k = contribs[c];
        if (!k.alive) return;
        k.alive = false;
        Entry& e = entries[k.entry];
        if (--e.alive == 0) --live;
    }

    void add(const FeedRecord& r) {
        const std::string key = entry_key(r.allow, r.kind, r.hash);
        auto [it, fresh] = by_key.try_emplace(key, static_cast<std::uint32_t>(entries.size()));
        if (fresh) entries.push_back(Entry{r.allow, r.kind, r.hash, {}, 0});
        Entry& e = entries[it->second];
        for (std::uint32_t c : e.contribs)  // the same record again (a re-sent page): nothing new
            if (contribs[c].alive && contribs[c].source == r.source && contribs[c].id == r.id) return;
        const auto c = static_cast<std::uint32_t>(contribs.size());
        contribs.push_back(Contribution{it->second, true, r.source, r.id, provenance_text(r)});
        e.contribs.push_back(c);
        if (e.alive++ == 0) ++live;
        if (!r.id.empty()) by_id[id_key(r.source, r.id)].push_back(c);
    }

    // A tombstone: by hash, the source's contributions to that hash (either
    // role); by id, every contribution the source made under that id.
    void remove(const FeedRecord& r) {
        if (r.hash.empty()) {
            const auto it = by_id.find(id_key(r.source, r.id));
            if (it == by_id.end()) return;
            for (std::uint32_t c : it->second) retire(c);
            by_id.erase(it);
            return;
        }
        for (bool allow : {false, true}) {
            const auto it = by_key.find(entry_key(allow, r.kind, r.hash));
            if (it == by_key.end()) continue;
            for (std::uint32_t c : entries[it->second].contribs)
                if (contribs[c].source == r.source) retire(c);
        }
    }

    // The id and joined provenance of a live entry.
    void describe(const Entry& e, std::string& id, std::string& meta) const {
        id.clear();
        meta.clear();
        for (std::uint32_t c : e.contribs) {
            const Contribution& k = contribs[c];
            if (!k.alive) continue;
            if (id.empty()) id = k.id;
            if (!meta.empty()) meta += " | ";
            meta += k.meta;
        }
    }
};

ImportSet::ImportSet() : impl_(std::make_unique<Impl>()) {}
ImportSet::~ImportSet() = default;

Error ImportSet::apply(const FeedRecord& r) noexcept {
    return detail::guard([&]() -> Error {
        if (impl_->entries.size() >= 0xFFFFFFF0u || impl_->contribs.size() >= 0xFFFFFFF0u)
            return {Status::invalid_argument, "an import holds at most 2^32 - 16 entries"};
        if (r.tombstone) impl_->remove(r);
        else if (r.hash.empty()) return {Status::invalid_argument, "a record to add has no hash"};
        else impl_->add(r);
        return {};
    });
}

Error ImportSet::apply_file(const std::string& path, const FeedOptions& options, FeedReport* report) noexcept {
    return detail::guard([&]() -> Error {
        std::vector<FeedRecord> records;
        if (Error e = read_feed_file(path, options, [&](const FeedRecord& r) {
                records.push_back(r);
                return Error{};
            }, report))
            return e;
        for (const FeedRecord& r : records)
            if (Error e = apply(r)) return e;
        return {};
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
                if (!Hash256::from_hex(e.hash, h)) return {Status::internal, "an imported PDQ hash does not parse"};
                out.pdq.push_back(h);
            } else {
                Digest d;
                d.kind = kind;
                d.size = static_cast<std::uint8_t>(e.hash.size() / 2);
                if (!detail::hex_decode(e.hash, d.bytes.data())) return {Status::internal, "an imported digest does not parse"};
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
            out += (id.empty() ? "video" : id) + "\t" + e.hash + "\t" + meta + "\n";
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
