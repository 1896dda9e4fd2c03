// Lists being assembled before they go to a scanner (what an hg_lists is):
// named lists loaded from files, text, binary hashes or a config file, each
// with its settings, all-or-nothing per call. build() freezes them into an
// immutable ListSet with its indexes.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scan/config.hpp"
#include "scan/scanner.hpp"

namespace hashguard::scan {

/// How lists are read (applies when a list is added).
struct LoadOptions {
    bool skip_bad_lines = false;  ///< skip malformed lines instead of refusing the list
    bool allow_empty = false;     ///< accept a list with no entries
};

struct StagedList {
    ListConfig config;
    std::shared_ptr<const ListEntries> entries;  ///< the base
    ListParseReport report;
    std::shared_ptr<const ListDelta> delta;   ///< changes applied since the base, or null
    /// The base's index or digest table, kept alive while the list is staged
    /// so that applying deltas and building sets reuse it (see list_index.hpp).
    mutable std::shared_ptr<const void> built;

    std::size_t size() const noexcept {
        return entries->size() + (delta ? delta->added.size() - delta->removed.size() : 0);
    }
};

class ListStaging {
public:
    ListConfig defaults;  ///< settings of lists added later (name and kind aside)
    LoadOptions load;

    Error add_file(const std::string& name, const std::string& path, HashKind kind);
    Error add_text(const std::string& name, std::string_view text, HashKind kind, const std::string& source);
    /// `count` hashes of 32 bytes (PDQ, in printed order), 16, 20 or 32 bytes (digests).
    Error add_binary(const std::string& name, const std::uint8_t* data, std::size_t count, HashKind kind);
    /// Every list of a JSON lists config (see config.hpp); all or nothing.
    Error add_config(const std::string& path);
    /// Brings the lists published in `dir` by `hashguard store sync` (CURRENT
    /// naming v<N>/lists.json) to its newest version: the first call adds them;
    /// later ones apply to each list only the delta files published since (its
    /// index kept), reload a list whose base or settings changed, and remove a
    /// list the version no longer has. All or nothing. `version`: the version
    /// now held; `changed`: whether anything was applied.
    Error follow_dir(const std::string& dir, long long& version, bool& changed);
    /// Removes the list `name` (to replace it; the others keep their indexes).
    Error remove(const std::string& name);

    /// Applies changes to the list `name` (see apply_delta): the list's built
    /// index is kept and the changes are searched beside it, until they grow
    /// past kCompactAt (then the list is merged into a new base). All or nothing.
    Error apply_delta_text(const std::string& name, std::string_view text, const std::string& source);
    Error apply_delta_file(const std::string& name, const std::string& path);
    /// Changes beyond max(kCompactMin, base/kCompactDivisor) entries are merged.
    static constexpr std::size_t kCompactMin = 65536, kCompactDivisor = 8;

    StagedList* find(std::string_view name) noexcept;
    const StagedList* find(std::string_view name) const noexcept;
    const std::vector<StagedList>& lists() const noexcept { return lists_; }

    /// A new ListSet with every list and its index.
    Error build(std::shared_ptr<const ListSet>& out) const;

private:
    using Loader =
        std::function<Error(const ListParseOptions&, std::shared_ptr<const ListEntries>&, ListParseReport&)>;
    Error add_loaded(ListConfig config, const LoadOptions& load, const Loader& loader);
    Error add_spec(const ListSpec& spec);  ///< one list of a config, with its deltas
    /// A list as a followed directory last gave it.
    struct FollowedList {
        std::string name, base;
        std::vector<std::string> deltas;
        ListConfig config;
    };
    Error follow_list(ListStaging& next, const ListSpec& spec, const FollowedList* had) const;
    std::vector<FollowedList> followed_;
    std::string followed_dir_;
    long long followed_version_ = -1;
    Error apply_delta_to(StagedList& list, std::string_view text, const std::string& source, const LoadOptions& lo);
    std::vector<StagedList> lists_;
};

}  // namespace hashguard::scan
