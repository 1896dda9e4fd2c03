#include "scan/delta.hpp"

#include <xxhash.h>

#include <string>

#include "common/errors.hpp"
#include "common/secure.hpp"

namespace hashguard::scan {

namespace {

// The delta's lines of one sign, the others blanked: line numbers (and so the
// error messages) stay those of the delta text.
std::string lines_of_sign(std::string_view text, bool removals) {
    std::string out(text);
    std::size_t pos = 0;
    while (pos < out.size()) {
        std::size_t end = out.find_first_of("\r\n", pos);
        if (end == std::string::npos) end = out.size();
        std::size_t first = out.find_first_not_of(" \t", pos);
        const bool is_removal = first < end && out[first] == '-';
        const bool is_addition = first < end && out[first] == '+';
        if (is_removal != removals) std::fill(out.begin() + static_cast<std::ptrdiff_t>(pos),
                                              out.begin() + static_cast<std::ptrdiff_t>(end), ' ');
        else if (is_removal || is_addition) out[first] = ' ';
        pos = end + 1;
    }
    return out;
}

// Finds entries of the working set (the additions so far) by hash.
struct AddedIndex {
    HashList& added;
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_key;

    explicit AddedIndex(HashList& a) : added(a) {
        for (std::uint32_t i = 0; i < added.size(); ++i) by_key[key_of(i)].push_back(i);
    }
    std::uint64_t key(const Hash256& h, const Digest& d) const {
        return added.kind == ListKind::pdq ? XXH3_64bits(h.w.data(), sizeof h.w) : XXH3_64bits(d.bytes.data(), d.size);
    }
    std::uint64_t key_of(std::uint32_t i) const {
        return added.kind == ListKind::pdq ? key(added.pdq[i], {}) : key({}, added.digests[i]);
    }
    bool same(std::uint32_t i, const Hash256& h, const Digest& d) const {
        return added.kind == ListKind::pdq ? added.pdq[i] == h : added.digests[i] == d;
    }
    long find(const Hash256& h, const Digest& d) const {
        const auto it = by_key.find(key(h, d));
        if (it != by_key.end())
            for (std::uint32_t i : it->second)
                if (same(i, h, d)) return i;
        return -1;
    }
    // Swap-removes entry i (the last takes its place), wiping the vacated strings.
    void erase(std::uint32_t i) {
        const std::uint32_t last = static_cast<std::uint32_t>(added.size() - 1);
        auto drop = [&](std::uint32_t k) { std::erase(by_key[key_of(k)], k); };
        drop(i);
        if (i != last) {
            drop(last);
            if (added.kind == ListKind::pdq) added.pdq[i] = added.pdq[last];
            else added.digests[i] = added.digests[last];
            std::swap(added.ids[i], added.ids[last]);
            std::swap(added.metadata[i], added.metadata[last]);
            by_key[key_of(i)].push_back(i);
        }
        detail::wipe(added.ids.back());
        detail::wipe(added.metadata.back());
        if (added.kind == ListKind::pdq) added.pdq.pop_back();
        else added.digests.pop_back();
        added.ids.pop_back();
        added.metadata.pop_back();
    }
    void push(const HashList& from, std::size_t j) {
        if (added.kind == ListKind::pdq) added.pdq.push_back(from.pdq[j]);
        else added.digests.push_back(from.digests[j]);
        added.ids.push_back(from.ids[j]);
        added.metadata.push_back(from.metadata[j]);
        by_key[key_of(static_cast<std::uint32_t>(added.size() - 1))].push_back(static_cast<std::uint32_t>(added.size() - 1));
    }
};

// The base entry with this hash, or -1.
Error find_in_base(const DeltaBase& base, const HashList& l, std::size_t j, std::vector<IndexMatch>& hits,
                   long& entry) {
    entry = -1;
    if (l.kind == ListKind::pdq) {
        hits.clear();
        if (Error e = base.index->range_search(&l.pdq[j], 1, 0, hits)) return e;
        if (!hits.empty()) entry = hits.front().entry;
    } else {
        base.exact->for_each_equal(*base.entries, l.digests[j], [&](std::uint32_t e) { entry = e; });
    }
    return {};
}

struct Applier {
    const DeltaBase& base;
    ListDelta& d;
    AddedIndex added;
    std::vector<IndexMatch> hits;
    std::vector<std::uint32_t> unremove, remove;

