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

// A text list, parsed into memory that is wiped when freed.
Error parsed(const std::function<Error(HashList&)>& parse, std::shared_ptr<const ListEntries>& out) {
    auto list = new_secure_list();
    if (Error e = parse(*list)) return e;
    out = entries_of(std::shared_ptr<const HashList>(std::move(list)));
    return {};
}

// A vPDQ list from text (one video per line, or one video's frames).
Error vpdq_entries(std::string_view text, const std::string& source, std::shared_ptr<const ListEntries>& out,
                   ListParseReport& rep) {
    auto list = std::make_shared<VpdqList>();
    if (Error e = parse_vpdq_list(text, source, *list)) return e;
    rep = ListParseReport{};
    rep.entries = list->videos.size();
    out = entries_of(std::shared_ptr<const VpdqList>(std::move(list)));
    return {};
}

// A list file: a snapshot is mapped and read in place (nothing copied); a text
// file is parsed.
Error file_entries(const std::string& path, const ListParseOptions& po, std::shared_ptr<const ListEntries>& out,
                   ListParseReport& rep) {
    if (po.kind == ListKind::vpdq) {
        std::vector<std::uint8_t> bytes;
        if (Error e = detail::read_regular_file(path, bytes, std::size_t{4} << 30)) return {e.code, path + ": " + e.message};
        return vpdq_entries(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path, out, rep);
    }
    if (!is_snapshot_file(path))
        return parsed([&](HashList& l) { return load_hash_list(path, l, po, &rep); }, out);
    std::unique_ptr<Snapshot> snap;
    if (Error e = Snapshot::open(path, snap)) return e;
    if (snap->kind() != po.kind)
        return {Status::list_format, path + ": snapshot holds a " +
                                         std::string(snap->kind() == ListKind::pdq ? "PDQ" : "exact-hash") +
                                         " list, not the kind asked for"};
    if (snap->size() == 0 && !po.allow_empty)
        return {Status::list_format,
                path + ": the snapshot has no entries; a list may be empty only when allowed explicitly"};
    rep = ListParseReport{};
    rep.entries = snap->size();
    out = entries_of(std::move(snap));
    return {};
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
    po.kind = config.kind == HashKind::pdq    ? ListKind::pdq
              : config.kind == HashKind::vpdq ? ListKind::vpdq
                                              : ListKind::exact;
    po.skip_bad_lines = load_opt.skip_bad_lines;
    po.allow_empty = load_opt.allow_empty;
    std::shared_ptr<const ListEntries> entries;
    ListParseReport report;
    if (Error e = loader(po, entries, report)) return e;
    if (Error e = check_digest_kinds(*entries, config.name, config.kind)) return e;
    lists_.push_back(StagedList{std::move(config), std::move(entries), std::move(report), nullptr, nullptr});
    return {};
}

Error ListStaging::add_file(const std::string& name, const std::string& path, HashKind kind) {
    ListConfig c = defaults;
    c.name = name;
    c.kind = kind;
    return add_loaded(std::move(c), load, [&](const ListParseOptions& po, auto& out, ListParseReport& rep) {
        return file_entries(path, po, out, rep);
    });
}

Error ListStaging::add_text(const std::string& name, std::string_view text, HashKind kind, const std::string& source) {
    ListConfig c = defaults;
    c.name = name;
    c.kind = kind;
    return add_loaded(std::move(c), load, [&](const ListParseOptions& po, auto& out, ListParseReport& rep) {
        if (po.kind == ListKind::vpdq) return vpdq_entries(text, source, out, rep);
        return parsed([&](HashList& l) { return parse_hash_list(text, source, l, po, &rep); }, out);
    });
}

Error ListStaging::add_binary(const std::string& name, const std::uint8_t* data, std::size_t count, HashKind kind) {
    if (kind == HashKind::vpdq) return {Status::invalid_argument, "vPDQ lists are text (HMA's JSON arrays or frame lines), not binary"};
    if (!data && count) return {Status::invalid_argument, "data is NULL with count > 0"};
    if (count >= 0xFFFFFFFFu) return {Status::invalid_argument, "2^32 - 1 entries or more"};
    ListConfig c = defaults;
    c.name = name;
    c.kind = kind;
    return add_loaded(std::move(c), load, [&](const ListParseOptions& po, auto& out, ListParseReport& rep) {
        if (count == 0 && !po.allow_empty)
            return Error{Status::list_format, "list '" + name + "': no hashes given (0 entries); a list may be "
                                                                "empty only when allowed explicitly"};
        rep = ListParseReport{};
        if (Error e = binary_entries(data, count, kind, out, rep.duplicates_merged)) return e;
        rep.entries = out->size();
        return Error{};
    });
}

Error ListStaging::add_spec(const ListSpec& sp) {
    const std::size_t before = lists_.size();
    LoadOptions lo = load;
    lo.skip_bad_lines = sp.skip_bad_lines.value_or(lo.skip_bad_lines);
    lo.allow_empty = sp.allow_empty.value_or(lo.allow_empty);
    Error e = add_loaded(sp.config, lo, [&](const ListParseOptions& po, auto& out, ListParseReport& rep) {
        return file_entries(sp.path, po, out, rep);
    });
    for (std::size_t k = 0; !e && k < sp.deltas.size(); ++k) e = apply_delta_file(sp.config.name, sp.deltas[k]);
    if (e) lists_.resize(before);
    return e;
}

Error ListStaging::add_config(const std::string& path) {
    std::vector<ListSpec> specs;
    if (Error e = load_lists_config(path, specs)) return e;
    for (const auto& sp : specs)
        if (find(sp.config.name))
            return {Status::invalid_argument, path + ": list '" + sp.config.name + "' is already in the set"};
    const std::size_t before = lists_.size();
    for (const auto& sp : specs)
        if (Error e = add_spec(sp)) {  // all or nothing
            lists_.resize(before);
            return e;
        }
    return {};
}

