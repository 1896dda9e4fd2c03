// libFuzzer target: the text list parser (PDQ and exact kinds, strict and
// skipping bad lines, empty allowed or not), the JSON lists config, the
// JSON reader, the CSV field splitter and list deltas.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_checks.hpp"
#include "hashguard/csv.hpp"
#include "hashguard/json.hpp"
#include "hashguard/lists.hpp"
#include "scan/config.hpp"
#include "scan/delta.hpp"
#include "scan/scanner.hpp"

namespace {

// A delta (mode 32) applied to a small base: all or nothing, and what it adds
// or removes stays consistent with the base.
int delta_input(std::string_view text, bool exact) {
    using namespace hashguard::scan;
    static const auto base = [](bool ex) {
        auto l = new_secure_list();
        const std::string t = ex ? std::string(32, 'a') + "\n" + std::string(40, 'b') + "\n"
                                 : std::string(64, 'a') + "\n" + std::string(64, 'b') + ",m\n";
        hashguard::ListParseOptions po;
        po.kind = ex ? hashguard::ListKind::exact : hashguard::ListKind::pdq;
        if (hashguard::parse_hash_list(t, "base", *l, po)) __builtin_trap();
        return entries_of(std::shared_ptr<const hashguard::HashList>(std::move(l)));
    };
    static const std::shared_ptr<const ListEntries> bases[2] = {base(false), base(true)};
    DeltaBase b{bases[exact], nullptr, nullptr};
    if (exact ? exact_table_for(b.entries, b.exact) : pdq_index_for(b.entries, 31, b.index)) __builtin_trap();
    std::shared_ptr<const ListDelta> d;
    if (apply_delta(b, nullptr, text, "fuzz.delta", {}, d)) return 0;
    for (std::uint32_t e : d->removed)
        if (e >= b.entries->size()) __builtin_trap();  // only base entries are removed
    if (!std::is_sorted(d->removed.begin(), d->removed.end())) __builtin_trap();
    return 0;
}

int one_input(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    if (data[0] & 32) return delta_input(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), data[0] & 1);
    const std::uint8_t mode = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (mode & 8) {  // the JSON reader itself and the CSV splitter
        hashguard::json::Value v;
        const hashguard::Error e = hashguard::json::parse(text, "fuzz.json", v);
        if (e && (e.message.rfind("fuzz.json:", 0) != 0 || v.type != hashguard::json::Value::Type::null))
            __builtin_trap();  // errors name file:line and leave nothing behind
        std::vector<std::string> fields;
        if (hashguard::csv::split(text, fields) && fields.empty()) __builtin_trap();  // a line has >= 1 field
        return 0;
    }
    if (mode & 4) {
        std::vector<hashguard::scan::ListSpec> specs;
        const hashguard::Error e = hashguard::scan::parse_lists_config(text, "fuzz.json", "/nonexistent", specs);
        if (e && e.message.rfind("fuzz.json:", 0) != 0) __builtin_trap();  // errors name file:line
        return 0;
    }
    hashguard::ListParseOptions opt;
    opt.kind = (mode & 1) ? hashguard::ListKind::exact : hashguard::ListKind::pdq;
    opt.skip_bad_lines = mode & 2;
    opt.allow_empty = mode & 16;
    hashguard::HashList list;
    hashguard::ListParseReport rep;
    const hashguard::Error e = hashguard::parse_hash_list(text, "fuzz.txt", list, opt, &rep);
    if (e) {
        if (list.size() != 0) __builtin_trap();  // rejected whole
        return 0;
    }
    const std::size_t n = list.size();
    if (n == 0 && !opt.allow_empty) __builtin_trap();  // an empty list is an error unless allowed
    if (list.ids.size() != n || list.metadata.size() != n ||
        (opt.kind == hashguard::ListKind::pdq ? list.pdq.size() : list.digests.size()) != n || rep.entries != n)
        __builtin_trap();
    return 0;
}
}  // namespace

// Nothing printed and (ASan) the heap bounded by the input's size, per input:
// a list or config of n bytes holds at most ~n bytes of strings in entries of
// a few hundred bytes of overhead each (an entry line is at least 32 bytes).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::int64_t start = hgfuzz::begin_input();
    const int rc = one_input(data, size);
    hgfuzz::end_input(start, 40 * size + (std::size_t{1} << 20));
    return rc;
}