    Error removals(const HashList& rems) {
        for (std::size_t j = 0; j < rems.size(); ++j) {
            const Hash256 h = rems.kind == ListKind::pdq ? rems.pdq[j] : Hash256{};
            const Digest dg = rems.kind == ListKind::pdq ? Digest{} : rems.digests[j];
            if (const long i = added.find(h, dg); i >= 0) {
                added.erase(static_cast<std::uint32_t>(i));
                continue;
            }
            long e = -1;
            if (Error err = find_in_base(base, rems, j, hits, e)) return err;
            if (e >= 0 && !d.removes(static_cast<std::uint32_t>(e))) remove.push_back(static_cast<std::uint32_t>(e));
            else ++d.ignored;
        }
        merge_sorted(d.removed, remove);
        return {};
    }

    Error additions(const HashList& adds) {
        for (std::size_t j = 0; j < adds.size(); ++j) {
            const Hash256 h = adds.kind == ListKind::pdq ? adds.pdq[j] : Hash256{};
            const Digest dg = adds.kind == ListKind::pdq ? Digest{} : adds.digests[j];
            long e = -1;
            if (added.find(h, dg) >= 0) {
                ++d.ignored;
                continue;
            }
            if (Error err = find_in_base(base, adds, j, hits, e)) return err;
            if (e < 0) added.push(adds, j);
            else if (d.removes(static_cast<std::uint32_t>(e))) unremove.push_back(static_cast<std::uint32_t>(e));
            else ++d.ignored;
        }
        std::sort(unremove.begin(), unremove.end());
        std::erase_if(d.removed, [&](std::uint32_t e) { return std::binary_search(unremove.begin(), unremove.end(), e); });
        return {};
    }

    static void merge_sorted(std::vector<std::uint32_t>& into, std::vector<std::uint32_t>& more) {
        std::sort(more.begin(), more.end());
        more.erase(std::unique(more.begin(), more.end()), more.end());
        std::vector<std::uint32_t> merged;
        merged.reserve(into.size() + more.size());
        std::merge(into.begin(), into.end(), more.begin(), more.end(), std::back_inserter(merged));
        into = std::move(merged);
    }
};

// A copy of the current delta with room for `more` additions (no regrowth).
void copy_delta(const ListDelta* current, ListKind kind, std::size_t more, ListDelta& d) {
    d.added.kind = kind;
    const std::size_t n = current ? current->added.size() : 0;
    (kind == ListKind::pdq ? d.added.pdq.reserve(n + more) : d.added.digests.reserve(n + more));
    d.added.ids.reserve(n + more);
    d.added.metadata.reserve(n + more);
    if (!current) return;
    d.added.pdq = current->added.pdq;
    d.added.digests = current->added.digests;
    d.added.ids = current->added.ids;
    d.added.metadata = current->added.metadata;
    d.removed = current->removed;
    d.ignored = current->ignored;
}

}  // namespace

Error apply_delta(const DeltaBase& base, const ListDelta* current, std::string_view text, const std::string& source,
                  const ListParseOptions& options, std::shared_ptr<const ListDelta>& out) {
    return detail::guard([&]() -> Error {
        ListParseOptions po = options;
        po.kind = base.entries->kind();
        po.allow_empty = true;  // a delta may only add, or only remove
        HashList adds, rems;
        std::string text_adds = lines_of_sign(text, false), text_rems = lines_of_sign(text, true);
        Error e = parse_hash_list(text_adds, source, adds, po);
        if (!e) e = parse_hash_list(text_rems, source, rems, po);
        detail::wipe(text_adds);
        detail::wipe(text_rems);
        if (e) return e;
        auto d = std::shared_ptr<ListDelta>(new ListDelta(), [](ListDelta* p) {
            secure_clear(p->added);
            delete p;
        });
        copy_delta(current, po.kind, adds.size(), *d);
        Applier a{base, *d, AddedIndex(d->added), {}, {}, {}};
        Error err = a.removals(rems);  // within one delta: removals first, then additions
        if (!err) err = a.additions(adds);
        secure_clear(adds);
        secure_clear(rems);
        if (err) return err;
        out = std::move(d);
        return {};
    });
}

Error merge_delta(const ListEntries& base, const ListDelta& delta, HashList& out) {
    return detail::guard([&]() -> Error {
        secure_clear(out);
        out.kind = base.kind();
        const std::size_t n = base.size() - delta.removed.size() + delta.added.size();
        (out.kind == ListKind::pdq ? out.pdq.reserve(n) : out.digests.reserve(n));  // all at once: no regrowth
        out.ids.reserve(n);
        out.metadata.reserve(n);
        if (Error e = copy_entries(base, out, delta.removed)) return e;
        const auto added = entries_of(std::shared_ptr<const HashList>(&delta.added, [](const HashList*) {}));
        return copy_entries(*added, out);
    });
}

}  // namespace hashguard::scan
