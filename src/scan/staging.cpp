#include "scan/staging.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstring>

#include "common/errors.hpp"
#include "common/io.hpp"
#include "common/secure.hpp"
#include "scan/config.hpp"

namespace hashguard::scan {

namespace {

std::size_t digest_width(HashKind k) { return k == HashKind::md5 ? 16 : k == HashKind::sha1 ? 20 : 32; }

// Entries built from binary hashes; ids are 1..count.
void binary_entries(const std::uint8_t* p, std::size_t count, HashKind kind, HashList& raw) {
    raw.kind = kind == HashKind::pdq ? ListKind::pdq : ListKind::exact;
    const std::size_t width = kind == HashKind::pdq ? 32 : digest_width(kind);
    raw.ids.reserve(count);
    raw.metadata.resize(count);
    if (kind == HashKind::pdq) raw.pdq.resize(count);
    else raw.digests.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* h = p + i * width;
        if (kind == HashKind::pdq) {
            raw.pdq[i] = Hash256::from_bytes(h);
        } else {
            Digest& d = raw.digests[i];
            d.kind = kind;
            d.size = static_cast<std::uint8_t>(width);
            std::memcpy(d.bytes.data(), h, width);
        }
        raw.ids.push_back(std::to_string(i + 1));
    }
}

}  // namespace

StagedList* ListStaging::find(std::string_view name) noexcept {
    for (auto& l : lists_)
        if (l.config.name == name) return &l;
    return nullptr;
}

const StagedList* ListStaging::find(std::string_view name) const noexcept {
    return const_cast<ListStaging*>(this)->find(name);
}

Error ListStaging::add_loaded(ListConfig config, const LoadOptions& load_opt, const Loader& loader) {
    if (config.name.empty()) return {Status::invalid_argument, "list name is NULL or empty"};
    if (find(config.name)) return {Status::invalid_argument, "list '" + config.name + "' is already in the set"};
    ListParseOptions po;
    po.kind = config.kind == HashKind::pdq ? ListKind::pdq : ListKind::exact;
    po.skip_bad_lines = load_opt.skip_bad_lines;
    po.allow_empty = load_opt.allow_empty;
    auto entries = new_secure_list();
    ListParseReport report;
    if (Error e = loader(*entries, po, report)) return e;
    if (Error e = check_digest_kinds(*entries, config)) return e;
    lists_.push_back(StagedList{std::move(config), std::move(entries), std::move(report), nullptr});
    return {};
}

Error ListStaging::add_file(const std::string& name, const std::string& path, HashKind kind) {
    ListConfig c = defaults;
    c.name = name;
    c.kind = kind;
    return add_loaded(std::move(c), load, [&](HashList& out, const ListParseOptions& po, ListParseReport& rep) {
        return load_list_file(path, out, po, &rep);
    });
}

Error ListStaging::add_text(const std::string& name, std::string_view text, HashKind kind, const std::string& source) {
    ListConfig c = defaults;
    c.name = name;
    c.kind = kind;
    return add_loaded(std::move(c), load, [&](HashList& out, const ListParseOptions& po, ListParseReport& rep) {
        return parse_hash_list(text, source, out, po, &rep);
    });
}

Error ListStaging::add_binary(const std::string& name, const std::uint8_t* data, std::size_t count, HashKind kind) {
    if (!data && count) return {Status::invalid_argument, "data is NULL with count > 0"};
    if (count > (std::size_t{1} << 32)) return {Status::invalid_argument, "more than 2^32 entries"};
    ListConfig c = defaults;
    c.name = name;
    c.kind = kind;
    return add_loaded(std::move(c), load, [&](HashList& out, const ListParseOptions& po, ListParseReport& rep) {
        if (count == 0 && !po.allow_empty)
            return Error{Status::list_format, "list '" + name + "': no hashes given (0 entries); a list may be "
                                                                "empty only when allowed explicitly"};
        // Built directly, then deduplicated by the same rule as text lists.
        auto raw = new_secure_list();
        binary_entries(data, count, kind, *raw);
        out.kind = raw->kind;
        std::size_t merged = 0;
        if (Error e = merge_hash_lists(out, *raw, &merged)) return e;
        rep = ListParseReport{};
        rep.entries = out.size();
        rep.duplicates_merged = merged;
        return Error{};
    });
}

