// libFuzzer target: every feed importer (the first byte picks the format,
// 0..8, and bit 4 skip mode; the rest is the feed), through ImportSet. Checks:
// no crash or leak, every kept hash re-parses (to_list never reports an
// internal error), vPDQ groups read back through the vPDQ list parser, an
// import never holds more entries than hashes it added, and the same feed
// applied again from a file (strict, through the two-thread pipe) either
// succeeds or leaves the set exactly as it was (the rollback).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.hpp"
#include "hashguard/import.hpp"
#include "hashguard/video.hpp"

namespace {

// Everything a set holds, as text.
std::string contents(const hashguard::ImportSet& set) {
    using namespace hashguard;
    std::string out;
    for (const ImportGroup& g : set.groups()) {
        out += std::to_string(g.allow) + hash_kind_name(g.kind) + "\n";
        if (g.kind == HashKind::vpdq) {
            std::string t;
            if (set.vpdq_text(g.allow, t)) __builtin_trap();
            out += t;
            continue;
        }
        HashList l;
        if (set.to_list(g.allow, g.kind, l)) __builtin_trap();
        for (std::size_t i = 0; i < l.size(); ++i)
            out += (g.kind == HashKind::pdq ? l.pdq[i].to_hex() : l.digests[i].to_hex()) + "|" + l.ids[i] + "|" +
                   l.metadata[i] + "\n";
    }
    return out;
}

// The same feed applied again from a file (strict): when it fails, the
// rollback must leave the set exactly as it was.
void reapply(hashguard::ImportSet& set, const hashguard::FeedOptions& o, std::string_view text) {
    const int fd = memfd_create("feed", 0);
    if (fd < 0) return;
    if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        close(fd);
        return;
    }
    const std::string before = contents(set);
    hashguard::FeedOptions strict = o;
    strict.skip_bad_records = false;
    if (set.apply_file("/proc/self/fd/" + std::to_string(fd), strict) && contents(set) != before) __builtin_trap();
    close(fd);
}

int one_input(const std::uint8_t* data, std::size_t size) {
    using namespace hashguard;
    if (size == 0) return 0;
    FeedOptions o;
    o.format = static_cast<FeedFormat>((data[0] & 15) % 9);
    o.skip_bad_records = data[0] & 16;
    o.max_record_bytes = 4096;
    if (parse_column_mapping("hash=hash,type=type,id=id,deleted=deleted,labels=l|m,records=r", o.mapping))
        __builtin_trap();
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    ImportSet set;
    FeedReport rep;
    const Error e = read_feed(text, "fuzz", o, [&](const FeedRecord& r) { return set.apply(r); }, &rep);
    if (e) {
        if (e.code == Status::internal || e.message.rfind("fuzz:", 0) != 0) __builtin_trap();  // names file:line
        return 0;
    }
    if (set.size() > rep.additions) __builtin_trap();
    reapply(set, o, text);
    for (const ImportGroup& g : set.groups()) {
        if (g.kind == HashKind::vpdq) {
            std::string t;
            VpdqList l;
            if (set.vpdq_text(g.allow, t) || parse_vpdq_list(t, "fuzz-vpdq", l) || l.videos.size() != g.entries)
                __builtin_trap();
            continue;
        }
        HashList l;
        if (set.to_list(g.allow, g.kind, l) || l.size() != g.entries) __builtin_trap();
    }
    return 0;
}

}  // namespace

// The heap an import may use: a bounded multiple of the feed (records,
// entries, provenance text, vPDQ arrays; a JSON page is a DOM of ~150-byte
// values for values of 2 bytes) plus fixed tables.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::int64_t start = hgfuzz::begin_input();
    const int rc = one_input(data, size);
    hgfuzz::end_input(start, 256 * size + (std::size_t{1} << 20));
    return rc;
}
