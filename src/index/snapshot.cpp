// Binary list snapshots: written once, mapped read-only, verified, never parsed.
//
// Layout (little-endian), all sections 64-byte aligned:
//   [0, 128)      header: magic "HGSNAP\0\0", u32 version, u32 kind, u64 count,
//                 u64 file_bytes, u64 hashes_off, u64 hashes_bytes, u64 index_off,
//                 u64 index_bytes, u64 strings_off, u64 strings_bytes, u64 checksum
//   hashes        PDQ: 32 bytes per hash (16 little-endian u16 words);
//                 exact: 40 bytes (u8 kind, u8 size, 6 zero bytes, 32 digest bytes)
//   index         2*count+1 u64 offsets into strings: id i is [o[2i], o[2i+1]),
//                 metadata i is [o[2i+1], o[2i+2])
//   strings       ids and metadata, concatenated
// checksum = XXH3-64 of bytes [128, file_bytes). Every offset is bounds-checked
// on open as well: a checksum proves integrity, not that the writer was honest.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <xxhash.h>

#include "common/errors.hpp"
#include "common/io.hpp"
#include "common/secure.hpp"
#include "hashguard/lists.hpp"

static_assert(std::endian::native == std::endian::little, "snapshots are little-endian");

namespace hashguard {

namespace {

constexpr char kMagic[8] = {'H', 'G', 'S', 'N', 'A', 'P', 0, 0};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeader = 128;
constexpr std::size_t kPdqRecord = 32, kExactRecord = 40;

struct Header {
    char magic[8];
    std::uint32_t version, kind;
    std::uint64_t count, file_bytes, hashes_off, hashes_bytes, index_off, index_bytes, strings_off, strings_bytes,
        checksum;
};
static_assert(sizeof(Header) <= kHeader);

std::uint64_t align64(std::uint64_t x) { return (x + 63) & ~std::uint64_t{63}; }

}  // namespace

Error save_snapshot(const HashList& list, const std::string& path) noexcept {
    return detail::guard([&]() -> Error {
        const std::size_t n = list.size();
        if ((list.kind == ListKind::pdq ? list.pdq.size() : list.digests.size()) != n || list.metadata.size() != n)
            return {Status::invalid_argument, "inconsistent HashList: hash, id and metadata counts differ"};
        Header h{};
        std::memcpy(h.magic, kMagic, 8);
        h.version = kVersion;
        h.kind = static_cast<std::uint32_t>(list.kind);
        h.count = n;
        const std::size_t rec = list.kind == ListKind::pdq ? kPdqRecord : kExactRecord;
        h.hashes_off = kHeader;
        h.hashes_bytes = n * rec;
        h.index_off = align64(h.hashes_off + h.hashes_bytes);
        h.index_bytes = (2 * n + 1) * 8;
        h.strings_off = align64(h.index_off + h.index_bytes);
        std::uint64_t sb = 0;
        for (std::size_t i = 0; i < n; ++i) sb += list.ids[i].size() + list.metadata[i].size();
        h.strings_bytes = sb;
        h.file_bytes = h.strings_off + h.strings_bytes;

        detail::SecureBytes buf(h.file_bytes, 0);  // list contents: wiped when freed
        for (std::size_t i = 0; i < n; ++i) {
            std::uint8_t* r = buf.data() + h.hashes_off + i * rec;
            if (list.kind == ListKind::pdq) {
                std::memcpy(r, list.pdq[i].w.data(), 32);
            } else {
                r[0] = static_cast<std::uint8_t>(list.digests[i].kind);
                r[1] = list.digests[i].size;
                std::memcpy(r + 8, list.digests[i].bytes.data(), 32);
            }
        }
        std::uint64_t pos = 0;
        auto put_off = [&](std::size_t k, std::uint64_t v) { std::memcpy(buf.data() + h.index_off + 8 * k, &v, 8); };
        for (std::size_t i = 0; i < n; ++i) {
            put_off(2 * i, pos);
            std::memcpy(buf.data() + h.strings_off + pos, list.ids[i].data(), list.ids[i].size());
            pos += list.ids[i].size();
            put_off(2 * i + 1, pos);
            std::memcpy(buf.data() + h.strings_off + pos, list.metadata[i].data(), list.metadata[i].size());
            pos += list.metadata[i].size();
        }
        put_off(2 * n, pos);
        h.checksum = XXH3_64bits(buf.data() + kHeader, buf.size() - kHeader);
        std::memcpy(buf.data(), &h, sizeof h);

        const std::string tmp = path + ".tmp";
        std::FILE* f = std::fopen(tmp.c_str(), "wb");
        if (!f) return {Status::io_error, path + ": cannot write: " + std::strerror(errno)};
        const bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size() && std::fflush(f) == 0 &&
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
    });
}

Snapshot::~Snapshot() {
    if (base_ && owned_.empty()) ::munmap(const_cast<std::uint8_t*>(base_), bytes_);
    if (!owned_.empty()) explicit_bzero(owned_.data(), owned_.size());
}

Error Snapshot::open(const std::string& path, std::unique_ptr<Snapshot>& out) noexcept {
    return detail::guard([&]() -> Error {
        out.reset();
        detail::FileDescriptor fd(-1);
        std::uint64_t size = 0;
        if (Error e = detail::open_regular_file(path, fd, size)) return {e.code, path + ": " + e.message};
        if (size < kHeader) return {Status::list_format, path + ": not a hashguard snapshot (shorter than its header)"};
        void* m = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd.fd, 0);
        if (m == MAP_FAILED) return {Status::io_error, path + ": cannot map: " + std::strerror(errno)};
        std::unique_ptr<Snapshot> s(new Snapshot());
        s->base_ = static_cast<const std::uint8_t*>(m);
        s->bytes_ = static_cast<std::size_t>(size);
        if (Error e = verify(s, path)) return e;
        out = std::move(s);
        return {};
    });
}