Error ListStaging::add_config(const std::string& path) {
    std::vector<ListSpec> specs;
    if (Error e = load_lists_config(path, specs)) return e;
    for (const auto& sp : specs)
        if (find(sp.config.name))
            return {Status::invalid_argument, path + ": list '" + sp.config.name + "' is already in the set"};
    const std::size_t before = lists_.size();
    for (const auto& sp : specs) {
        LoadOptions lo = load;
        lo.skip_bad_lines = sp.skip_bad_lines.value_or(lo.skip_bad_lines);
        lo.allow_empty = sp.allow_empty.value_or(lo.allow_empty);
        Error e = add_loaded(sp.config, lo, [&](HashList& out, const ListParseOptions& po, ListParseReport& rep) {
            return load_list_file(sp.path, out, po, &rep);
        });
        for (std::size_t k = 0; !e && k < sp.deltas.size(); ++k) e = apply_delta_file(sp.config.name, sp.deltas[k]);
        if (e) {  // all or nothing
            lists_.resize(before);
            return e;
        }
    }
    return {};
}

Error ListStaging::remove(const std::string& name) {
    const auto it = std::find_if(lists_.begin(), lists_.end(), [&](const StagedList& l) { return l.config.name == name; });
    if (it == lists_.end()) return {Status::invalid_argument, "no list named '" + name + "'"};
    lists_.erase(it);
    return {};
}

Error ListStaging::apply_delta_to(StagedList& list, std::string_view text, const std::string& source,
                                  const LoadOptions& lo) {
    DeltaBase base{list.entries, nullptr, nullptr};
    Error e = list.config.kind == HashKind::pdq ? pdq_index_for(list.entries, list.config.threshold, base.index)
                                                : exact_table_for(list.entries, base.exact);
    if (e) return e;
    ListParseOptions po;
    po.skip_bad_lines = lo.skip_bad_lines;
    std::shared_ptr<const ListDelta> delta;
    if (Error de = apply_delta(base, list.delta.get(), text, source, po, delta)) return de;
    if (list.config.kind != HashKind::pdq)
        if (Error ke = check_digest_kinds(delta->added, list.config)) return ke;
    if (delta->size() <= std::max(kCompactMin, list.entries->size() / kCompactDivisor)) {
        list.delta = std::move(delta);
        return {};
    }
    auto merged = new_secure_list();  // large enough to merge into a new base (and a new index)
    if (Error me = merge_delta(*list.entries, *delta, *merged)) return me;
    list.entries = std::move(merged);
    list.delta.reset();
    return {};
}

Error ListStaging::apply_delta_text(const std::string& name, std::string_view text, const std::string& source) {
    StagedList* l = find(name);
    if (!l) return {Status::invalid_argument, "no list named '" + name + "'"};
    return apply_delta_to(*l, text, source, load);
}

Error ListStaging::apply_delta_file(const std::string& name, const std::string& path) {
    StagedList* l = find(name);
    if (!l) return {Status::invalid_argument, "no list named '" + name + "'"};
    detail::SecureBytes bytes;
    if (Error e = detail::read_regular_file(path, bytes, std::size_t{4} << 30)) return {e.code, path + ": " + e.message};
    return apply_delta_to(*l, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path,
                          load);
}

Error ListStaging::build(std::shared_ptr<const ListSet>& out) const {
    return detail::guard([&]() -> Error {
        // A replaced set gives its memory back to the system when it goes: its
        // indexes and lists are large blocks that glibc would otherwise keep in
        // its arenas, and a process reloading lists all day would grow.
        auto set = std::shared_ptr<ListSet>(new ListSet(), [](ListSet* p) {
            delete p;
#ifdef __GLIBC__
            ::malloc_trim(0);
#endif
        });
        for (const auto& l : lists_)
            if (Error e = set->add(l.config, l.entries, l.delta)) return e;
        out = std::move(set);
        return {};
    });
}

}  // namespace hashguard::scan