namespace {

// DIR/CURRENT: "<version> <directory>\n" (hashguard store sync).
Error read_current(const std::string& dir, long long& version, std::string& name) {
    std::vector<std::uint8_t> bytes;
    const std::string path = dir + "/CURRENT";
    if (Error e = detail::read_regular_file(path, bytes, 4096)) return {e.code, path + ": " + e.message};
    const std::string text(bytes.begin(), bytes.end());
    const std::size_t sp = text.find(' ');
    std::size_t used = 0;
    try {
        version = std::stoll(text.substr(0, sp), &used);
    } catch (...) {
        used = 0;
    }
    name = sp == std::string::npos ? std::string() : text.substr(sp + 1);
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
    if (used == 0 || used != sp || version < 0 || name.empty() || name.find('/') != std::string::npos || name == "..")
        return {Status::list_format, path + ": not '<version> v<version>'"};
    return {};
}

bool same_settings(const ListConfig& a, const ListConfig& b) {
    return a.kind == b.kind && a.threshold == b.threshold && a.min_quality == b.min_quality && a.role == b.role &&
           a.query_pct == b.query_pct && a.compared_pct == b.compared_pct;
}

}  // namespace

// One list of a newer published version into `next`: only its new delta files
// when its base and settings are those this set holds, else loaded afresh.
Error ListStaging::follow_list(ListStaging& next, const ListSpec& sp, const FollowedList* had) const {
    const std::string& name = sp.config.name;
    const bool extends = had && had->base == sp.path && same_settings(had->config, sp.config) &&
                         had->deltas.size() <= sp.deltas.size() &&
                         std::equal(had->deltas.begin(), had->deltas.end(), sp.deltas.begin());
    if (extends) {
        for (std::size_t k = had->deltas.size(); k < sp.deltas.size(); ++k)
            if (Error e = next.apply_delta_file(name, sp.deltas[k])) return e;
        return {};
    }
    if (next.find(name)) {
        if (!had) return {Status::invalid_argument, "list '" + name + "' of the published directory has the name of a list added otherwise"};
        if (Error e = next.remove(name)) return e;
    }
    return next.add_spec(sp);
}

Error ListStaging::follow_dir(const std::string& dir, long long& version, bool& changed) {
    changed = false;
    if (!followed_dir_.empty() && followed_dir_ != dir)
        return {Status::invalid_argument, "this list set follows " + followed_dir_ + ", not " + dir};
    std::string name;
    if (Error e = read_current(dir, version, name)) return e;
    if (version == followed_version_) return {};
    std::vector<ListSpec> specs;
    if (Error e = load_lists_config(dir + "/" + name + "/lists.json", specs)) return e;
    ListStaging next = *this;  // the lists are shared, not copied: cheap; this set unchanged on failure
    for (const FollowedList& f : followed_)
        if (std::none_of(specs.begin(), specs.end(), [&](const ListSpec& sp) { return sp.config.name == f.name; }))
            if (Error e = next.remove(f.name)) return e;
    std::vector<FollowedList> now;
    for (const ListSpec& sp : specs) {
        const auto had = std::find_if(followed_.begin(), followed_.end(), [&](const FollowedList& f) { return f.name == sp.config.name; });
        if (Error e = follow_list(next, sp, had == followed_.end() ? nullptr : &*had))
            return {e.code, dir + ": version " + std::to_string(version) + ": " + e.message};
        now.push_back(FollowedList{sp.config.name, sp.path, sp.deltas, sp.config});
    }
    lists_ = std::move(next.lists_);
    followed_ = std::move(now);
    followed_dir_ = dir;
    followed_version_ = version;
    changed = true;
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
    if (list.config.kind == HashKind::vpdq)
        return {Status::invalid_argument, "list '" + list.config.name + "': vPDQ lists take no deltas; replace the list"};
    DeltaBase base{list.entries, nullptr, nullptr};
    Error e = list.config.kind == HashKind::pdq ? pdq_index_for(list.entries, list.config.threshold, base.index)
                                                : exact_table_for(list.entries, base.exact);
    if (e) return e;
    list.built = base.index ? std::shared_ptr<const void>(base.index) : std::shared_ptr<const void>(base.exact);
    ListParseOptions po;
    po.skip_bad_lines = lo.skip_bad_lines;
    std::shared_ptr<const ListDelta> delta;
    if (Error de = apply_delta(base, list.delta.get(), text, source, po, delta)) return de;
    if (list.config.kind != HashKind::pdq)
        if (Error ke = check_digest_kinds(*entries_of(std::shared_ptr<const HashList>(delta, &delta->added)),
                                          list.config.name, list.config.kind))
            return ke;
    if (delta->size() <= std::max(kCompactMin, list.entries->size() / kCompactDivisor)) {
        list.delta = std::move(delta);
        return {};
    }
    auto merged = new_secure_list();  // large enough to merge into a new base (and a new index)
    if (Error me = merge_delta(*list.entries, *delta, *merged)) return me;
    list.entries = entries_of(std::shared_ptr<const HashList>(std::move(merged)));
    list.delta.reset();
    list.built.reset();  // the new base gets its index at the next build
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
        for (const auto& l : lists_) {
            if (Error e = set->add(l.config, l.entries, l.delta)) return e;
            const LoadedList& loaded = *set->lists().back();
            l.built = loaded.index ? std::shared_ptr<const void>(loaded.index)
                      : loaded.vpdq ? std::shared_ptr<const void>(loaded.vpdq)
                                    : std::shared_ptr<const void>(loaded.exact);
        }
        out = std::move(set);
        return {};
    });
}

}  // namespace hashguard::scan