Error Snapshot::from_bytes(const std::uint8_t* data, std::size_t len, std::unique_ptr<Snapshot>& out,
                           const std::string& name) noexcept {
    return detail::guard([&]() -> Error {
        out.reset();
        if (!data && len) return {Status::invalid_argument, name + ": null data"};
        if (len < kHeader) return {Status::list_format, name + ": not a hashguard snapshot (shorter than its header)"};
        std::unique_ptr<Snapshot> s(new Snapshot());
        s->owned_.assign(data, data + len);
        s->base_ = s->owned_.data();
        s->bytes_ = len;
        if (Error e = verify(s, name)) return e;
        out = std::move(s);
        return {};
    });
}

// Checks magic, version, kind, size, every section bound (overflow-safe), the
// checksum, the string index and the digest records; fills the fields.
Error Snapshot::verify(std::unique_ptr<Snapshot>& s, const std::string& path) {
    const std::size_t size = s->bytes_;
    auto bad = [&](const std::string& why) -> Error { return {Status::list_format, path + ": " + why}; };
    Header h;
    std::memcpy(&h, s->base_, sizeof h);
    if (std::memcmp(h.magic, kMagic, 8) != 0) return bad("not a hashguard snapshot (bad magic)");
    if (h.version != kVersion)
        return bad("snapshot version " + std::to_string(h.version) + " is not supported (expected 1)");
    if (h.kind > 1) return bad("unknown list kind " + std::to_string(h.kind));
    if (h.file_bytes != size)
        return bad("truncated or extended: header says " + std::to_string(h.file_bytes) + " bytes, file has " +
                   std::to_string(size));
    const std::uint64_t rec = h.kind == 0 ? kPdqRecord : kExactRecord;
    // Every bound checked without overflow (a crafted header may hold anything).
    const bool in_file = h.count < (std::uint64_t{1} << 40) && h.index_off <= size && h.strings_off <= size &&
                         h.hashes_bytes <= size && h.index_bytes <= size - h.index_off &&
                         h.strings_bytes <= size - h.strings_off;
    const bool sane = in_file && h.hashes_off == kHeader && h.hashes_bytes == h.count * rec &&
                      h.index_off >= h.hashes_off + h.hashes_bytes && h.index_bytes == (2 * h.count + 1) * 8 &&
                      h.strings_off >= h.index_off + h.index_bytes && h.strings_off + h.strings_bytes == size &&
                      h.index_off % 8 == 0;
    if (!sane) return bad("corrupt header (section bounds)");
    if (XXH3_64bits(s->base_ + kHeader, size - kHeader) != h.checksum)
        return bad("checksum mismatch: the snapshot is corrupt");
    // Offsets must be non-decreasing and inside the strings section.
    std::uint64_t prev = 0;
    for (std::uint64_t k = 0; k < 2 * h.count + 1; ++k) {
        std::uint64_t o;
        std::memcpy(&o, s->base_ + h.index_off + 8 * k, 8);
        if (o < prev || o > h.strings_bytes) return bad("corrupt string index");
        prev = o;
    }
    if (h.kind == 1)
        for (std::uint64_t i = 0; i < h.count; ++i) {
            const std::uint8_t* r = s->base_ + h.hashes_off + i * rec;
            const bool ok = (r[0] == 1 && r[1] == 16) || (r[0] == 2 && r[1] == 20) || (r[0] == 3 && r[1] == 32);
            if (!ok) return bad("corrupt digest record " + std::to_string(i));
        }
    s->count_ = h.count;
    s->kind_ = static_cast<ListKind>(h.kind);
    s->hashes_off_ = h.hashes_off;
    s->index_off_ = h.index_off;
    s->strings_off_ = h.strings_off;
    s->strings_bytes_ = h.strings_bytes;
    s->checksum_ = h.checksum;
    return {};
}

const std::uint8_t* Snapshot::hash_bytes() const noexcept { return base_ + hashes_off_; }

Hash256 Snapshot::pdq(std::size_t i) const noexcept {
    Hash256 h;
    if (kind_ == ListKind::pdq && i < count_) std::memcpy(h.w.data(), base_ + hashes_off_ + i * kPdqRecord, 32);
    return h;
}

Digest Snapshot::digest(std::size_t i) const noexcept {
    Digest d;
    if (kind_ != ListKind::exact || i >= count_) return d;
    const std::uint8_t* r = base_ + hashes_off_ + i * kExactRecord;
    d.kind = static_cast<HashKind>(r[0]);
    d.size = r[1];
    std::memcpy(d.bytes.data(), r + 8, 32);
    return d;
}

namespace {
std::uint64_t read_u64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
}  // namespace

std::string_view Snapshot::id(std::size_t i) const noexcept {
    if (i >= count_) return {};
    const std::uint64_t a = read_u64(base_ + index_off_ + 16 * i), b = read_u64(base_ + index_off_ + 16 * i + 8);
    return {reinterpret_cast<const char*>(base_ + strings_off_ + a), static_cast<std::size_t>(b - a)};
}

std::string_view Snapshot::metadata(std::size_t i) const noexcept {
    if (i >= count_) return {};
    const std::uint64_t a = read_u64(base_ + index_off_ + 16 * i + 8), b = read_u64(base_ + index_off_ + 16 * i + 16);
    return {reinterpret_cast<const char*>(base_ + strings_off_ + a), static_cast<std::size_t>(b - a)};
}

Error Snapshot::to_list(HashList& out) const noexcept {
    return detail::guard([&]() -> Error {
        secure_clear(out);
        out.kind = kind_;
        (kind_ == ListKind::pdq ? out.pdq.reserve(count_) : out.digests.reserve(count_));
        out.ids.reserve(count_);
        out.metadata.reserve(count_);
        for (std::size_t i = 0; i < count_; ++i) {
            if (kind_ == ListKind::pdq) out.pdq.push_back(pdq(i));
            else out.digests.push_back(digest(i));
            out.ids.emplace_back(id(i));
            out.metadata.emplace_back(metadata(i));
        }
        return {};
    });
}

bool is_snapshot_file(const std::string& path) noexcept {
    detail::FileDescriptor fd(-1);
    std::uint64_t size = 0;
    if (detail::open_regular_file(path, fd, size) || size < sizeof kMagic) return false;
    char magic[sizeof kMagic] = {};
    return ::read(fd.fd, magic, sizeof magic) == static_cast<ssize_t>(sizeof magic) &&
           std::memcmp(magic, kMagic, sizeof kMagic) == 0;
}

Error load_list_file(const std::string& path, HashList& out, const ListParseOptions& opt,
                     ListParseReport* report) noexcept {
    return detail::guard([&]() -> Error {
        if (!is_snapshot_file(path)) return load_hash_list(path, out, opt, report);
        std::unique_ptr<Snapshot> snap;
        if (Error e = Snapshot::open(path, snap)) return e;
        if (snap->kind() != opt.kind)
            return {Status::list_format, path + ": snapshot holds a " +
                                             std::string(snap->kind() == ListKind::pdq ? "PDQ" : "exact-hash") +
                                             " list, not the kind asked for"};
        if (snap->size() == 0 && !opt.allow_empty)
            return {Status::list_format, path + ": the snapshot has no entries; a list may be empty only when "
                                                "allowed explicitly"};
        if (Error e = snap->to_list(out)) return e;
        if (report) {
            *report = ListParseReport{};
            report->entries = out.size();
        }
        return {};
    });
}

}  // namespace hashguard
